import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';

import { ERROR_CODES, ErrorEnvelope } from '@contextpilot/contract';

import { startAnthropicFake } from '../fakes/anthropic-fake.js';
import { startOllamaChatFake } from '../fakes/ollama-chat-fake.js';
import { type ChatFake, type RecordedChatRequest, startOpenAiChatFake } from '../fakes/openai-chat-fake.js';
import { buildTestApp, listenOnLoopback } from '../helpers.js';

/*
 * POST /ai/chat/stream: the chat answered as Server-Sent Events (`meta`, `delta`…, then `done` or `error`). Checked
 * against the three provider fakes; the disconnect tests use real HTTP so the client can go away mid-stream.
 */

const API_KEY = 'cp-stream-test-api-key-3e9a1f7c5b';
const SYSTEM = 'You are a helpful AI assistant with access to personalized context.';
/** Pace of the fakes' `slow-stream` mode. */
const SLOW_DELTA_MS = 150;

type Provider = 'openai' | 'anthropic' | 'ollama';
const PROVIDERS: Provider[] = ['openai', 'anthropic', 'ollama'];
const MODEL: Record<Provider, string> = { openai: 'gpt-4o', anthropic: 'claude-haiku-4-5', ollama: 'llama3.2:latest' };
const CHAT_PATHS = ['/v1/chat/completions', '/v1/messages', '/api/chat'];

interface SseEvent {
  event: string;
  data: unknown;
}

interface Meta {
  conversation_id: string;
  provider: string;
  model: string;
  task: string;
  prompt_used: string;
  contexts: { id: string; relevance_score: number; score_breakdown: Record<string, unknown> }[];
}

interface Done {
  conversation_id: string;
  task: string;
  response: string;
  provider: string;
  model: string;
  context_ids: string[];
  prompt_used: string;
  timestamp: string;
  contexts: { id: string; relevance_score: number }[];
  finish_reason: string | null;
  tokens: number | null;
}

interface StreamError {
  error_code: string;
  message: string;
  detail: string;
  details: Record<string, unknown>;
  status: number;
}

let openai: ChatFake;
let anthropic: ChatFake;
let ollama: ChatFake;
let app: FastifyInstance;
let baseUrl: string;

const fakes = (): Record<Provider, ChatFake> => ({ openai, anthropic, ollama });

beforeAll(async () => {
  [openai, anthropic, ollama] = await Promise.all([
    startOpenAiChatFake({ slowDeltaMs: SLOW_DELTA_MS }),
    startAnthropicFake({ slowDeltaMs: SLOW_DELTA_MS }),
    startOllamaChatFake({ slowDeltaMs: SLOW_DELTA_MS }),
  ]);
  app = await buildTestApp({
    CONTEXTPILOT_ENABLE_AUTH: 'true',
    CONTEXTPILOT_API_KEY: API_KEY,
    CONTEXTPILOT_RATE_LIMIT_ENABLED: 'false',
    CONTEXTPILOT_OPENAI_API_KEY: 'sk-test-stream-openai',
    CONTEXTPILOT_OPENAI_BASE_URL: `${openai.url}/v1`,
    CONTEXTPILOT_ANTHROPIC_API_KEY: 'sk-ant-test-stream',
    CONTEXTPILOT_ANTHROPIC_BASE_URL: anthropic.url,
    CONTEXTPILOT_OLLAMA_BASE_URL: ollama.url,
  });
  baseUrl = await listenOnLoopback(app);
});

afterAll(async () => {
  // After an aborted fetch, Node's fetch (undici) opens a fresh connection that never sends a request; such a
  // connection is not "idle" to Node, so close() would wait for the headers timeout. Every request has ended here.
  app.server.closeAllConnections();
  await app.close();
  await Promise.all([openai, anthropic, ollama].map((f) => f.close()));
});

beforeEach(() => {
  for (const fake of [openai, anthropic, ollama]) {
    fake.reply('Hello from the fake model.');
  }
});

const headers = { 'x-api-key': API_KEY, 'content-type': 'application/json' };

function parseSse(text: string): SseEvent[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const lines = block.split('\n');
      const event = lines.find((l) => l.startsWith('event: '))?.slice('event: '.length) ?? 'message';
      const data = lines
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice('data: '.length))
        .join('\n');
      return { event, data: JSON.parse(data) as unknown };
    });
}

async function stream(body: Record<string, unknown>) {
  const res = await app.inject({ method: 'POST', url: '/ai/chat/stream', headers, payload: JSON.stringify(body) });
  return res;
}

