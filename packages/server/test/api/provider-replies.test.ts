import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { startAnthropicFake } from '../fakes/anthropic-fake.js';
import { startOllamaChatFake } from '../fakes/ollama-chat-fake.js';
import { type ChatFake, startOpenAiChatFake } from '../fakes/openai-chat-fake.js';
import { buildTestApp } from '../helpers.js';

/*
 * What a provider sends back is untrusted (security review): a redirect is never followed (the prompt, with the
 * user's contexts, must not be posted to another origin, and another host's page must not become the reply), and
 * replies are bounded: a complete answer over the limit is refused, a stream is cut at the limit with a notice, and
 * error bodies are read only in part. Each provider's fake redirects to an "elsewhere" fake of the same protocol.
 */

type Provider = 'openai' | 'anthropic' | 'ollama';
const PROVIDERS: Provider[] = ['openai', 'anthropic', 'ollama'];
const LABEL: Record<Provider, string> = { openai: 'OpenAI', anthropic: 'Anthropic', ollama: 'Ollama' };
const CHAT_PATH: Record<Provider, string> = {
  openai: '/v1/chat/completions',
  anthropic: '/v1/messages',
  ollama: '/api/chat',
};
const VALIDATE_PATH: Record<Provider, string> = {
  openai: '/v1/models',
  anthropic: '/v1/messages',
  ollama: '/api/tags',
};
const MAX_REPLY_BYTES = 1024 * 1024;
const NOTICE = `\n\n[Reply truncated: it reached the limit of ${MAX_REPLY_BYTES} bytes.]`;
const SECRET_IN_LOCATION = 'token-in-the-location-7c1e';

interface Envelope {
  error_code: string;
  message: string;
  detail: string;
  details: Record<string, unknown>;
}

const fakes = {} as Record<Provider, ChatFake>;
const elsewhere = {} as Record<Provider, ChatFake>;
/** Default reply limit, a five-second provider deadline, Ollama auto-pull on. */
let app: FastifyInstance;

beforeAll(async () => {
  const started = await Promise.all([
    startOpenAiChatFake(),
    startAnthropicFake(),
    startOllamaChatFake(),
    startOpenAiChatFake(),
    startAnthropicFake(),
    startOllamaChatFake({ installed: ['llama3.2:latest', 'qwen2.5:7b'] }),
  ]);
  PROVIDERS.forEach((p, i) => {
    fakes[p] = started[i]!;
    elsewhere[p] = started[i + 3]!;
  });
  app = await buildTestApp({
    CONTEXTPILOT_RATE_LIMIT_ENABLED: 'false',
    CONTEXTPILOT_AI_TIMEOUT_SECONDS: '5',
    CONTEXTPILOT_OPENAI_API_KEY: 'sk-replies-openai-3d5f7a',
    CONTEXTPILOT_OPENAI_BASE_URL: `${fakes.openai.url}/v1`,
    CONTEXTPILOT_ANTHROPIC_API_KEY: 'sk-ant-replies-9b1d3f',
    CONTEXTPILOT_ANTHROPIC_BASE_URL: fakes.anthropic.url,
    CONTEXTPILOT_OLLAMA_BASE_URL: fakes.ollama.url,
    CONTEXTPILOT_OLLAMA_AUTO_PULL: 'true',
  });
});

afterAll(async () => {
  await app.close();
  await Promise.all(PROVIDERS.flatMap((p) => [fakes[p].close(), elsewhere[p].close()]));
});

beforeEach(() => {
  for (const p of PROVIDERS) {
    fakes[p].reply('Hello from the fake model.');
  }
});

/** Where a redirect points: the same path on the "elsewhere" fake, with a secret in the query. */
const location = (provider: Provider, path: string) => `${elsewhere[provider].url}${path}?key=${SECRET_IN_LOCATION}`;

function chat(provider: Provider, stream = false, model?: string): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url: stream ? '/ai/chat/stream' : '/ai/chat',
    payload: { task: `What does ${provider} send back?`, provider, max_context_units: 0, ...(model ? { model } : {}) },
  });
}

async function conversationCount(): Promise<number> {
  const res = await app.inject({ method: 'GET', url: '/ai/conversations?limit=200' });
  return res.json<{ count: number }>().count;
}

