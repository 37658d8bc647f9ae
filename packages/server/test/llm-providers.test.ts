import { afterEach, describe, expect, it, vi } from 'vitest';

import { createAnthropicProvider } from '../src/providers/llm/anthropic.js';
import { createLlmProvider } from '../src/providers/llm/create-provider.js';
import {
  type ChatRequest,
  type LlmProvider,
  type LlmProviderOptions,
  type ProviderConnection,
  ProviderError,
} from '../src/providers/llm/llm.js';
import { createOllamaProvider } from '../src/providers/llm/ollama.js';
import { createOpenAiProvider, usesMaxCompletionTokens } from '../src/providers/llm/openai.js';
import { startAnthropicFake } from './fakes/anthropic-fake.js';
import { startOllamaChatFake } from './fakes/ollama-chat-fake.js';
import {
  type ChatFake,
  FAKE_INPUT_TOKENS,
  type RecordedChatRequest,
  startOpenAiChatFake,
} from './fakes/openai-chat-fake.js';
import { closedPortUrl } from './helpers.js';

const KEY = 'sk-test-4f1c9a7e2b8d-secret';
const SYSTEM = 'You are a helpful AI assistant with access to personalized context.';
const HISTORY = [
  { role: 'user' as const, content: 'first question' },
  { role: 'assistant' as const, content: 'first answer' },
  { role: 'user' as const, content: 'second question' },
];
/** Settings for tests that do not count retries: one attempt, no waiting. */
const NO_RETRIES: LlmProviderOptions = { maxRetries: 0 };

const open: ChatFake[] = [];

afterEach(async () => {
  vi.unstubAllEnvs();
  await Promise.all(open.splice(0).map((fake) => fake.close()));
});

async function track(started: Promise<ChatFake>): Promise<ChatFake> {
  const fake = await started;
  open.push(fake);
  return fake;
}

function chatRequest(overrides: Partial<ChatRequest> = {}): ChatRequest {
  return { model: 'gpt-4o', system: SYSTEM, messages: HISTORY, temperature: 0.7, maxTokens: 321, ...overrides };
}

/** The error a call rejected with; fails the test if it resolved or threw anything but a ProviderError. */
async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const outcome = await promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if (!('error' in outcome)) {
    throw new Error(`expected a ProviderError, got ${JSON.stringify(outcome.value)}`);
  }
  expect(outcome.error).toBeInstanceOf(ProviderError);
  return outcome.error as ProviderError;
}

function bodyOf(request: RecordedChatRequest | undefined): Record<string, unknown> {
  const body = request?.body;
  if (typeof body !== 'object' || body === null) {
    throw new Error('the request has no JSON body');
  }
  return body as Record<string, unknown>;
}

/** The key appears in exactly the expected header and nowhere else (other headers, body, URL). */
function expectKeyOnlyIn(request: RecordedChatRequest | undefined, header: string, value: string): void {
  expect(request?.headers[header]).toBe(value);
  for (const [name, sent] of Object.entries(request?.headers ?? {})) {
    if (name !== header) {
      expect(String(sent)).not.toContain(KEY);
    }
  }
  expect(JSON.stringify(request?.body ?? null)).not.toContain(KEY);
  expect(request?.path).not.toContain(KEY);
}

/** Collects the deltas of a stream call. */
async function streamed(provider: LlmProvider, request: ChatRequest) {
  const deltas: string[] = [];
  const result = await provider.stream(request, (text) => deltas.push(text));
  return { deltas, result };
}

/** Starts a slow stream, aborts after `after` deltas, and returns the error and the deltas seen. */
async function abortMidStream(provider: LlmProvider, request: ChatRequest, after = 2) {
  const controller = new AbortController();
  const deltas: string[] = [];
  const error = await failure(
    provider.stream({ ...request, signal: controller.signal }, (text) => {
      deltas.push(text);
      if (deltas.length === after) {
        controller.abort();
      }
    }),
  );
  return { error, deltas };
}

