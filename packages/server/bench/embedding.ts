/**
 * The embedding pipeline under hostile and ordinary load, on one server with the default two embedding workers:
 * - background indexing of units of realistic lengths (median 24 words, up to 100) imported at once;
 * - `POST /contexts` with 10,000 characters of each worst case (text that expands 18× under NFKC, one 10,000-letter
 *   word, a letter with 1,000 combining marks, prose, mixed scripts) and `/generate-prompt` with such a task;
 * - short `/generate-prompt` requests while five clients keep sending worst-case writes.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

import { HOSTILE_TEXTS } from '../test/hostile-texts.js';
import { ROUTE_LIMITS, sleep, type BenchContext } from './context.js';
import { createGenerator } from './data.js';
import { failureRow, sample, withOthers } from './endpoints.js';
import { collect, parseServerTiming, runSequential, type Sample } from './load.js';
import type { Row } from './report.js';
import { importBatch, MAX_IMPORT_BATCH, waitIndexed } from './seed.js';
import { startServer, type ServerHandle } from './server-process.js';

const max = (limit: number) => ({ kind: 'max', limit }) as const;

export async function runEmbedding(ctx: BenchContext, realisticUnits: number): Promise<void> {
  const dir = join(ctx.workRoot, 'embedding');
  mkdirSync(dir, { recursive: true });
  const server = await startServer({
    name: 'embedding',
    mode: ctx.mode,
    workDir: dir,
    databasePath: join(dir, 'bench.db'),
    env: { ...ctx.rateLimits.env },
  });
  try {
    await measureIndexing(ctx, server, realisticUnits);
    await measureWorstCases(ctx, server);
    await measurePromptsUnderWrites(ctx, server);
  } finally {
    await server.stop();
  }
}

async function measureIndexing(ctx: BenchContext, server: ServerHandle, count: number): Promise<void> {
  const gen = createGenerator(ctx.seed * 7919 + count);
  const units = Array.from({ length: count }, () => gen.realisticUnit());
  const words = units.map((u) => u.content.split(' ').length).sort((a, b) => a - b);
  ctx.progress(`embedding: importing ${count} units of realistic lengths (median ${words[count >> 1]} words)`);
  const watch = ctx.watchOthers();
  const start = performance.now();
  for (let done = 0; done < count; done += MAX_IMPORT_BATCH) {
    await importBatch(server.client, units.slice(done, done + MAX_IMPORT_BATCH));
  }
  await waitIndexed(server.client, 30 * 60_000, (remaining) =>
    ctx.progress(`embedding: ${remaining} units without vectors`),
  );
  const ms = performance.now() - start;
  const others = watch.stop();
  const mean = words.reduce((a, b) => a + b, 0) / count;
  ctx.rows.push(
    ...withOthers(others, [
      {
        section: 'embedding',
        size: count,
        metric: 'indexing rate, realistic lengths',
        value: (count * 1000) / ms,
        unit: 'units/s',
        target: { kind: 'min', limit: 200 },
        note: `words median ${words[count >> 1]}, mean ${mean.toFixed(1)}, max ${words.at(-1)}; import until all indexed`,
      },
      {
        section: 'embedding',
        size: count,
        metric: 'import → all indexed, realistic lengths',
        value: ms,
        unit: 'ms',
        target: count === 10_000 ? max(50_000) : undefined,
      },
    ]),
  );
}

function createRequest(ctx: BenchContext, server: ServerHandle, content: string) {
  return () =>
    sample(
      () =>
        server.client.send('/contexts', {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...ctx.rateLimits.headers('POST /contexts', ROUTE_LIMITS.createContext),
          },
          body: JSON.stringify({ type: 'fact', content }),
          timeoutMs: 120_000,
        }),
      201,
    );
}

function promptRequest(ctx: BenchContext, server: ServerHandle, task: string) {
  return () =>
    sample(
      () =>
        server.client.send('/generate-prompt', {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...ctx.rateLimits.headers('POST /generate-prompt', ROUTE_LIMITS.generatePrompt),
          },
          body: JSON.stringify({ task, max_context_units: 5 }),
          timeoutMs: 120_000,
        }),
      200,
      (r) => parseServerTiming(r.headers['server-timing']),
    );
}

async function measureWorstCases(ctx: BenchContext, server: ServerHandle): Promise<void> {
  const count = ctx.counts.embeddingSequential;
  const rows: Row[] = [];
  for (const [name, text] of Object.entries(HOSTILE_TEXTS)) {
    ctx.progress(`embedding: POST /contexts and /generate-prompt with 10,000 characters: ${name}`);
    const create = createRequest(ctx, server, text);
    await create();
    const watch = ctx.watchOthers();
    const creates = await runSequential(count, 600_000, create);
    const prompt = promptRequest(ctx, server, text);
    await prompt();
    const prompts = await runSequential(count, 600_000, prompt);
    rows.push(
      ...withOthers(watch.stop(), [
        {
          section: 'embedding',
          metric: `POST /contexts p95, 10,000 chars: ${name}`,
          value: creates.latency.p95,
          unit: 'ms',
          target: max(1000),
          note: `${creates.ok} sequential, p50 ${creates.latency.p50.toFixed(0)} ms, max ${creates.latency.max.toFixed(0)} ms`,
        },
        {
          section: 'embedding',
          metric: `/generate-prompt p95, 10,000-char task: ${name}`,
          value: prompts.latency.p95,
          unit: 'ms',
          target: max(300),
          note: `${prompts.ok} sequential, embed p95 ${prompts.extra['embed']?.p95.toFixed(0) ?? '–'} ms`,
        },
        ...failureRow('embedding', undefined, `worst case ${name}`, creates, prompts),
      ]),
    );
  }
  ctx.rows.push(...rows);
}

/** Short `/generate-prompt` requests, one at a time, while `writers` clients each keep one worst-case write open. */
async function measurePromptsUnderWrites(ctx: BenchContext, server: ServerHandle): Promise<void> {
  const writers = 5;
  const durationMs = ctx.counts.embeddingLoadMs;
  ctx.progress(`embedding: short /generate-prompt while ${writers} clients send worst-case writes`);
  const gen = createGenerator(ctx.seed * 104_729);
  const texts = Object.values(HOSTILE_TEXTS);
  let stop = false;
  const writes: Sample[] = [];
  const writerLoops = Array.from({ length: writers }, async (_, w) => {
    for (let i = w; !stop; i++) {
      writes.push(await createRequest(ctx, server, texts[i % texts.length] as string)());
    }
  });
  // Let the writers fill the embedding queue first.
  await sleep(1_000);
  const watch = ctx.watchOthers();
  const prompts: Sample[] = [];
  const started = performance.now();
  while (performance.now() - started < durationMs) {
    prompts.push(await promptRequest(ctx, server, gen.task())());
  }
  const others = watch.stop();
  stop = true;
  await Promise.all(writerLoops);
  const promptRun = collect(prompts, performance.now() - started);
  const writeRun = collect(writes, performance.now() - started);
  ctx.rows.push(
    ...withOthers(others, [
      {
        section: 'embedding',
        metric: `short /generate-prompt p95 under ${writers} worst-case writers`,
        value: promptRun.latency.p95,
        unit: 'ms',
        target: max(100),
        note: `${promptRun.ok} prompts, p50 ${promptRun.latency.p50.toFixed(1)} ms, embed p95 ${promptRun.extra['embed']?.p95.toFixed(1) ?? '–'} ms`,
      },
      {
        section: 'embedding',
        metric: `worst-case writes completed under load`,
        value: writeRun.throughput,
        unit: 'req/s',
        note: `${writeRun.ok} writes in ${(writeRun.elapsedMs / 1000).toFixed(0)} s, p95 ${writeRun.latency.p95.toFixed(0)} ms`,
      },
      ...failureRow('embedding', undefined, 'short /generate-prompt under writers', promptRun),
      ...failureRow('embedding', undefined, 'worst-case writes under load', writeRun),
    ]),
  );
}
