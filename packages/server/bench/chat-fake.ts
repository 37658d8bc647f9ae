/**
 * The OpenAI-compatible fake the chat section talks to: the shared test fake (`test/fakes/openai-chat-fake.ts`) when
 * it is there, else the benchmark's own (`openai-chat-fake.ts`). Both run in this process, so the moment the fake
 * writes its first chunk and the moment the client reads the first `delta` are on the same clock.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

import { startChatFake, type ChatFake, type FakeCall } from './openai-chat-fake.js';
import { REPO_ROOT } from './server-process.js';

const SHARED_FAKE = join(REPO_ROOT, 'packages/server/test/fakes/openai-chat-fake.ts');
const REPLY = ['Here is', ' a short plan', ' based on', ' your context:', ' start with', ' the first step.'];

/** The part of the shared fake's API the benchmark uses. */
interface SharedFakeModule {
  startOpenAiChatFake(): Promise<{
    url: string;
    requests: { method: string; path: string; body: unknown }[];
    reply(text: string[]): void;
    close(): Promise<void>;
  }>;
}

function isStream(body: unknown): boolean {
  return typeof body === 'object' && body !== null && (body as { stream?: unknown }).stream === true;
}

/**
 * Starts the fake. With the shared one, a call's time is when the fake recorded the request: it answers in the
 * same tick (headers and every SSE frame in one write), so that is also when it wrote its first chunk, and its own
 * handling time counts as 0 (the measured overhead is then a slight over-estimate).
 */
export async function startOpenAiFake(): Promise<{ fake: ChatFake; source: string }> {
  if (!existsSync(SHARED_FAKE)) {
    return {
      fake: await startChatFake(),
      source: 'bench/openai-chat-fake.ts (test/fakes/openai-chat-fake.ts not found)',
    };
  }
  const shared = (await import(pathToFileURL(SHARED_FAKE).href)) as SharedFakeModule;
  const inner = await shared.startOpenAiChatFake();
  inner.reply(REPLY);
  const calls: FakeCall[] = [];
  const requests = inner.requests;
  const push = requests.push.bind(requests);
  requests.push = (...items) => {
    const now = performance.now();
    for (const item of items) {
      if (item.method === 'POST' && item.path.startsWith('/v1/chat/completions')) {
        const stream = isStream(item.body);
        calls.push({ stream, receivedAt: now, firstChunkAt: stream ? now : null, handlerMs: 0 });
      }
    }
    return push(...items);
  };
  return {
    fake: { baseUrl: `${inner.url}/v1`, calls, close: () => inner.close() },
    source: 'test/fakes/openai-chat-fake.ts (shared test fake; first chunk = request recorded, same tick)',
  };
}