// ---------------------------------------------------------------------------------------------------------------
describe('OpenAI provider', () => {
  async function setup(
    fakeOptions: Parameters<typeof startOpenAiChatFake>[0] = {},
    options = NO_RETRIES,
    conn: Partial<ProviderConnection> = {},
  ) {
    const fake = await track(startOpenAiChatFake({ apiKey: KEY, ...fakeOptions }));
    const provider = createOpenAiProvider(
      { apiKey: KEY, baseUrl: `${fake.url}/v1`, timeoutMs: 5_000, ...conn },
      options,
    );
    return { fake, provider };
  }

  it('sends the system prompt first, then the history in order, with max_tokens and temperature for gpt-4o', async () => {
    const { fake, provider } = await setup();
    fake.reply('Hi there, friend.');
    const result = await provider.chat(chatRequest({ topP: 0.9 }));

    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]?.method).toBe('POST');
    expect(fake.requests[0]?.path).toBe('/v1/chat/completions');
    expect(bodyOf(fake.requests[0])).toEqual({
      model: 'gpt-4o',
      messages: [{ role: 'system', content: SYSTEM }, ...HISTORY],
      max_tokens: 321,
      temperature: 0.7,
      top_p: 0.9,
    });
    expect(result).toEqual({
      text: 'Hi there, friend.',
      model: 'gpt-4o',
      finishReason: 'stop',
      tokens: FAKE_INPUT_TOKENS + 3,
    });
  });

  it.each(['gpt-5.2', 'gpt-5', 'o1', 'o3-mini'])(
    'sends max_completion_tokens and no temperature or max_tokens for %s',
    async (model) => {
      const { fake, provider } = await setup();
      await provider.chat(chatRequest({ model, temperature: 0.7, maxTokens: 123 }));
      const body = bodyOf(fake.requests[0]);
      expect(body.max_completion_tokens).toBe(123);
      expect(body).not.toHaveProperty('max_tokens');
      expect(body).not.toHaveProperty('temperature');
      expect(usesMaxCompletionTokens(model)).toBe(true);
    },
  );

  it('omits temperature when it is null and top_p when it is not set', async () => {
    const { fake, provider } = await setup();
    await provider.chat(chatRequest({ temperature: null, topP: null }));
    const body = bodyOf(fake.requests[0]);
    expect(body).not.toHaveProperty('temperature');
    expect(body).not.toHaveProperty('top_p');
    expect(body.max_tokens).toBe(321);
  });

  it('sends the key as a Bearer token and nowhere else, with no organisation or project header', async () => {
    const { fake, provider } = await setup();
    await provider.chat(chatRequest());
    expectKeyOnlyIn(fake.requests[0], 'authorization', `Bearer ${KEY}`);
    expect(fake.requests[0]?.headers).not.toHaveProperty('openai-organization');
    expect(fake.requests[0]?.headers).not.toHaveProperty('openai-project');
  });

  it('reports the model the provider names, and the requested one when it names none', async () => {
    const { fake, provider } = await setup();
    fake.reply('ok', { model: 'gpt-4o-2024-08-06', finishReason: 'length', usage: { input: 5, output: 7 } });
    expect(await provider.chat(chatRequest())).toMatchObject({
      model: 'gpt-4o-2024-08-06',
      finishReason: 'length',
      tokens: 12,
    });
    fake.reply('ok', { model: '' });
    expect((await provider.chat(chatRequest())).model).toBe('gpt-4o');
  });

  it('accepts an empty answer', async () => {
    const { fake, provider } = await setup();
    fake.reply([]);
    expect((await provider.chat(chatRequest())).text).toBe('');
  });

  it('streams deltas that add up to the final text, with usage from the last chunk', async () => {
    const { fake, provider } = await setup();
    fake.reply(['Stream', 'ing ', 'works', '.'], { model: 'gpt-4o-2024-08-06' });
    const { deltas, result } = await streamed(provider, chatRequest());

    expect(deltas).toEqual(['Stream', 'ing ', 'works', '.']);
    expect(result).toEqual({
      text: 'Streaming works.',
      model: 'gpt-4o-2024-08-06',
      finishReason: 'stop',
      tokens: FAKE_INPUT_TOKENS + 4,
    });
    const body = bodyOf(fake.requests[0]);
    expect(body.stream).toBe(true);
    expect(body.stream_options).toEqual({ include_usage: true });
    expect(body.messages).toEqual([{ role: 'system', content: SYSTEM }, ...HISTORY]);
  });

  it('stops a stream when the request signal aborts, and the connection closes', async () => {
    const { fake, provider } = await setup({ slowDeltaMs: 40 });
    fake.reply(['a ', 'b ', 'c ', 'd ', 'e ', 'f ', 'g']);
    fake.failNext('slow-stream');
    const { error, deltas } = await abortMidStream(provider, chatRequest());

    expect(error.failure).toBe('aborted');
    expect(error.message).toBe('OpenAI request was aborted');
    expect(deltas).toEqual(['a ', 'b ']);
    await expect.poll(() => fake.requests[0]?.closedEarly).toBe(true);
  });

  it('does not call the provider when the signal is already aborted', async () => {
    const { fake, provider } = await setup();
    const error = await failure(provider.chat(chatRequest({ signal: AbortSignal.abort() })));
    expect(error.failure).toBe('aborted');
    expect(fake.requests).toHaveLength(0);
  });

  it.each([
    [
      401,
      'rejected',
      'OpenAI authentication failed. The configured API key was rejected. Please verify the key in Settings → OpenAI.',
    ],
    [
      403,
      'rejected',
      'OpenAI authentication failed. The configured API key was rejected. Please verify the key in Settings → OpenAI.',
    ],
    [
      404,
      'rejected',
      "OpenAI model 'gpt-4o' was not found for this account or endpoint. Select a valid OpenAI model in Settings.",
    ],
    [
      429,
      'rejected',
      'OpenAI rate limit or quota exceeded. Please check usage limits and billing on your OpenAI account.',
    ],
    [
      500,
      'unavailable',
      'OpenAI request failed (500): The server had an error while processing your request. Sorry about that!',
    ],
    [503, 'unavailable', 'OpenAI request failed (503): The engine is currently overloaded, please try again later'],
    [400, 'rejected', 'OpenAI request failed (400): Invalid request: the fake was told to refuse it.'],
  ] as const)('maps HTTP %i to %s with the v1 message', async (status, kind, message) => {
    const { fake, provider } = await setup();
    fake.failNext(status);
    const error = await failure(provider.chat(chatRequest()));
    expect(error.failure).toBe(kind);
    expect(error.message).toBe(message);
    expect(error.provider).toBe('openai');
  });

  it('maps the same statuses on a stream', async () => {
    const { fake, provider } = await setup();
    fake.failNext(404);
    const error = await failure(provider.stream(chatRequest({ model: 'gpt-4o-mini' }), () => undefined));
    expect(error.message).toContain("'gpt-4o-mini' was not found");
  });

  it('never shows the key even when the provider echoes it in an error', async () => {
    const echo: typeof fetch = () =>
      Promise.resolve(
        new Response(
          JSON.stringify({
            error: { message: `Key ${KEY} is not valid for this project`, type: 'invalid_request_error' },
          }),
          {
            status: 400,
            headers: { 'content-type': 'application/json' },
          },
        ),
      );
    const provider = createOpenAiProvider(
      { apiKey: KEY, baseUrl: 'http://127.0.0.1:9/v1', timeoutMs: 5_000 },
      { ...NO_RETRIES, fetch: echo },
    );
    const error = await failure(provider.chat(chatRequest()));
    expect(error.message).toBe('OpenAI request failed (400): Key [redacted] is not valid for this project');
  });

  it('reports a refused connection as unavailable', async () => {
    const provider = createOpenAiProvider(
      { apiKey: KEY, baseUrl: `${await closedPortUrl()}/v1`, timeoutMs: 5_000 },
      NO_RETRIES,
    );
    const error = await failure(provider.chat(chatRequest()));
    expect(error.failure).toBe('unavailable');
    expect(error.message).toBe('Cannot connect to OpenAI API. Check your network or OpenAI base URL configuration.');
  });

  it('times out a provider that never answers, within one deadline even with retries on', async () => {
    const { fake, provider } = await setup({}, { maxRetries: 2 }, { timeoutMs: 200 });
    fake.failNext('hang', 3);
    const started = performance.now();
    const error = await failure(provider.chat(chatRequest()));
    expect(error.failure).toBe('timeout');
    expect(error.message).toBe('OpenAI did not answer within 0.2 seconds');
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(fake.requests).toHaveLength(1);
  });

  it('bounds the silence between stream events, not the whole stream', async () => {
    const { fake, provider } = await setup({ slowDeltaMs: 60 }, NO_RETRIES, { timeoutMs: 250 });
    fake.reply(['a ', 'b ', 'c ', 'd ', 'e ', 'f ', 'g']);
    fake.failNext('slow-stream');
    const { result } = await streamed(provider, chatRequest());
    expect(result.text).toBe('a b c d e f g');

    const slow = await setup({ slowDeltaMs: 400 }, NO_RETRIES, { timeoutMs: 150 });
    slow.fake.failNext('slow-stream');
    const error = await failure(slow.provider.stream(chatRequest(), () => undefined));
    expect(error.failure).toBe('timeout');
    await expect.poll(() => slow.fake.requests[0]?.closedEarly).toBe(true);
  });

  it.each(['malformed-json', 'empty-body'] as const)('reports a %s answer as unavailable', async (mode) => {
    const { fake, provider } = await setup();
    fake.failNext(mode);
    const error = await failure(provider.chat(chatRequest()));
    expect(error.failure).toBe('unavailable');
    expect(error.message).toMatch(/^OpenAI returned a malformed response/);
  });

  it('reports a malformed or cut stream as unavailable', async () => {
    const { fake, provider } = await setup();
    fake.failNext('malformed-json');
    expect((await failure(provider.stream(chatRequest(), () => undefined))).failure).toBe('unavailable');
    fake.failNext('cut-stream');
    const cut = await failure(provider.stream(chatRequest(), () => undefined));
    expect(cut.failure).toBe('unavailable');
  });

  it('retries 5xx and 429 through the SDK (2 retries by default)', async () => {
    const { fake, provider } = await setup({ retryAfterMs: 5 }, {});
    fake.failNext(500);
    fake.reply('after a retry');
    expect((await provider.chat(chatRequest())).text).toBe('after a retry');
    expect(fake.requests).toHaveLength(2);

    fake.failNext(429, 3);
    expect((await failure(provider.chat(chatRequest()))).failure).toBe('rejected');
    expect(fake.requests).toHaveLength(5);
  });

  it("resends once with max_completion_tokens when the endpoint refuses 'max_tokens' (v1 retry)", async () => {
    const { fake, provider } = await setup({ rejectMaxTokensFor: ['gpt-4o'] });
    fake.reply('answer');
    const result = await provider.chat(chatRequest({ maxTokens: 222 }));

    expect(result.text).toBe('answer');
    expect(fake.requests).toHaveLength(2);
    expect(bodyOf(fake.requests[0])).toMatchObject({ max_tokens: 222, temperature: 0.7 });
    const second = bodyOf(fake.requests[1]);
    expect(second).toMatchObject({ max_completion_tokens: 222, temperature: 0.7 });
    expect(second).not.toHaveProperty('max_tokens');
  });

  it('does the same retry for a stream, and does not retry other 400s', async () => {
    const { fake, provider } = await setup({ rejectMaxTokensFor: ['gpt-4o'] });
    const { result } = await streamed(provider, chatRequest());
    expect(result.finishReason).toBe('stop');
    expect(fake.requests).toHaveLength(2);

    fake.failNext(400);
    await failure(provider.chat(chatRequest({ model: 'gpt-4o-mini' })));
    expect(fake.requests).toHaveLength(3);
  });

  it('validates with GET /models', async () => {
    const { fake, provider } = await setup();
    expect(await provider.validate('gpt-4o')).toEqual({
      valid: true,
      message: 'OpenAI connection and API key are valid.',
    });
    expect(fake.requests[0]).toMatchObject({ method: 'GET', path: '/v1/models' });
    expectKeyOnlyIn(fake.requests[0], 'authorization', `Bearer ${KEY}`);

    fake.failNext(401);
    expect(await provider.validate('gpt-4o')).toEqual({
      valid: false,
      message:
        'OpenAI authentication failed. The configured API key was rejected. Please verify the key in Settings → OpenAI.',
    });
    fake.failNext(404);
    expect((await provider.validate('gpt-4o')).message).toBe(
      'OpenAI resource was not found. Check your configured base URL and selected model.',
    );
  });

  it('reports validation connection failures and a missing key', async () => {
    const down = createOpenAiProvider(
      { apiKey: KEY, baseUrl: `${await closedPortUrl()}/v1`, timeoutMs: 5_000 },
      NO_RETRIES,
    );
    const result = await down.validate('gpt-4o');
    expect(result.valid).toBe(false);
    expect(result.message).toMatch(/^Cannot connect to OpenAI API\. Check network and base URL\. Details: .+/);

    const unconfigured = createOpenAiProvider({ apiKey: '', baseUrl: '', timeoutMs: 5_000 });
    expect(await unconfigured.validate('gpt-4o')).toEqual({
      valid: false,
      message: 'OpenAI API key is not configured.',
    });
    const error = await failure(unconfigured.chat(chatRequest()));
    expect(error.failure).toBe('configuration');
  });

  it('lists no models (the catalog is the allow-list)', async () => {
    const { fake, provider } = await setup();
    expect(await provider.listModels()).toBeNull();
    expect(fake.requests).toHaveLength(0);
  });

  it('ignores OPENAI_* environment variables and defaults to api.openai.com', async () => {
    const { fake, provider } = await setup();
    const decoy = await track(startOpenAiChatFake());
    vi.stubEnv('OPENAI_BASE_URL', `${decoy.url}/v1`);
    vi.stubEnv('OPENAI_API_KEY', 'sk-from-env');
    vi.stubEnv('OPENAI_ORG_ID', 'org-from-env');
    await createOpenAiProvider({ apiKey: KEY, baseUrl: `${fake.url}/v1`, timeoutMs: 5_000 }, NO_RETRIES).chat(
      chatRequest(),
    );
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]?.headers).not.toHaveProperty('openai-organization');
    expect(decoy.requests).toHaveLength(0);
    expect(provider.name).toBe('openai');

    const urls: string[] = [];
    const offline: typeof fetch = (input) => {
      urls.push(input instanceof Request ? input.url : String(input));
      return Promise.reject(new TypeError('fetch failed'));
    };
    const defaulted = createOpenAiProvider(
      { apiKey: KEY, baseUrl: '', timeoutMs: 5_000 },
      { ...NO_RETRIES, fetch: offline },
    );
    expect((await failure(defaulted.chat(chatRequest()))).failure).toBe('unavailable');
    expect(urls).toEqual(['https://api.openai.com/v1/chat/completions']);
  });
});