async function streamOk(body: Record<string, unknown>): Promise<SseEvent[]> {
  const res = await stream(body);
  expect(res.statusCode, res.body).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
  return parseSse(res.body);
}

async function conversationCount(): Promise<number> {
  const res = await app.inject({ method: 'GET', url: '/ai/conversations?limit=200', headers });
  expect(res.statusCode, res.body).toBe(200);
  const count = res.json<{ count: number }>().count;
  expect(count).toBeLessThan(200);
  return count;
}

function conversationStatus(id: string): Promise<number> {
  return app.inject({ method: 'GET', url: `/ai/conversations/${id}`, headers }).then((r) => r.statusCode);
}

function chatRequestsSince(fake: ChatFake, from: number): RecordedChatRequest[] {
  return fake.requests.slice(from).filter((r) => r.method === 'POST' && CHAT_PATHS.includes(r.path));
}

/** The value of `contextpilot_ai_requests_total` for a provider and status (0 when absent). */
async function aiMetric(provider: string, status: string): Promise<number> {
  const text = (await app.inject({ method: 'GET', url: '/metrics', headers })).body;
  const prefix = `contextpilot_ai_requests_total{provider="${provider}",status="${status}"} `;
  const line = text.split('\n').find((l) => l.startsWith(prefix));
  return line === undefined ? 0 : Number(line.slice(prefix.length));
}