function parseSse(text: string): { event: string; data: unknown }[] {
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

/** An error envelope that names the provider and says why, without the redirect's target. */
function expectRedirectError(error: Envelope & { status?: number }, provider: Provider): void {
  expect(error.error_code).toBe('AI_SERVICE_ERROR');
  expect(error.message).toMatch(
    new RegExp(
      `^${LABEL[provider]} answered with a redirect \\(HTTP 30\\d\\), which is not followed\\. Check the ${LABEL[provider]} base URL\\.$`,
    ),
  );
  expect(error.detail).toBe(error.message);
  expect(error.details).toEqual({ provider });
  expect(JSON.stringify(error)).not.toContain(SECRET_IN_LOCATION);
  expect(JSON.stringify(error)).not.toContain(elsewhere[provider].url);
}

describe('redirects from providers are never followed', () => {
  it.each(PROVIDERS)('%s chat: a 307 is a 502 naming the provider; the prompt goes nowhere else', async (provider) => {
    const before = await conversationCount();
    const from = elsewhere[provider].requests.length;
    fakes[provider].failNext({ redirect: 307, location: location(provider, CHAT_PATH[provider]) });
    const res = await chat(provider);
    expect(res.statusCode, res.body).toBe(502);
    expectRedirectError(res.json<Envelope>(), provider);
    expect(elsewhere[provider].requests.length).toBe(from);
    expect(await conversationCount()).toBe(before);
  });

  it.each(PROVIDERS)('%s chat: a 302 to another host does not become the reply', async (provider) => {
    const from = elsewhere[provider].requests.length;
    elsewhere[provider].reply('A page from another host.');
    fakes[provider].failNext({ redirect: 302, location: location(provider, CHAT_PATH[provider]) });
    const res = await chat(provider);
    expect(res.statusCode, res.body).toBe(502);
    expect(res.body).not.toContain('another host');
    expect(elsewhere[provider].requests.length).toBe(from);
  });

  it.each(PROVIDERS)('%s stream: a redirect ends the stream with an error event', async (provider) => {
    const before = await conversationCount();
    const from = elsewhere[provider].requests.length;
    fakes[provider].failNext({ redirect: 308, location: location(provider, CHAT_PATH[provider]) });
    const res = await chat(provider, true);
    expect(res.statusCode).toBe(200);
    const events = parseSse(res.body);
    expect(events.map((e) => e.event)).toEqual(['meta', 'error']);
    const error = events[1]?.data as Envelope & { status: number };
    expect(error.status).toBe(502);
    expectRedirectError(error, provider);
    expect(elsewhere[provider].requests.length).toBe(from);
    expect(await conversationCount()).toBe(before);
  });

  it.each(PROVIDERS)('%s validate: a redirect is reported as a failed check, not followed', async (provider) => {
    const from = elsewhere[provider].requests.length;
    fakes[provider].failNext(
      { redirect: 307, location: location(provider, VALIDATE_PATH[provider]) },
      1,
      VALIDATE_PATH[provider],
    );
    const res = await app.inject({ method: 'POST', url: `/providers/${provider}/validate` });
    expect(res.statusCode, res.body).toBe(200);
    const result = res.json<{ valid: boolean; message: string }>();
    expect(result.valid).toBe(false);
    expect(result.message).toContain(`${LABEL[provider]} answered with a redirect (HTTP 307), which is not followed.`);
    expect(result.message).not.toContain(SECRET_IN_LOCATION);
    expect(elsewhere[provider].requests.length).toBe(from);
  });

  it('model listing: an Ollama whose /api/tags redirects is not reachable and lists nothing', async () => {
    const from = elsewhere.ollama.requests.length;
    fakes.ollama.failNext({ redirect: 302, location: location('ollama', '/api/tags') }, 1, '/api/tags');
    const res = await app.inject({ method: 'GET', url: '/providers' });
    const ollama = res.json<{ providers: { name: string; reachable?: boolean; available_models: string[] }[] }>()
      .providers[2];
    expect(ollama).toMatchObject({ name: 'ollama', reachable: false, available_models: [] });
    expect(elsewhere.ollama.requests.length).toBe(from);
  });

  it('Ollama pull: a redirected /api/pull is not followed', async () => {
    const from = elsewhere.ollama.requests.length;
    fakes.ollama.failNext({ redirect: 307, location: location('ollama', '/api/pull') }, 1, '/api/pull');
    const res = await chat('ollama', false, 'qwen2.5:7b');
    expect(res.statusCode, res.body).toBe(502);
    expectRedirectError(res.json<Envelope>(), 'ollama');
    expect(elsewhere.ollama.requests.length).toBe(from);
    expect(fakes.ollama.requests.filter((r) => r.path === '/api/pull').length).toBeGreaterThan(0);
  });
});

describe('reply size', () => {
  it.each(PROVIDERS)('%s: a complete answer of 5 MiB is refused with 502 and not stored', async (provider) => {
    const before = await conversationCount();
    fakes[provider].reply(['r'.repeat(5 * 1024 * 1024)]);
    const res = await chat(provider);
    expect(res.statusCode).toBe(502);
    const error = res.json<Envelope>();
    expect(error.message).toBe(`${LABEL[provider]} sent a reply larger than the limit of ${MAX_REPLY_BYTES} bytes.`);
    expect(error.details).toEqual({ provider });
    expect(await conversationCount()).toBe(before);
  });

  it.each(PROVIDERS)(
    '%s: a 5 MiB stream is cut at the limit with a notice; done and the stored conversation hold at most the limit',
    async (provider) => {
      fakes[provider].reply(Array.from({ length: 80 }, (_, i) => `${i % 10}`.repeat(64 * 1024)));
      const res = await chat(provider, true);
      expect(res.statusCode).toBe(200);
      const events = parseSse(res.body);
      expect(events[0]?.event).toBe('meta');
      expect(events.at(-1)?.event).toBe('done');
      const done = events.at(-1)?.data as { response: string; finish_reason: string; conversation_id: string };
      expect(done.response.endsWith(NOTICE)).toBe(true);
      expect(Buffer.byteLength(done.response)).toBeLessThanOrEqual(MAX_REPLY_BYTES);
      expect(Buffer.byteLength(done.response)).toBeGreaterThan(MAX_REPLY_BYTES - 64 * 1024);
      expect(done.finish_reason).toBe('reply_limit');
      const streamed = events
        .filter((e) => e.event === 'delta')
        .map((e) => (e.data as { text: string }).text)
        .join('');
      expect(streamed).toBe(done.response);
      const stored = await app.inject({ method: 'GET', url: `/ai/conversations/${done.conversation_id}` });
      const messages = stored.json<{ messages: { role: string; content: string }[] }>().messages;
      expect(messages.at(-1)).toMatchObject({ role: 'assistant', content: done.response });
    },
  );

  it.each(PROVIDERS)(
    '%s: a stream event larger than the limit ends the stream with an error event',
    async (provider) => {
      const before = await conversationCount();
      fakes[provider].reply(['e'.repeat(2 * MAX_REPLY_BYTES)]);
      const res = await chat(provider, true);
      const events = parseSse(res.body);
      expect(events.map((e) => e.event)).toEqual(['meta', 'error']);
      expect(events[1]?.data).toMatchObject({
        status: 502,
        message: `${LABEL[provider]} sent a reply larger than the limit of ${MAX_REPLY_BYTES} bytes.`,
      });
      expect(await conversationCount()).toBe(before);
    },
  );

  it.each(PROVIDERS)('%s: an error body that never ends is read only in part', async (provider) => {
    fakes[provider].failNext({ endlessBody: 400 });
    const res = await chat(provider);
    expect(res.statusCode, res.body).toBe(400);
    const error = res.json<Envelope>();
    expect(error.message).toMatch(new RegExp(`^${LABEL[provider]} (request failed|API error)`));
    expect(error.message.length).toBeLessThan(500);
  });

  it.each(PROVIDERS)('%s: an answer that never ends is refused at the limit', async (provider) => {
    fakes[provider].failNext({ endlessBody: 200 });
    const res = await chat(provider);
    expect(res.statusCode, res.body).toBe(502);
    expect(res.json<Envelope>().message).toBe(
      `${LABEL[provider]} sent a reply larger than the limit of ${MAX_REPLY_BYTES} bytes.`,
    );
  });
});