// ---------------------------------------------------------------------------------------------------------------
describe('Anthropic provider', () => {
  // Not a model the SDK lists as deprecated, so it prints no deprecation warning.
  const MODEL = 'claude-haiku-4-5';

  async function setup(
    fakeOptions: Parameters<typeof startAnthropicFake>[0] = {},
    options = NO_RETRIES,
    conn: Partial<ProviderConnection> = {},
  ) {
    const fake = await track(startAnthropicFake({ apiKey: KEY, ...fakeOptions }));
    const provider = createAnthropicProvider({ apiKey: KEY, baseUrl: fake.url, timeoutMs: 5_000, ...conn }, options);
    return { fake, provider };
  }

  it('sends the system prompt as `system`, the history as messages, and max_tokens', async () => {
    const { fake, provider } = await setup();
    fake.reply('Claude says hi.', { model: 'claude-haiku-4-5-20251001' });
    const result = await provider.chat(chatRequest({ model: MODEL }));

    expect(fake.requests[0]).toMatchObject({ method: 'POST', path: '/v1/messages' });
    expect(bodyOf(fake.requests[0])).toEqual({ model: MODEL, system: SYSTEM, messages: HISTORY, max_tokens: 321 });
    expect(result).toEqual({
      text: 'Claude says hi.',
      model: 'claude-haiku-4-5-20251001',
      finishReason: 'end_turn',
      tokens: FAKE_INPUT_TOKENS + 3,
    });
  });

  it('sends no temperature, top_p or top_k (API version 2026-10-21 refuses them)', async () => {
    const { fake, provider } = await setup();
    await provider.chat(chatRequest({ model: MODEL, temperature: 0.3, topP: 0.8, topK: 40 }));
    const body = bodyOf(fake.requests[0]);
    expect(body).not.toHaveProperty('temperature');
    expect(body).not.toHaveProperty('top_p');
    expect(body).not.toHaveProperty('top_k');
    expect(fake.requests[0]?.headers['anthropic-version']).toBe('2026-10-21');
  });

  it('sends the key as the SDK does (Authorization: Bearer) and nowhere else', async () => {
    const { fake, provider } = await setup();
    await provider.chat(chatRequest({ model: MODEL }));
    expectKeyOnlyIn(fake.requests[0], 'authorization', `Bearer ${KEY}`);
    expect(fake.requests[0]?.headers).not.toHaveProperty('x-api-key');
  });

  it('joins every text block of the answer', async () => {
    const { fake, provider } = await setup();
    fake.reply(['One. ', 'Two. ', 'Three.'], {
      separateBlocks: true,
      finishReason: 'max_tokens',
      usage: { input: 10, output: 20 },
    });
    expect(await provider.chat(chatRequest({ model: MODEL }))).toEqual({
      text: 'One. Two. Three.',
      model: MODEL,
      finishReason: 'max_tokens',
      tokens: 30,
    });
  });

  it('streams text deltas that add up to the final text', async () => {
    const { fake, provider } = await setup();
    fake.reply(['Hel', 'lo ', 'stream', '!'], { usage: { input: 9, output: 4 } });
    const { deltas, result } = await streamed(provider, chatRequest({ model: MODEL }));
    expect(deltas).toEqual(['Hel', 'lo ', 'stream', '!']);
    expect(result).toEqual({ text: 'Hello stream!', model: MODEL, finishReason: 'end_turn', tokens: 13 });
    expect(bodyOf(fake.requests[0])).toMatchObject({ stream: true, system: SYSTEM, messages: HISTORY });
  });

  it('stops a stream when the request signal aborts, and the connection closes', async () => {
    const { fake, provider } = await setup({ slowDeltaMs: 40 });
    fake.reply(['a ', 'b ', 'c ', 'd ', 'e ', 'f ']);
    fake.failNext('slow-stream');
    const { error, deltas } = await abortMidStream(provider, chatRequest({ model: MODEL }));
    expect(error.failure).toBe('aborted');
    expect(error.message).toBe('Anthropic request was aborted');
    expect(deltas).toEqual(['a ', 'b ']);
    await expect.poll(() => fake.requests[0]?.closedEarly).toBe(true);
  });

  it.each([
    [
      401,
      'rejected',
      'Anthropic authentication failed. The configured API key was rejected. Please verify the key in Settings → Anthropic.',
    ],
    [
      403,
      'rejected',
      'Anthropic authentication failed. The configured API key was rejected. Please verify the key in Settings → Anthropic.',
    ],
    [
      404,
      'rejected',
      "Anthropic model 'claude-haiku-4-5' was not found or is unavailable for this account. Select a valid Claude model in Settings.",
    ],
    [429, 'rejected', 'Anthropic rate limit or quota exceeded. Please check your Anthropic usage limits and billing.'],
    [500, 'unavailable', 'Anthropic request failed (500): Internal server error'],
    [529, 'unavailable', 'Anthropic request failed (529): Overloaded'],
  ] as const)('maps HTTP %i to %s with the v1 message', async (status, kind, message) => {
    const { fake, provider } = await setup();
    fake.failNext(status);
    const error = await failure(provider.chat(chatRequest({ model: MODEL })));
    expect(error.failure).toBe(kind);
    expect(error.message).toBe(message);
  });

  it('reports a refused connection, a hang, and malformed answers', async () => {
    const down = createAnthropicProvider({ apiKey: KEY, baseUrl: await closedPortUrl(), timeoutMs: 5_000 }, NO_RETRIES);
    const refused = await failure(down.chat(chatRequest({ model: MODEL })));
    expect(refused).toMatchObject({
      failure: 'unavailable',
      message: 'Cannot connect to Anthropic API. Check your network connectivity.',
    });

    const { fake, provider } = await setup({}, { maxRetries: 2 }, { timeoutMs: 200 });
    fake.failNext('hang');
    const hung = await failure(provider.chat(chatRequest({ model: MODEL })));
    expect(hung).toMatchObject({ failure: 'timeout', message: 'Anthropic did not answer within 0.2 seconds' });
    expect(fake.requests).toHaveLength(1);

    fake.failNext('malformed-json');
    expect((await failure(provider.chat(chatRequest({ model: MODEL })))).failure).toBe('unavailable');
    fake.failNext('empty-body');
    expect((await failure(provider.chat(chatRequest({ model: MODEL })))).failure).toBe('unavailable');
    fake.failNext('malformed-json');
    expect((await failure(provider.stream(chatRequest({ model: MODEL }), () => undefined))).failure).toBe(
      'unavailable',
    );
    fake.failNext('cut-stream');
    expect((await failure(provider.stream(chatRequest({ model: MODEL }), () => undefined))).failure).toBe(
      'unavailable',
    );
  });

  it('retries 529 and 5xx through the SDK', async () => {
    const { fake, provider } = await setup({ retryAfterMs: 5 }, {});
    fake.failNext(529);
    fake.failNext(500);
    expect((await provider.chat(chatRequest({ model: MODEL }))).text).toBe('Hello from the fake model.');
    expect(fake.requests).toHaveLength(3);
  });

  it('validates with a one-token ping to the checked model', async () => {
    const { fake, provider } = await setup({ models: [MODEL] });
    expect(await provider.validate(MODEL)).toEqual({
      valid: true,
      message: 'Anthropic connection and API key are valid.',
    });
    expect(bodyOf(fake.requests[0])).toEqual({
      model: MODEL,
      max_tokens: 1,
      messages: [{ role: 'user', content: 'ping' }],
    });

    expect(await provider.validate('claude-nonexistent')).toEqual({
      valid: false,
      message:
        "Anthropic model 'claude-nonexistent' was not found or is unavailable for this account. Select a valid Claude model in Settings.",
    });
    fake.failNext(401);
    expect((await provider.validate(MODEL)).message).toMatch(/^Anthropic authentication failed/);

    const down = createAnthropicProvider({ apiKey: KEY, baseUrl: await closedPortUrl(), timeoutMs: 5_000 }, NO_RETRIES);
    expect((await down.validate(MODEL)).message).toMatch(
      /^Cannot connect to Anthropic API\. Check network connectivity\. Details: .+/,
    );
    expect(await createAnthropicProvider({ apiKey: '', baseUrl: '', timeoutMs: 5_000 }).validate(MODEL)).toEqual({
      valid: false,
      message: 'Anthropic API key is not configured.',
    });
  });

  it('ignores ANTHROPIC_* environment variables and defaults to api.anthropic.com', async () => {
    const { fake, provider } = await setup();
    const decoy = await track(startAnthropicFake());
    vi.stubEnv('ANTHROPIC_BASE_URL', decoy.url);
    vi.stubEnv('ANTHROPIC_API_KEY', 'sk-ant-from-env');
    vi.stubEnv('ANTHROPIC_AUTH_TOKEN', 'token-from-env');
    await createAnthropicProvider({ apiKey: KEY, baseUrl: fake.url, timeoutMs: 5_000 }, NO_RETRIES).chat(
      chatRequest({ model: MODEL }),
    );
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(decoy.requests).toHaveLength(0);
    expect(await provider.listModels()).toBeNull();

    const urls: string[] = [];
    const offline: typeof fetch = (input) => {
      urls.push(input instanceof Request ? input.url : String(input));
      return Promise.reject(new TypeError('fetch failed'));
    };
    const defaulted = createAnthropicProvider(
      { apiKey: KEY, baseUrl: '', timeoutMs: 5_000 },
      { ...NO_RETRIES, fetch: offline },
    );
    expect((await failure(defaulted.chat(chatRequest({ model: MODEL })))).failure).toBe('unavailable');
    expect(urls).toEqual(['https://api.anthropic.com/v1/messages']);
  });
});