async function createContext(content: string, tags: string[]): Promise<string> {
  const res = await app.inject({
    method: 'POST',
    url: '/contexts',
    headers,
    payload: JSON.stringify({ type: 'preference', content, tags }),
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<{ id: string }>().id;
}

describe('a streamed answer', () => {
  it('shows each context with the same rounded scores in meta, done, /ai/chat and /generate-prompt', async () => {
    const tag = 'roundedscores';
    await createContext('Rounded scores: I drink green tea every morning before work', [tag]);
    await createContext('Rounded scores: green tea tastes best without sugar', [tag]);
    const task = 'which green tea do I drink in the morning?';
    const events = await streamOk({ task, provider: 'openai', max_context_units: 2 });
    const meta = events.find((e) => e.event === 'meta')?.data as Meta;
    const done = events.find((e) => e.event === 'done')?.data as Done & { contexts: Meta['contexts'] };
    const chat = await app.inject({
      method: 'POST',
      url: '/ai/chat',
      headers,
      payload: JSON.stringify({ task, provider: 'openai', max_context_units: 2 }),
    });
    expect(chat.statusCode, chat.body).toBe(200);
    const prompt = await app.inject({
      method: 'POST',
      url: '/generate-prompt',
      headers,
      payload: JSON.stringify({ task, max_context_units: 2 }),
    });
    const ranked = prompt.json<{
      relevant_context: { context_unit: { id: string }; relevance_score: number; score_breakdown: object }[];
    }>().relevant_context;
    const fromPrompt = ranked.map((r) => ({
      id: r.context_unit.id,
      relevance_score: r.relevance_score,
      score_breakdown: r.score_breakdown,
    }));
    expect(fromPrompt).toHaveLength(2);
    expect(meta.contexts).toEqual(fromPrompt);
    expect(done.contexts).toEqual(fromPrompt);
    expect(chat.json<{ contexts: unknown }>().contexts).toEqual(fromPrompt);
    // Six decimals at most, in the score and in every part of its breakdown.
    const numbers = JSON.stringify(meta.contexts).match(/-?\d+\.\d+(e-?\d+)?/g) ?? [];
    expect(numbers.length).toBeGreaterThan(0);
    for (const n of numbers) {
      expect(Number(n)).toBe(Math.round(Number(n) * 1e6) / 1e6);
    }
  });

  it.each(PROVIDERS)(
    '%s: meta, then the deltas, then done with the full answer; the turn is saved',
    async (provider) => {
      const fake = fakes()[provider];
      const contextId = await createContext(`Streaming ${provider}: answers should be short and friendly`, [provider]);
      const deltas = ['Streaming ', 'answer ', 'from ', `${provider}.`];
      fake.reply(deltas);
      const from = fake.requests.length;
      const events = await streamOk({ task: `Stream a short ${provider} answer`, provider, model: MODEL[provider] });

      expect(events.map((e) => e.event)).toEqual(['meta', 'delta', 'delta', 'delta', 'delta', 'done']);
      const meta = events[0]?.data as Meta;
      expect(meta.provider).toBe(provider);
      expect(meta.model).toBe(MODEL[provider]);
      expect(meta.task).toBe(`Stream a short ${provider} answer`);
      expect(meta.contexts.length).toBeGreaterThan(0);
      expect(meta.contexts.map((c) => c.id)).toContain(contextId);
      for (const c of meta.contexts) {
        expect(c.relevance_score).toBeGreaterThanOrEqual(0);
        expect(c.relevance_score).toBeLessThanOrEqual(1);
        expect(typeof c.score_breakdown).toBe('object');
      }
      const texts = events.filter((e) => e.event === 'delta').map((e) => (e.data as { text: string }).text);
      expect(texts).toEqual(deltas);

      const done = events.at(-1)?.data as Done;
      expect(done.conversation_id).toBe(meta.conversation_id);
      expect(done.response).toBe(texts.join(''));
      expect(done.provider).toBe(provider);
      expect(done.model).toBe(MODEL[provider]);
      expect(done.prompt_used).toBe(meta.prompt_used);
      expect(done.context_ids).toEqual(meta.contexts.map((c) => c.id));
      expect(done.finish_reason).not.toBeNull();
      expect(done.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);

      // The provider was asked for a stream, with the same request shape as the plain chat.
      const sent = chatRequestsSince(fake, from);
      expect(sent).toHaveLength(1);
      const body = sent[0]?.body as Record<string, unknown>;
      expect(body.stream).toBe(true);
      const messages = body.messages as { role: string; content: string }[];
      expect(messages.at(-1)).toEqual({ role: 'user', content: meta.prompt_used });
      expect(provider === 'anthropic' ? body.system : messages[0]?.content).toBe(SYSTEM);

      const saved = await app.inject({ method: 'GET', url: `/ai/conversations/${meta.conversation_id}`, headers });
      expect(saved.statusCode).toBe(200);
      expect(
        saved.json<{ messages: { role: string; content: string }[] }>().messages.map((m) => [m.role, m.content]),
      ).toEqual([
        ['user', meta.prompt_used],
        ['assistant', done.response],
      ]);
    },
  );

  it('continues a conversation: meta keeps its id and the reply is appended', async () => {
    const first = parseSse((await stream({ task: 'Start a streamed conversation', provider: 'openai' })).body);
    const id = (first[0]?.data as Meta).conversation_id;
    openai.reply(['Second ', 'turn.']);
    const events = await streamOk({
      task: 'Continue it',
      provider: 'openai',
      conversation_id: id,
      max_context_units: 0,
    });
    expect((events[0]?.data as Meta).conversation_id).toBe(id);
    expect((events.at(-1)?.data as Done).response).toBe('Second turn.');
    const saved = await app.inject({ method: 'GET', url: `/ai/conversations/${id}`, headers });
    expect(saved.json<{ messages: unknown[] }>().messages).toHaveLength(4);
  });

  it('the model that answered is reported in done (attribution)', async () => {
    anthropic.reply(['Attributed.'], { model: 'claude-haiku-4-5-20251001' });
    const events = await streamOk({
      task: 'Who answered the stream?',
      provider: 'anthropic',
      model: 'claude-haiku-4-5',
    });
    expect((events[0]?.data as Meta).model).toBe('claude-haiku-4-5');
    expect((events.at(-1)?.data as Done).model).toBe('claude-haiku-4-5-20251001');
  });
});

describe('errors', () => {
  it('an error found before the provider call is an ordinary JSON error response', async () => {
    const before = await conversationCount();
    const from = openai.requests.length;
    const res = await stream({ task: 'Unknown model', provider: 'openai', model: 'gpt-9' });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const body = res.json<{ message: string; detail: string; error_code: string }>();
    expect(body.message).toMatch(/^Model 'gpt-9' is not supported for provider 'openai'\. Valid models: gpt-5\.2, /);
    expect(body.detail).toBe(body.message);
    expect(openai.requests.length).toBe(from);
    expect(await conversationCount()).toBe(before);

    const unknown = await stream({
      task: 'Unknown conversation',
      provider: 'openai',
      conversation_id: 'no-such-conversation',
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json<{ message: string }>().message).toBe('Conversation no-such-conversation not found');
    const invalid = await stream({ task: 'Bad body', provider: 'openai', max_context_units: 99 });
    expect(invalid.statusCode).toBe(422);
  });

  it.each(PROVIDERS)('%s: a stream cut off mid-answer ends with an error event and saves nothing', async (provider) => {
    const fake = fakes()[provider];
    fake.reply(['one ', 'two ', 'three ', 'four ', 'five ', 'six.']);
    fake.failNext('cut-stream');
    const before = await conversationCount();
    const events = await streamOk({ task: `A stream that breaks (${provider})`, provider, model: MODEL[provider] });
    expect(events[0]?.event).toBe('meta');
    expect(events.at(-1)?.event).toBe('error');
    expect(events.filter((e) => e.event === 'done')).toHaveLength(0);
    const error = events.at(-1)?.data as StreamError;
    expect(error.status).toBe(502);
    expect(error.error_code).toBe('AI_SERVICE_ERROR');
    expect(error.detail).toBe(error.message);
    expect(error.details).toEqual({ provider });
    expect(await conversationCount()).toBe(before);
    expect(await conversationStatus((events[0]?.data as Meta).conversation_id)).toBe(404);
  });

  it.each(PROVIDERS)('%s: a provider refusal after meta ends with an error event (status 400)', async (provider) => {
    const fake = fakes()[provider];
    fake.failNext(401);
    const before = await conversationCount();
    const events = await streamOk({ task: `A refused stream (${provider})`, provider, model: MODEL[provider] });
    expect(events.map((e) => e.event)).toEqual(['meta', 'error']);
    const error = events[1]?.data as StreamError;
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/authentication failed/i);
    expect(await conversationCount()).toBe(before);
  });

  it('the error event is an error envelope of the contract plus the status', async () => {
    openai.reply(['one ', 'two.']);
    openai.failNext('cut-stream');
    const events = await streamOk({ task: 'A stream whose error is checked', provider: 'openai', model: MODEL.openai });
    const { status, ...body } = events.at(-1)?.data as StreamError;
    expect(status).toBe(502);
    expect(ErrorEnvelope.strict().parse(body)).toEqual(body);
    expect(Object.values(ERROR_CODES)).toContain(body.error_code);
    expect(Object.keys(events.at(-1)?.data as object)).toEqual([
      'error_code',
      'message',
      'detail',
      'details',
      'status',
    ]);
  });

  it.each(PROVIDERS)('%s: malformed stream data ends with an error event and saves nothing', async (provider) => {
    const fake = fakes()[provider];
    fake.failNext('malformed-json');
    const before = await conversationCount();
    const events = await streamOk({ task: `A garbled stream (${provider})`, provider, model: MODEL[provider] });
    expect(events[0]?.event).toBe('meta');
    expect(events.at(-1)?.event).toBe('error');
    expect((events.at(-1)?.data as StreamError).status).toBe(502);
    expect(await conversationCount()).toBe(before);
  });
});

describe('a client that goes away', () => {
  it.each(PROVIDERS)(
    '%s: closing the connection mid-stream closes the provider call and saves nothing',
    async (provider) => {
      const fake = fakes()[provider];
      const words = Array.from({ length: 30 }, (_, i) => `word${i} `);
      fake.reply(words);
      fake.failNext('slow-stream');
      const before = await conversationCount();
      const from = fake.requests.length;
      const serverErrors = await aiMetric(provider, 'server_error');
      const clientErrors = await aiMetric(provider, 'client_error');

      const controller = new AbortController();
      const res = await fetch(`${baseUrl}/ai/chat/stream`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ task: `A stream the client abandons (${provider})`, provider, model: MODEL[provider] }),
        signal: controller.signal,
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      const decoder = new TextDecoder();
      let received = '';
      // Read until the first delta has arrived, then hang up.
      while (!received.includes('event: delta')) {
        const next = await reader.read();
        if (next.done) {
          throw new Error(`the stream ended early: ${received}`);
        }
        received += decoder.decode(next.value, { stream: true });
      }
      const meta = parseSse(received.slice(0, received.indexOf('\n\n') + 2))[0]?.data as Meta;
      controller.abort();
      await reader.cancel().catch(() => undefined);

      const sent = chatRequestsSince(fake, from);
      expect(sent).toHaveLength(1);
      // The fake sees its connection closed long before its 30 slow deltas (4.5 s) are written.
      await vi.waitFor(() => expect(sent[0]?.closedEarly).toBe(true), { timeout: 3000, interval: 20 });
      // Counted as the client's doing, never as a provider (server) error.
      await vi.waitFor(async () => expect(await aiMetric(provider, 'client_error')).toBe(clientErrors + 1), {
        timeout: 3000,
        interval: 20,
      });
      expect(await aiMetric(provider, 'server_error')).toBe(serverErrors);

      // A later chat is saved; the abandoned one never is.
      fake.reply('After the abandoned stream.');
      const after = await streamOk({
        task: `After an abandoned stream (${provider})`,
        provider,
        model: MODEL[provider],
      });
      expect(after.at(-1)?.event).toBe('done');
      expect(await conversationCount()).toBe(before + 1);
      expect(await conversationStatus(meta.conversation_id)).toBe(404);
    },
  );
});
