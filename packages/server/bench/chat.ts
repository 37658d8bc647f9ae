/**
 * Chat overhead against a loopback OpenAI-compatible fake that answers at once: `POST /ai/chat` latency minus the
 * fake's own handling time, and for `POST /ai/chat/stream` the time from the fake writing its first content chunk to
 * the client reading the first `delta` event (both clocks are this process's performance.now()).
 */
import { performance } from 'node:perf_hooks';

import { ROUTE_LIMITS, type BenchContext } from './context.js';
import { failureRow, withOthers } from './endpoints.js';
import type { Client } from './http.js';
import { runSequential, summarize, type RunResult, type Sample } from './load.js';
import type { ChatFake } from './openai-chat-fake.js';

export async function runChat(
  ctx: BenchContext,
  client: Client,
  fake: ChatFake,
  size: number,
  tasks: readonly string[],
): Promise<void> {
  const overheads: number[] = [];
  const chat = async (i: number): Promise<Sample> => {
    const before = fake.calls.length;
    try {
      const response = await client.send('/ai/chat', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...ctx.rateLimits.headers('POST /ai/chat', ROUTE_LIMITS.chat) },
        body: JSON.stringify({ task: tasks[i % tasks.length], max_context_units: 5 }),
        timeoutMs: 60_000,
      });
      const call = fake.calls[before];
      if (response.status !== 200 || call === undefined || fake.calls.length !== before + 1) {
        return {
          ok: false,
          ms: response.ms,
          error: `HTTP ${response.status}, fake calls ${fake.calls.length - before}: ${response.body.toString('utf8').slice(0, 160)}`,
        };
      }
      overheads.push(response.ms - call.handlerMs);
      return { ok: true, ms: response.ms, extra: { fake: call.handlerMs } };
    } catch (error) {
      return { ok: false, ms: 0, error: error instanceof Error ? error.message : String(error) };
    }
  };

  const relays: number[] = [];
  const toMeta: number[] = [];
  const stream = async (i: number): Promise<Sample> => {
    const before = fake.calls.length;
    let firstDelta: number | null = null;
    let metaAt: number | null = null;
    let sawDone = false;
    const sentAt = performance.now();
    try {
      const response = await client.stream(
        '/ai/chat/stream',
        {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...ctx.rateLimits.headers('POST /ai/chat/stream', ROUTE_LIMITS.chat),
          },
          body: JSON.stringify({ task: tasks[(i + 7) % tasks.length], max_context_units: 5 }),
          timeoutMs: 60_000,
        },
        (event) => {
          if (event.name === 'meta' && metaAt === null) {
            metaAt = event.at;
          } else if (event.name === 'delta' && firstDelta === null) {
            firstDelta = event.at;
          } else if (event.name === 'done') {
            sawDone = true;
          }
        },
      );
      const call = fake.calls[before];
      if (
        response.status !== 200 ||
        !sawDone ||
        firstDelta === null ||
        call?.firstChunkAt === null ||
        call?.firstChunkAt === undefined
      ) {
        return {
          ok: false,
          ms: response.ms,
          error: `HTTP ${response.status}, done ${sawDone}: ${response.body.slice(0, 160)}`,
        };
      }
      relays.push((firstDelta as number) - call.firstChunkAt);
      if (metaAt !== null) {
        toMeta.push((metaAt as number) - sentAt);
      }
      return { ok: true, ms: response.ms };
    } catch (error) {
      return { ok: false, ms: 0, error: error instanceof Error ? error.message : String(error) };
    }
  };

  await runSequential(3, 60_000, chat);
  overheads.length = 0;
  let watch = ctx.watchOthers();
  const chatRun = await runSequential(ctx.counts.chatSequential, 180_000, (i) => chat(i + 3));
  const chatOthers = watch.stop();
  await runSequential(2, 60_000, stream);
  relays.length = 0;
  toMeta.length = 0;
  watch = ctx.watchOthers();
  const streamRun = await runSequential(ctx.counts.streamSequential, 180_000, (i) => stream(i + 2));
  const streamOthers = watch.stop();

  const overhead = summarize(overheads);
  const relay = summarize(relays);
  const meta = summarize(toMeta);
  const fakeMs = chatRun.extra['fake'];
  // The same ranking work without the provider call, when measured at this size: how much of the overhead is chat's.
  const prompt = ctx.details[`prompt-${size}`] as { sequential?: RunResult } | undefined;
  const promptNote =
    prompt?.sequential === undefined
      ? ''
      : ` (POST /generate-prompt p50 ${prompt.sequential.latency.p50.toFixed(1)} / p95 ${prompt.sequential.latency.p95.toFixed(1)} ms)`;
  const s = 'chat';
  ctx.rows.push(
    ...withOthers(chatOthers, [
      {
        section: s,
        size,
        metric: 'POST /ai/chat p50',
        value: chatRun.latency.p50,
        unit: 'ms',
        note: `${chatRun.ok} sequential requests`,
      },
      {
        section: s,
        size,
        metric: 'POST /ai/chat p95',
        value: chatRun.latency.p95,
        unit: 'ms',
        note: `fake's own time p95 ${(fakeMs?.p95 ?? Number.NaN).toFixed(2)} ms`,
      },
      {
        section: s,
        size,
        metric: 'POST /ai/chat overhead p95',
        value: overhead.p95,
        unit: 'ms',
        target: { kind: 'max', limit: 30 },
        note: `latency − fake handling time; p50 ${overhead.p50.toFixed(1)} ms${promptNote}`,
      },
    ]),
    ...withOthers(streamOthers, [
      {
        section: s,
        size,
        metric: 'stream: request → meta event p95',
        value: meta.p95,
        unit: 'ms',
        note: 'ranking + prompt before the provider call',
      },
      { section: s, size, metric: 'stream: first token relay p50', value: relay.p50, unit: 'ms' },
      {
        section: s,
        size,
        metric: 'stream: first token relay p95',
        value: relay.p95,
        unit: 'ms',
        target: { kind: 'max', limit: 50 },
        note: `fake writes first chunk → client reads first delta; ${streamRun.ok} streams`,
      },
    ]),
    ...failureRow(s, size, 'POST /ai/chat', chatRun),
    ...failureRow(s, size, 'POST /ai/chat/stream', streamRun),
  );
  ctx.details[`chat-${size}`] = {
    chat: chatRun,
    overhead,
    stream: streamRun,
    relay,
    toMeta: meta,
    fakeCalls: fake.calls.length,
  };
}