// ---------------------------------------------------------------------------------------------------------------
describe('Ollama provider', () => {
  const MODEL = 'llama3.2:latest';
  const FAST: LlmProviderOptions = { maxRetries: 2, retryDelayMs: 1 };

  async function setup(
    fakeOptions: Parameters<typeof startOllamaChatFake>[0] = {},
    options = FAST,
    conn: Partial<ProviderConnection> = {},
  ) {
    const fake = await track(startOllamaChatFake(fakeOptions));
    const provider = createOllamaProvider({ apiKey: '', baseUrl: fake.url, timeoutMs: 5_000, ...conn }, options);
    return { fake, provider };
  }

  it('reads a stream line sent a byte at a time in linear time: a 1 MB line in a million chunks', async () => {
    const content = 'x'.repeat(1_000_000 - 100);
    const ndjson = new TextEncoder().encode(
      `${JSON.stringify({ model: MODEL, message: { role: 'assistant', content }, done: false })}\n` +
        `${JSON.stringify({ model: MODEL, message: { role: 'assistant', content: '' }, done: true, done_reason: 'stop' })}\n`,
    );
    let at = 0;
    // One byte per read: a parser that rescans what it holds for every chunk needs minutes for this.
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (at >= ndjson.length) {
          controller.close();
        } else {
          controller.enqueue(ndjson.subarray(at, ++at));
        }
      },
    });
    const trickle = () =>
      Promise.resolve(new Response(body, { status: 200, headers: { 'content-type': 'application/x-ndjson' } }));
    const provider = createOllamaProvider(
      { apiKey: '', baseUrl: 'http://127.0.0.1:9', timeoutMs: 60_000 },
      { ...FAST, fetch: trickle, maxReplyBytes: 2_000_000 },
    );
    let received = 0;
    const result = await provider.stream(chatRequest({ model: MODEL }), (text) => (received += text.length));
    expect(result.text).toHaveLength(content.length);
    expect(received).toBe(content.length);
    expect(result.finishReason).toBe('stop');
  });

  it('calls the native /api/chat with the system prompt first, the options and keep_alive', async () => {
    const { fake, provider } = await setup();
    fake.reply('Local answer.', { usage: { input: 26, output: 298 }, finishReason: 'length' });
    const result = await provider.chat(
      chatRequest({ model: MODEL, temperature: 0.4, topP: 0.9, numCtx: 8192, keepAlive: '10m', maxTokens: 256 }),
    );

    expect(fake.requests[0]).toMatchObject({ method: 'POST', path: '/api/chat' });
    expect(bodyOf(fake.requests[0])).toEqual({
      model: MODEL,
      messages: [{ role: 'system', content: SYSTEM }, ...HISTORY],
      stream: false,
      options: { temperature: 0.4, top_p: 0.9, num_ctx: 8192, num_predict: 256 },
      keep_alive: '10m',
    });
    expect(fake.requests[0]?.headers).not.toHaveProperty('authorization');
    expect(result).toEqual({ text: 'Local answer.', model: MODEL, finishReason: 'length', tokens: 324 });
  });

  it('leaves out options that are not set, and sends a numeric keep_alive as a number', async () => {
    const { fake, provider } = await setup();
    await provider.chat(chatRequest({ model: MODEL, temperature: null, topP: null, numCtx: null, keepAlive: null }));
    expect(bodyOf(fake.requests[0]).options).toEqual({ num_predict: 321 });
    expect(bodyOf(fake.requests[0])).not.toHaveProperty('keep_alive');

    await provider.chat(chatRequest({ model: MODEL, keepAlive: '-1' }));
    expect(bodyOf(fake.requests[1]).keep_alive).toBe(-1);
  });

  it('sends a configured key as a Bearer token (for a proxy in front of Ollama)', async () => {
    const { fake, provider } = await setup({ apiKey: KEY }, FAST, { apiKey: KEY });
    await provider.chat(chatRequest({ model: MODEL }));
    expectKeyOnlyIn(fake.requests[0], 'authorization', `Bearer ${KEY}`);
  });

  it('streams NDJSON deltas that add up to the final text', async () => {
    const { fake, provider } = await setup();
    fake.reply(['The ', 'sky ', 'is ', 'blue.'], { usage: { input: 5, output: 4 } });
    const { deltas, result } = await streamed(provider, chatRequest({ model: 'llama3.2' }));
    expect(deltas).toEqual(['The ', 'sky ', 'is ', 'blue.']);
    expect(result).toEqual({ text: 'The sky is blue.', model: 'llama3.2', finishReason: 'stop', tokens: 9 });
    expect(bodyOf(fake.requests[0]).stream).toBe(true);
  });

  it('stops a stream when the request signal aborts, and the connection closes', async () => {
    const { fake, provider } = await setup({ slowDeltaMs: 40 });
    fake.reply(['a ', 'b ', 'c ', 'd ', 'e ', 'f ']);
    fake.failNext('slow-stream');
    const { error, deltas } = await abortMidStream(provider, chatRequest({ model: MODEL }));
    expect(error).toMatchObject({ failure: 'aborted', message: 'Ollama request was aborted' });
    expect(deltas).toEqual(['a ', 'b ']);
    await expect.poll(() => fake.requests[0]?.closedEarly).toBe(true);
  });

  it('reports a model that is not pulled, naming it, when auto-pull is off', async () => {
    const { fake, provider } = await setup();
    const error = await failure(provider.chat(chatRequest({ model: 'mistral:7b' })));
    expect(error).toMatchObject({
      failure: 'rejected',
      message: "Model 'mistral:7b' is not available in Ollama. Pull it with: ollama pull mistral:7b",
    });
    expect(fake.requests.map((r) => r.path)).toEqual(['/api/chat']);
  });

  it('pulls a missing model through /api/pull and retries once when auto-pull is on', async () => {
    const { fake, provider } = await setup({}, FAST, { autoPull: true });
    fake.reply('pulled and answered');
    const result = await provider.chat(chatRequest({ model: 'mistral:7b' }));
    expect(result.text).toBe('pulled and answered');
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /api/chat',
      'POST /api/pull',
      'POST /api/chat',
    ]);
    expect(bodyOf(fake.requests[1])).toEqual({ model: 'mistral:7b', stream: false });
  });

  it('reports a failed pull, and a model that still fails after the pull', async () => {
    const refused = await setup({ pullable: [] }, FAST, { autoPull: true });
    const pullError = await failure(refused.provider.stream(chatRequest({ model: 'nosuch' }), () => undefined));
    expect(pullError.message).toBe(
      "Model 'nosuch' not found and automatic download failed. Please pull it manually: ollama pull nosuch",
    );
    expect(refused.fake.requests.map((r) => r.path)).toEqual(['/api/chat', '/api/pull']);

    const broken = await setup({ pullInstalls: false }, FAST, { autoPull: true });
    const retryError = await failure(broken.provider.chat(chatRequest({ model: 'ghost' })));
    expect(retryError.message).toBe(
      "Model 'ghost' was pulled but failed to generate response: Model 'ghost' is not available in Ollama. Pull it with: ollama pull ghost",
    );
    expect(broken.fake.requests.map((r) => r.path)).toEqual(['/api/chat', '/api/pull', '/api/chat']);
  });

  it.each([
    [401, 'rejected', /^Ollama authentication failed/],
    [403, 'rejected', /^Ollama authentication failed/],
    [400, 'rejected', /^Ollama API error: 400 /],
  ] as const)('maps HTTP %i to %s without retrying', async (status, kind, message) => {
    const { fake, provider } = await setup();
    fake.failNext(status);
    const error = await failure(provider.chat(chatRequest({ model: MODEL })));
    expect(error.failure).toBe(kind);
    expect(error.message).toMatch(message);
    expect(fake.requests).toHaveLength(1);
  });

  it('retries 429 and 5xx twice, then reports them', async () => {
    const { fake, provider } = await setup();
    fake.failNext(503);
    fake.reply('second time lucky');
    expect((await provider.chat(chatRequest({ model: MODEL }))).text).toBe('second time lucky');
    expect(fake.requests).toHaveLength(2);

    fake.failNext(500, 3);
    const error = await failure(provider.chat(chatRequest({ model: MODEL })));
    expect(error).toMatchObject({
      failure: 'unavailable',
      message: 'Ollama API error: 500 llama runner process has terminated: exit status 2',
    });
    expect(fake.requests).toHaveLength(5);

    fake.failNext(429, 3);
    const limited = await failure(provider.chat(chatRequest({ model: MODEL })));
    expect(limited.failure).toBe('rejected');
    expect(fake.requests).toHaveLength(8);
  });

  it('retries a dropped connection, and reports a refused one with the base URL', async () => {
    const { fake, provider } = await setup();
    fake.failNext('disconnect');
    expect((await provider.chat(chatRequest({ model: MODEL }))).text).toBe('Hello from the fake model.');
    expect(fake.requests).toHaveLength(2);

    const base = await closedPortUrl();
    const down = createOllamaProvider({ apiKey: '', baseUrl: `${base}/`, timeoutMs: 5_000 }, FAST);
    const error = await failure(down.chat(chatRequest({ model: MODEL })));
    expect(error).toMatchObject({
      failure: 'unavailable',
      message: `Cannot connect to Ollama server at ${base}. Please ensure Ollama is installed and running. Install: https://ollama.ai | Start: 'ollama serve'`,
    });
  });

  it('times out a hang without retrying it', async () => {
    const { fake, provider } = await setup({}, FAST, { timeoutMs: 200 });
    fake.failNext('hang');
    const error = await failure(provider.chat(chatRequest({ model: MODEL })));
    expect(error).toMatchObject({ failure: 'timeout', message: 'Ollama did not answer within 0.2 seconds' });
    expect(fake.requests).toHaveLength(1);
  });

  it('reports malformed, empty, cut and error-carrying answers as unavailable', async () => {
    const { fake, provider } = await setup();
    for (const mode of ['malformed-json', 'empty-body'] as const) {
      fake.failNext(mode);
      const error = await failure(provider.chat(chatRequest({ model: MODEL })));
      expect(error.failure).toBe('unavailable');
      expect(error.message).toMatch(/^Ollama returned a malformed response/);
    }
    fake.failNext('malformed-json');
    const deltas: string[] = [];
    const broken = await failure(provider.stream(chatRequest({ model: MODEL }), (d) => deltas.push(d)));
    expect(broken.failure).toBe('unavailable');
    expect(deltas).toEqual(['Hel']);
    fake.failNext('cut-stream');
    expect((await failure(provider.stream(chatRequest({ model: MODEL }), () => undefined))).failure).toBe(
      'unavailable',
    );
  });

  it('reports a wrong base URL as a missing resource, not a missing model', async () => {
    const { fake } = await setup();
    const provider = createOllamaProvider({ apiKey: '', baseUrl: `${fake.url}/v1`, timeoutMs: 5_000 }, FAST);
    const error = await failure(provider.chat(chatRequest({ model: MODEL })));
    expect(error).toMatchObject({
      failure: 'rejected',
      message: 'Ollama resource was not found. Check the Ollama base URL in Settings.',
    });
  });

  it('validates with GET /api/tags', async () => {
    const { fake, provider } = await setup();
    expect(await provider.validate(MODEL)).toEqual({ valid: true, message: 'Ollama server is reachable.' });
    expect(fake.requests[0]).toMatchObject({ method: 'GET', path: '/api/tags' });

    fake.failNext(500);
    expect((await provider.validate(MODEL)).message).toMatch(/^Ollama validation failed: HTTP 500/);

    const down = createOllamaProvider({ apiKey: '', baseUrl: await closedPortUrl(), timeoutMs: 5_000 }, FAST);
    const result = await down.validate(MODEL);
    expect(result.valid).toBe(false);
    expect(result.message).toMatch(/^Cannot connect to Ollama server\. Ensure Ollama is running\. Details: .+/);
    expect(await createOllamaProvider({ apiKey: '', baseUrl: '', timeoutMs: 5_000 }).validate(MODEL)).toEqual({
      valid: false,
      message: 'Ollama is not configured. Set Ollama base URL in Settings.',
    });
  });

  it('lists the installed models from /api/tags, or null when Ollama cannot be reached', async () => {
    const { provider } = await setup({ installed: ['llama3.2', 'qwen2.5:7b'] });
    expect(await provider.listModels()).toEqual(['llama3.2:latest', 'qwen2.5:7b']);

    const down = createOllamaProvider({ apiKey: '', baseUrl: await closedPortUrl(), timeoutMs: 5_000 }, FAST);
    expect(await down.listModels()).toBeNull();

    const hung = await setup({}, { ...FAST, listTimeoutMs: 100 });
    hung.fake.failNext('hang');
    expect(await hung.provider.listModels()).toBeNull();
  });
});

// ---------------------------------------------------------------------------------------------------------------
describe('every provider', () => {
  const cases = [
    ['openai', () => startOpenAiChatFake(), (url: string) => `${url}/v1`, 'gpt-4o'],
    ['anthropic', () => startAnthropicFake(), (url: string) => url, 'claude-haiku-4-5'],
    ['ollama', () => startOllamaChatFake(), (url: string) => url, 'llama3.2:latest'],
  ] as const;

  it.each(cases)(
    '%s passes an error thrown by onDelta through unchanged and closes the stream',
    async (name, start, base, model) => {
      const fake = await track(start());
      fake.reply(['a ', 'b ', 'c']);
      fake.failNext('slow-stream');
      const provider = createLlmProvider(name, { apiKey: KEY, baseUrl: base(fake.url), timeoutMs: 5_000 }, NO_RETRIES);
      const own = new Error('the client went away');
      const thrown = await provider
        .stream(chatRequest({ model }), () => {
          throw own;
        })
        .catch((error: unknown) => error);
      expect(thrown).toBe(own);
      await expect.poll(() => fake.requests[0]?.closedEarly).toBe(true);
    },
  );
});

// ---------------------------------------------------------------------------------------------------------------
describe('createLlmProvider', () => {
  it('builds the provider named', () => {
    const connection = { apiKey: KEY, baseUrl: 'http://127.0.0.1:9', timeoutMs: 1_000 };
    expect(createLlmProvider('openai', connection).name).toBe('openai');
    expect(createLlmProvider('anthropic', connection).name).toBe('anthropic');
    expect(createLlmProvider('ollama', connection).name).toBe('ollama');
  });
});
