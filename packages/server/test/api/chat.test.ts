import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { ERROR_CODES, ErrorEnvelope } from '@contextpilot/contract';

import { computeSignature } from '../../src/domain/signing.js';
import { startAnthropicFake } from '../fakes/anthropic-fake.js';
import { startOllamaChatFake } from '../fakes/ollama-chat-fake.js';
import {
  type ChatFailureMode,
  type ChatFake,
  type RecordedChatRequest,
  startOpenAiChatFake,
} from '../fakes/openai-chat-fake.js';
import { buildTestApp, closedPortUrl } from '../helpers.js';

/*
 * POST /ai/chat (API v1, with its bugs fixed) over the real app, with auth and request signing on, against the
 * loopback fakes of OpenAI, Anthropic and Ollama. The tests look at what each fake RECEIVED, not only at our answer.
 */

const API_KEY = 'cp-chat-test-api-key-7d1e5b9a3c2f';
const SIGNING_SECRET = 'cp-chat-signing-secret-2b8f4e6a1d9c0e7f';
const OPENAI_KEY = 'sk-test-openai-9f8e7d6c5b4a';
const ANTHROPIC_KEY = 'sk-ant-test-1a2b3c4d5e6f';
const SYSTEM = 'You are a helpful AI assistant with access to personalized context.';
const OPENAI_MODELS = 'gpt-5.2, gpt-5, gpt-5-turbo, gpt-4o, gpt-4o-mini, gpt-4-turbo, gpt-4, gpt-3.5-turbo';
const ANTHROPIC_MODELS =
  'claude-opus-4-5-20251101, claude-sonnet-4-5-20250929, claude-haiku-4-5-20251001, claude-opus-4-5, claude-sonnet-4-5, claude-haiku-4-5';

type Provider = 'openai' | 'anthropic' | 'ollama';
const PROVIDERS: Provider[] = ['openai', 'anthropic', 'ollama'];
const MODEL: Record<Provider, string> = { openai: 'gpt-4o', anthropic: 'claude-haiku-4-5', ollama: 'llama3.2:latest' };

interface ChatResponse {
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

interface Message {
  id: string;
  role: 'system' | 'user' | 'assistant';
  content: string;
  model: string | null;
  tokens: number | null;
  finish_reason: string | null;
  context_ids: string[] | null;
  task: string | null;
}

interface Conversation {
  id: string;
  task: string;
  prompt_type: string;
  provider: string;
  model: string;
  context_ids: string[];
  messages: Message[];
}

interface Envelope {
  error_code: string;
  message: string;
  detail: string;
  details: Record<string, unknown>;
}

let openai: ChatFake;
let anthropic: ChatFake;
let ollama: ChatFake;
/** Every provider configured against its fake; Ollama options from the environment. */
let app: FastifyInstance;
/** The same fakes with a one-second provider deadline. */
let impatient: FastifyInstance;
/** Providers configured at a loopback port nothing listens on. */
let unreachable: FastifyInstance;
/** No provider key and no Ollama URL; at most 3 context units per request. */
let unconfigured: FastifyInstance;

const fakes = (): Record<Provider, ChatFake> => ({ openai, anthropic, ollama });

const common = {
  CONTEXTPILOT_ENABLE_AUTH: 'true',
  CONTEXTPILOT_API_KEY: API_KEY,
  CONTEXTPILOT_ENABLE_REQUEST_SIGNING: 'true',
  CONTEXTPILOT_REQUEST_SIGNING_SECRET: SIGNING_SECRET,
  CONTEXTPILOT_RATE_LIMIT_ENABLED: 'false',
};

beforeAll(async () => {
  // retry-after-ms keeps the SDKs' automatic retries of 429/5xx quick.
  [openai, anthropic, ollama] = await Promise.all([
    startOpenAiChatFake({ retryAfterMs: 1 }),
    startAnthropicFake({ retryAfterMs: 1 }),
    startOllamaChatFake(),
  ]);
  const closed = await closedPortUrl();
  const withFakes = {
    ...common,
    CONTEXTPILOT_OPENAI_API_KEY: OPENAI_KEY,
    CONTEXTPILOT_OPENAI_BASE_URL: `${openai.url}/v1`,
    CONTEXTPILOT_ANTHROPIC_API_KEY: ANTHROPIC_KEY,
    CONTEXTPILOT_ANTHROPIC_BASE_URL: anthropic.url,
    CONTEXTPILOT_OLLAMA_BASE_URL: ollama.url,
  };
  [app, impatient, unreachable, unconfigured] = await Promise.all([
    buildTestApp({
      ...withFakes,
      CONTEXTPILOT_OLLAMA_TEMPERATURE: '0.2',
      CONTEXTPILOT_OLLAMA_TOP_P: '0.9',
      CONTEXTPILOT_OLLAMA_NUM_CTX: '8192',
      CONTEXTPILOT_OLLAMA_NUM_PREDICT: '256',
      CONTEXTPILOT_OLLAMA_KEEP_ALIVE: '10m',
    }),
    buildTestApp({ ...withFakes, CONTEXTPILOT_AI_TIMEOUT_SECONDS: '1' }),
    buildTestApp({
      ...common,
      CONTEXTPILOT_OPENAI_API_KEY: OPENAI_KEY,
      CONTEXTPILOT_OPENAI_BASE_URL: `${closed}/v1`,
      CONTEXTPILOT_ANTHROPIC_API_KEY: ANTHROPIC_KEY,
      CONTEXTPILOT_ANTHROPIC_BASE_URL: closed,
      CONTEXTPILOT_OLLAMA_BASE_URL: closed,
    }),
    buildTestApp({ ...common, CONTEXTPILOT_OLLAMA_BASE_URL: '', CONTEXTPILOT_MAX_CONTEXTS_PER_REQUEST: '3' }),
  ]);
});

afterAll(async () => {
  await Promise.all([app, impatient, unreachable, unconfigured].map((a) => a.close()));
  await Promise.all([openai, anthropic, ollama].map((f) => f.close()));
});

beforeEach(() => {
  for (const fake of [openai, anthropic, ollama]) {
    fake.reply('Hello from the fake model.');
  }
});

const usedSignatures = new Set<string>();

/** Signed (and authenticated) request; a signature is never reused, since the server refuses replays. */
function send(target: FastifyInstance, method: 'GET' | 'POST' | 'DELETE', url: string, body?: unknown) {
  const payload = body === undefined ? '' : JSON.stringify(body);
  const headers: Record<string, string> = { 'x-api-key': API_KEY };
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
  }
  if (method !== 'GET') {
    let timestamp = Math.floor(Date.now() / 1000);
    let signature = computeSignature(SIGNING_SECRET, method, url, String(timestamp), Buffer.from(payload));
    while (usedSignatures.has(signature)) {
      timestamp += 1;
      signature = computeSignature(SIGNING_SECRET, method, url, String(timestamp), Buffer.from(payload));
    }
    usedSignatures.add(signature);
    headers['x-request-timestamp'] = String(timestamp);
    headers['x-request-signature'] = signature;
  }
  return target.inject({ method, url, headers, ...(body === undefined ? {} : { payload }) });
}

function chat(target: FastifyInstance, body: Record<string, unknown>) {
  return send(target, 'POST', '/ai/chat', body);
}

async function chatOk(target: FastifyInstance, body: Record<string, unknown>): Promise<ChatResponse> {
  const res = await chat(target, body);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<ChatResponse>();
}

async function conversation(target: FastifyInstance, id: string): Promise<Conversation> {
  const res = await send(target, 'GET', `/ai/conversations/${id}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<Conversation>();
}

async function conversationCount(target: FastifyInstance): Promise<number> {
  const res = await send(target, 'GET', '/ai/conversations?limit=200');
  expect(res.statusCode, res.body).toBe(200);
  const body = res.json<{ count: number }>();
  expect(body.count).toBeLessThan(200);
  return body.count;
}

function envelope(res: LightMyRequestResponse, status: number): Envelope {
  expect(res.statusCode, res.body).toBe(status);
  const body = res.json<Envelope>();
  expect(body.detail).toBe(body.message);
  expect(typeof body.message).toBe('string');
  return body;
}

async function createContext(
  target: FastifyInstance,
  content: string,
  type = 'fact',
  tags: string[] = [],
): Promise<string> {
  const res = await send(target, 'POST', '/contexts', { type, content, tags, confidence: 0.9 });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<{ id: string }>().id;
}

/** The chat requests a fake received since `from` (its model listings and pulls left out). */
function chatRequestsSince(fake: ChatFake, from: number): RecordedChatRequest[] {
  return fake.requests
    .slice(from)
    .filter((r) => r.method === 'POST' && ['/v1/chat/completions', '/v1/messages', '/api/chat'].includes(r.path));
}

function bodyOf(request: RecordedChatRequest | undefined): Record<string, unknown> {
  const body = request?.body;
  if (typeof body !== 'object' || body === null) {
    throw new Error(`the request has no JSON body: ${JSON.stringify(request?.body)}`);
  }
  return body as Record<string, unknown>;
}

/** The one chat request `fn` made to `fake`. */
async function onlyRequest(fake: ChatFake, fn: () => Promise<unknown>): Promise<RecordedChatRequest> {
  const from = fake.requests.length;
  await fn();
  const sent = chatRequestsSince(fake, from);
  expect(sent).toHaveLength(1);
  return sent[0] as RecordedChatRequest;
}

/** The messages as each provider's wire format carries them, with the system prompt separated out. */
function conversationSent(provider: Provider, request: RecordedChatRequest) {
  const body = bodyOf(request);
  const messages = body.messages as { role: string; content: string }[];
  if (provider === 'anthropic') {
    return { system: body.system, messages };
  }
  const [first, ...rest] = messages;
  expect(first?.role).toBe('system');
  return { system: first?.content, messages: rest };
}

/** Everything a provider request carries: headers, path and body. */
function everythingSent(request: RecordedChatRequest): string {
  return JSON.stringify({ headers: request.headers, path: request.path, body: request.body });
}

describe('what each provider receives', () => {
  it.each(PROVIDERS)(
    '%s gets the shared system prompt and the composed prompt as the last user turn',
    async (provider) => {
      await createContext(app, `The ${provider} integration team prefers concise bullet answers`, 'preference', [
        provider,
      ]);
      const task = `Summarise the ${provider} integration plan`;
      let answer: ChatResponse | undefined;
      const request = await onlyRequest(fakes()[provider], async () => {
        answer = await chatOk(app, { task, provider, model: MODEL[provider] });
      });
      const body = bodyOf(request);
      expect(body.model).toBe(MODEL[provider]);
      const sent = conversationSent(provider, request);
      expect(sent.system).toBe(SYSTEM);
      expect(sent.messages).toEqual([{ role: 'user', content: answer?.prompt_used }]);
      expect(answer?.prompt_used).toContain(task);
      expect(answer?.prompt_used).toContain(`The ${provider} integration team prefers concise bullet answers`);
      expect(answer?.provider).toBe(provider);
      expect(answer?.response).toBe('Hello from the fake model.');
    },
  );

  it('never forwards our API key, the signing secret or the request signature', async () => {
    for (const provider of PROVIDERS) {
      const fake = fakes()[provider];
      const from = fake.requests.length;
      await chatOk(app, { task: `Keep our credentials to ourselves (${provider})`, provider, model: MODEL[provider] });
      const [request] = chatRequestsSince(fake, from);
      const everything = everythingSent(request as RecordedChatRequest);
      expect(everything).not.toContain(API_KEY);
      expect(everything).not.toContain(SIGNING_SECRET);
      expect(request?.headers['x-api-key']).not.toBe(API_KEY);
      expect(request?.headers['x-request-signature']).toBeUndefined();
      expect(request?.headers['x-request-timestamp']).toBeUndefined();
    }
    // Each hosted provider gets its own key, and only its own.
    const lastOpenAi = openai.requests.at(-1) as RecordedChatRequest;
    expect(lastOpenAi.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
    expect(everythingSent(lastOpenAi)).not.toContain(ANTHROPIC_KEY);
    const lastAnthropic = anthropic.requests.at(-1) as RecordedChatRequest;
    expect(`${String(lastAnthropic.headers['x-api-key'])} ${String(lastAnthropic.headers.authorization)}`).toContain(
      ANTHROPIC_KEY,
    );
    expect(everythingSent(lastAnthropic)).not.toContain(OPENAI_KEY);
    const lastOllama = ollama.requests.at(-1) as RecordedChatRequest;
    expect(everythingSent(lastOllama)).not.toContain(OPENAI_KEY);
    expect(everythingSent(lastOllama)).not.toContain(ANTHROPIC_KEY);
  });

  it('sends the contents of the selected contexts only', async () => {
    await createContext(app, 'Quarterly revenue targets are tracked in the finance spreadsheet', 'goal', ['finance']);
    await createContext(app, 'Granny Weatherwax keeps bees behind the cottage in Lancre', 'fact', ['bees']);
    await createContext(app, 'Our Kubernetes clusters run in the Frankfurt region', 'fact', ['kubernetes']);
    let answer: ChatResponse | undefined;
    const request = await onlyRequest(openai, async () => {
      answer = await chatOk(app, {
        task: 'Where do our Kubernetes clusters run?',
        provider: 'openai',
        model: 'gpt-4o',
        max_context_units: 1,
      });
    });
    expect(answer?.context_ids).toHaveLength(1);
    const all = (await send(app, 'GET', '/contexts?limit=1000')).json<{ id: string; content: string }[]>();
    const selected = all.filter((c) => answer?.context_ids.includes(c.id));
    const others = all.filter((c) => !answer?.context_ids.includes(c.id));
    expect(selected.map((c) => c.content)).toEqual(['Our Kubernetes clusters run in the Frankfurt region']);
    expect(others.length).toBeGreaterThanOrEqual(2);
    const sent = JSON.stringify(request.body);
    for (const unit of selected) {
      expect(sent).toContain(unit.content);
    }
    for (const unit of others) {
      expect(sent).not.toContain(unit.content);
    }
  });

  it('OpenAI gpt-4o gets max_tokens and temperature (request values win over settings)', async () => {
    const fromSettings = bodyOf(
      await onlyRequest(openai, () =>
        chatOk(app, { task: 'Token settings by default', provider: 'openai', model: 'gpt-4o' }),
      ),
    );
    expect(fromSettings.max_tokens).toBe(2000);
    expect(fromSettings.temperature).toBe(0.7);
    expect(fromSettings).not.toHaveProperty('max_completion_tokens');

    const fromRequest = bodyOf(
      await onlyRequest(openai, () =>
        chatOk(app, {
          task: 'Token settings from the request',
          provider: 'openai',
          model: 'gpt-4o',
          max_tokens: 321,
          temperature: 0.3,
        }),
      ),
    );
    expect(fromRequest.max_tokens).toBe(321);
    expect(fromRequest.temperature).toBe(0.3);
    expect(fromRequest).not.toHaveProperty('max_completion_tokens');
  });

  it.each(['gpt-5.2', 'gpt-5', 'gpt-5-turbo'])(
    'OpenAI %s gets max_completion_tokens and no temperature, in one request',
    async (model) => {
      let answer: ChatResponse | undefined;
      const body = bodyOf(
        await onlyRequest(openai, async () => {
          answer = await chatOk(app, {
            task: `Reasoning model ${model}`,
            provider: 'openai',
            model,
            max_tokens: 123,
            temperature: 0.4,
          });
        }),
      );
      expect(body.max_completion_tokens).toBe(123);
      expect(body).not.toHaveProperty('max_tokens');
      expect(body).not.toHaveProperty('temperature');
      expect(answer?.model).toBe(model);
    },
  );

  it.each(['o1', 'o3', 'o3-mini'])('OpenAI %s is outside the model catalog: 400 and nothing sent', async (model) => {
    const from = openai.requests.length;
    const res = await chat(app, { task: `Reasoning model ${model}`, provider: 'openai', model });
    expect(envelope(res, 400).message).toBe(
      `Model '${model}' is not supported for provider 'openai'. Valid models: ${OPENAI_MODELS}`,
    );
    expect(openai.requests.length).toBe(from);
  });

  it('Anthropic gets max_tokens and its system parameter, and no sampling parameters', async () => {
    const body = bodyOf(
      await onlyRequest(anthropic, () =>
        chatOk(app, {
          task: 'Anthropic parameters',
          provider: 'anthropic',
          model: 'claude-haiku-4-5',
          max_tokens: 444,
          temperature: 0.5,
        }),
      ),
    );
    expect(body.model).toBe('claude-haiku-4-5');
    expect(body.max_tokens).toBe(444);
    expect(body.system).toBe(SYSTEM);
    expect(body).not.toHaveProperty('temperature');
    expect(body).not.toHaveProperty('top_p');
    expect(body).not.toHaveProperty('top_k');
  });

  it('Ollama gets options (temperature, top_p, num_ctx, num_predict) and keep_alive from the settings', async () => {
    const request = await onlyRequest(ollama, () =>
      chatOk(app, { task: 'Ollama options', provider: 'ollama', model: 'llama3.2:latest' }),
    );
    expect(request.path).toBe('/api/chat');
    const body = bodyOf(request);
    expect(body.model).toBe('llama3.2:latest');
    expect(body.stream).toBe(false);
    expect(body.options).toEqual({ temperature: 0.2, top_p: 0.9, num_ctx: 8192, num_predict: 256 });
    expect(body.keep_alive).toBe('10m');

    // The request's own values win over the settings.
    const overridden = bodyOf(
      await onlyRequest(ollama, () =>
        chatOk(app, {
          task: 'Ollama options overridden',
          provider: 'ollama',
          model: 'llama3.2:latest',
          temperature: 1.1,
          max_tokens: 99,
        }),
      ),
    );
    expect(overridden.options).toEqual({ temperature: 1.1, top_p: 0.9, num_ctx: 8192, num_predict: 99 });
  });

  it.each(PROVIDERS)('%s follow-ups send the history in order, and only this conversation', async (provider) => {
    const fake = fakes()[provider];
    fake.reply(`Unrelated answer ZEBRA-${provider} from another conversation.`);
    await chatOk(app, {
      task: `An unrelated conversation about giraffes (${provider})`,
      provider,
      model: MODEL[provider],
    });

    fake.reply(`First answer about ${provider} pipelines.`);
    const first = await chatOk(app, { task: `Plan the ${provider} pipeline`, provider, model: MODEL[provider] });
    fake.reply(`Second answer about ${provider} pipelines.`);
    const second = await chatOk(app, {
      task: `And the tests for it?`,
      provider,
      model: MODEL[provider],
      conversation_id: first.conversation_id,
      max_context_units: 0,
    });
    expect(second.conversation_id).toBe(first.conversation_id);
    fake.reply(`Third answer about ${provider} pipelines.`);
    let third: ChatResponse | undefined;
    const request = await onlyRequest(fake, async () => {
      third = await chatOk(app, {
        task: `And the rollout?`,
        provider,
        model: MODEL[provider],
        conversation_id: first.conversation_id,
        max_context_units: 0,
      });
    });
    const sent = conversationSent(provider, request);
    expect(sent.system).toBe(SYSTEM);
    expect(sent.messages).toEqual([
      { role: 'user', content: first.prompt_used },
      { role: 'assistant', content: `First answer about ${provider} pipelines.` },
      { role: 'user', content: 'And the tests for it?' },
      { role: 'assistant', content: `Second answer about ${provider} pipelines.` },
      { role: 'user', content: 'And the rollout?' },
    ]);
    expect(third?.prompt_used).toBe('And the rollout?');
    expect(JSON.stringify(request.body)).not.toContain(`ZEBRA-${provider}`);
    expect(JSON.stringify(request.body)).not.toContain('giraffes');

    const stored = await conversation(app, first.conversation_id);
    expect(stored.messages.map((m) => [m.role, m.content])).toEqual([
      ['user', first.prompt_used],
      ['assistant', `First answer about ${provider} pipelines.`],
      ['user', 'And the tests for it?'],
      ['assistant', `Second answer about ${provider} pipelines.`],
      ['user', 'And the rollout?'],
      ['assistant', `Third answer about ${provider} pipelines.`],
    ]);
  });

  it('max_context_units 0 sends the raw task and selects no context', async () => {
    await createContext(app, 'The raw task test context mentions penguins', 'fact', ['penguins']);
    const task = 'Tell me about penguins';
    let answer: ChatResponse | undefined;
    const request = await onlyRequest(openai, async () => {
      answer = await chatOk(app, { task, provider: 'openai', model: 'gpt-4o', max_context_units: 0 });
    });
    expect(answer?.context_ids).toEqual([]);
    expect(answer?.contexts).toEqual([]);
    expect(answer?.prompt_used).toBe(task);
    expect(conversationSent('openai', request).messages).toEqual([{ role: 'user', content: task }]);
  });
});

describe('attribution and model resolution', () => {
  it.each([
    ['openai', 'gpt-4o', 'gpt-4o-2024-08-06'],
    ['anthropic', 'claude-haiku-4-5', 'claude-haiku-4-5-20251001'],
    ['ollama', 'llama3.2', 'llama3.2:latest'],
  ] as const)('%s: the answer names the model that answered (%s → %s)', async (provider, requested, executed) => {
    const fake = fakes()[provider];
    fake.reply('Answered by a differently named model.', { model: executed });
    const request = await onlyRequest(fake, async () => {
      const answer = await chatOk(app, { task: `Which model answers? ${provider}`, provider, model: requested });
      expect(answer.provider).toBe(provider);
      expect(answer.model).toBe(executed);
      const stored = await conversation(app, answer.conversation_id);
      expect(stored.provider).toBe(provider);
      expect(stored.model).toBe(executed);
      expect(stored.messages.map((m) => m.model)).toEqual([null, executed]);
    });
    expect(bodyOf(request).model).toBe(requested);
  });

  it('switching provider and model within a conversation records each turn and the last executed pair', async () => {
    const first = await chatOk(app, { task: 'Start with OpenAI', provider: 'openai', model: 'gpt-4o' });
    anthropic.reply('Claude continues.', { model: 'claude-haiku-4-5-20251001' });
    const second = await chatOk(app, {
      task: 'Continue with Claude',
      provider: 'anthropic',
      model: 'claude-haiku-4-5',
      conversation_id: first.conversation_id,
      max_context_units: 0,
    });
    expect([second.provider, second.model]).toEqual(['anthropic', 'claude-haiku-4-5-20251001']);
    const stored = await conversation(app, first.conversation_id);
    expect([stored.provider, stored.model]).toEqual(['anthropic', 'claude-haiku-4-5-20251001']);
    expect(stored.messages.filter((m) => m.role === 'assistant').map((m) => m.model)).toEqual([
      'gpt-4o',
      'claude-haiku-4-5-20251001',
    ]);
  });

  it('uses each provider’s own default model when none is given (never gpt-4o for Claude or Ollama)', async () => {
    const anthropicRequest = await onlyRequest(anthropic, async () => {
      const answer = await chatOk(app, { task: 'Default Claude model', provider: 'anthropic' });
      expect(answer.provider).toBe('anthropic');
      expect(answer.model).toMatch(/^claude-/);
    });
    expect(String(bodyOf(anthropicRequest).model)).toMatch(/^claude-/);

    const ollamaRequest = await onlyRequest(ollama, async () => {
      const answer = await chatOk(app, { task: 'Default Ollama model', provider: 'ollama', model: null });
      expect(answer.model).toBe('llama3.2:latest');
    });
    expect(bodyOf(ollamaRequest).model).toBe('llama3.2:latest');

    // No provider: the default provider (openai) with the default model (gpt-4o).
    const openaiRequest = await onlyRequest(openai, async () => {
      const answer = await chatOk(app, { task: 'Default provider and model', provider: null, model: null });
      expect([answer.provider, answer.model]).toEqual(['openai', 'gpt-4o']);
    });
    expect(bodyOf(openaiRequest).model).toBe('gpt-4o');
  });

  it('with anthropic as the default provider and gpt-4o as the default model, Claude still gets a Claude model', async () => {
    const set = await send(app, 'POST', '/settings', { default_ai_provider: 'anthropic' });
    expect(set.statusCode, set.body).toBe(200);
    expect(set.json<{ settings: { default_ai_model: string } }>().settings.default_ai_model).toBe('gpt-4o');
    try {
      const request = await onlyRequest(anthropic, async () => {
        const answer = await chatOk(app, { task: 'Only the default provider changed' });
        expect(answer.provider).toBe('anthropic');
        expect(answer.model).toMatch(/^claude-/);
      });
      expect(String(bodyOf(request).model)).toMatch(/^claude-/);
    } finally {
      const cleared = await send(app, 'POST', '/settings', { default_ai_provider: null });
      expect(cleared.statusCode, cleared.body).toBe(200);
    }
  });

  it('a provider default model set in settings is used for that provider', async () => {
    const set = await send(app, 'POST', '/settings', { anthropic_default_model: 'claude-haiku-4-5-20251001' });
    expect(set.statusCode, set.body).toBe(200);
    try {
      const request = await onlyRequest(anthropic, () =>
        chatOk(app, { task: 'Configured Claude model', provider: 'anthropic' }),
      );
      expect(bodyOf(request).model).toBe('claude-haiku-4-5-20251001');
    } finally {
      const cleared = await send(app, 'POST', '/settings', { anthropic_default_model: null });
      expect(cleared.statusCode, cleared.body).toBe(200);
    }
  });
});

describe('requests refused before any provider call', () => {
  async function refusedWithoutCall(target: FastifyInstance, body: Record<string, unknown>, status: number) {
    const before = await conversationCount(target);
    const counts = [openai, anthropic, ollama].map((f) => f.requests.length);
    const res = await chat(target, body);
    const error = envelope(res, status);
    expect([openai, anthropic, ollama].map((f) => f.requests.length)).toEqual(counts);
    expect(await conversationCount(target)).toBe(before);
    return error;
  }

  it('an invalid model is 400 with the v1 message (not 500)', async () => {
    const openaiError = await refusedWithoutCall(app, { task: 'Bad model', provider: 'openai', model: 'gpt-9' }, 400);
    expect(openaiError.message).toBe(
      `Model 'gpt-9' is not supported for provider 'openai'. Valid models: ${OPENAI_MODELS}`,
    );
    expect(openaiError.error_code).toBe('HTTP_ERROR');
    const anthropicError = await refusedWithoutCall(
      app,
      { task: 'Bad model', provider: 'anthropic', model: 'gpt-4o' },
      400,
    );
    expect(anthropicError.message).toBe(
      `Model 'gpt-4o' is not supported for provider 'anthropic'. Valid models: ${ANTHROPIC_MODELS}`,
    );
  });

  it('an unknown provider is 400', async () => {
    const error = await refusedWithoutCall(app, { task: 'Unknown provider', provider: 'mistral' }, 400);
    expect(error.message).toBe('Unknown AI provider: mistral');
  });

  it.each([
    ['openai', 'OpenAI API key not configured'],
    ['anthropic', 'Anthropic API key not configured'],
    ['ollama', 'Ollama not configured. Set CONTEXTPILOT_OLLAMA_BASE_URL environment variable.'],
  ] as const)('an unconfigured %s is 400 with the v1 message', async (provider, message) => {
    const error = await refusedWithoutCall(unconfigured, { task: 'No provider set up', provider }, 400);
    expect(error.message).toBe(message);
  });

  describe.each(['/ai/chat', '/ai/chat/stream'])(
    '%s checks the whole request before the provider configuration',
    (url) => {
      async function refused(body: Record<string, unknown>, status: number): Promise<Envelope> {
        const before = await conversationCount(unconfigured);
        const res = await send(unconfigured, 'POST', url, body);
        expect(res.headers['content-type']).toMatch(/^application\/json/);
        const error = envelope(res, status);
        expect(await conversationCount(unconfigured)).toBe(before);
        return error;
      }

      it('max_context_units above the configured limit', async () => {
        const error = await refused({ task: 'Too many units', provider: 'openai', max_context_units: 4 }, 400);
        expect(error.message).toBe('max_context_units exceeds limit of 3');
      });

      it('a model the provider does not offer', async () => {
        const error = await refused({ task: 'Bad model', provider: 'anthropic', model: 'gpt-4o' }, 400);
        expect(error.message).toBe(
          `Model 'gpt-4o' is not supported for provider 'anthropic'. Valid models: ${ANTHROPIC_MODELS}`,
        );
      });

      it('a blank task', async () => {
        const error = await refused({ task: '   ', provider: 'ollama' }, 400);
        expect(error.message).not.toMatch(/not configured/);
      });

      it('an unknown conversation_id', async () => {
        const id = '00000000-0000-4000-8000-00000000abcd';
        const error = await refused({ task: 'Continue', provider: 'openai', conversation_id: id }, 404);
        expect(error.message).toBe(`Conversation ${id} not found`);
      });

      it('and only then says the provider is not configured', async () => {
        const error = await refused({ task: 'A valid request', provider: 'openai', max_context_units: 3 }, 400);
        expect(error.message).toBe('OpenAI API key not configured');
      });
    },
  );

  it('an unknown conversation_id is 404 and creates nothing', async () => {
    const id = '00000000-0000-4000-8000-000000000000';
    const error = await refusedWithoutCall(
      app,
      { task: 'Continue a conversation that does not exist', provider: 'openai', conversation_id: id },
      404,
    );
    expect(error.message).toBe(`Conversation ${id} not found`);
    expect((await send(app, 'GET', `/ai/conversations/${id}`)).statusCode).toBe(404);
  });

  it('max_context_units above 20 and a task over the limit are refused', async () => {
    const res = await chat(app, { task: 'Too many units', provider: 'openai', max_context_units: 21 });
    expect(res.statusCode).toBe(422);
    const empty = await chat(app, { task: '   ', provider: 'openai' });
    expect(empty.statusCode).toBe(400);
  });
});

describe('conversation records', () => {
  it('prompt_type follows use_compact', async () => {
    await createContext(app, 'Compact prompt test: the office cat is called Miso', 'fact', ['cat']);
    const compact = await chatOk(app, {
      task: 'What is the office cat called?',
      provider: 'openai',
      use_compact: true,
    });
    expect(compact.prompt_used).toMatch(/^Given the following context about the user:\n\n• /);
    expect((await conversation(app, compact.conversation_id)).prompt_type).toBe('compact');

    const full = await chatOk(app, { task: 'What is the office cat called?', provider: 'openai', use_compact: false });
    expect(full.prompt_used).toMatch(/^# Context\n/);
    expect((await conversation(app, full.conversation_id)).prompt_type).toBe('full');

    const list = (await send(app, 'GET', '/ai/conversations?limit=200')).json<{
      conversations: { id: string; prompt_type: string }[];
    }>();
    const byId = new Map(list.conversations.map((c) => [c.id, c.prompt_type]));
    expect(byId.get(compact.conversation_id)).toBe('compact');
    expect(byId.get(full.conversation_id)).toBe('full');
  });

  it('stores context_ids and the typed task per turn; the conversation keeps the first turn’s', async () => {
    await createContext(app, 'Per-turn contexts: the staging server is called hermes', 'fact', ['staging']);
    await createContext(app, 'Per-turn contexts: the production server is called zeus', 'fact', ['production']);
    const first = await chatOk(app, {
      task: 'What is the staging server called?',
      provider: 'openai',
      max_context_units: 2,
    });
    expect(first.context_ids).toHaveLength(2);
    const second = await chatOk(app, {
      task: 'And production?',
      provider: 'openai',
      conversation_id: first.conversation_id,
      max_context_units: 1,
    });
    expect(second.context_ids).toHaveLength(1);
    const third = await chatOk(app, {
      task: 'Thanks',
      provider: 'openai',
      conversation_id: first.conversation_id,
      max_context_units: 0,
    });
    const stored = await conversation(app, first.conversation_id);
    expect(stored.task).toBe('What is the staging server called?');
    expect(stored.context_ids).toEqual(first.context_ids);
    const users = stored.messages.filter((m) => m.role === 'user');
    expect(users.map((m) => m.context_ids)).toEqual([first.context_ids, second.context_ids, third.context_ids]);
    expect(users.map((m) => m.task)).toEqual(['What is the staging server called?', 'And production?', 'Thanks']);
    expect(users.map((m) => m.content)).toEqual([first.prompt_used, second.prompt_used, 'Thanks']);
    const assistants = stored.messages.filter((m) => m.role === 'assistant');
    expect(assistants.map((m) => m.context_ids)).toEqual([null, null, null]);
    expect(assistants.every((m) => m.finish_reason === 'stop' && typeof m.tokens === 'number')).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Provider failures: each leaves no conversation behind (and no half-saved turn on a follow-up).

const FAILURE_MESSAGES: Record<'openai' | 'anthropic', Record<401 | 403 | 404 | 429, (model: string) => string>> = {
  openai: {
    401: () =>
      'OpenAI authentication failed. The configured API key was rejected. Please verify the key in Settings → OpenAI.',
    403: () =>
      'OpenAI authentication failed. The configured API key was rejected. Please verify the key in Settings → OpenAI.',
    404: (model) =>
      `OpenAI model '${model}' was not found for this account or endpoint. Select a valid OpenAI model in Settings.`,
    429: () => 'OpenAI rate limit or quota exceeded. Please check usage limits and billing on your OpenAI account.',
  },
  anthropic: {
    401: () =>
      'Anthropic authentication failed. The configured API key was rejected. Please verify the key in Settings → Anthropic.',
    403: () =>
      'Anthropic authentication failed. The configured API key was rejected. Please verify the key in Settings → Anthropic.',
    404: (model) =>
      `Anthropic model '${model}' was not found or is unavailable for this account. Select a valid Claude model in Settings.`,
    429: () => 'Anthropic rate limit or quota exceeded. Please check your Anthropic usage limits and billing.',
  },
};

/** Requests one failing chat; checks the status, that nothing was saved, and how many attempts the fake saw. */
async function failingChat(
  target: FastifyInstance,
  provider: Provider,
  mode: ChatFailureMode | null,
  options: { attempts: number; status: number; conversationId?: string },
): Promise<Envelope> {
  const fake = fakes()[provider];
  const before = await conversationCount(target);
  const previous = options.conversationId ? await conversation(target, options.conversationId) : null;
  if (mode !== null) {
    fake.failNext(mode, options.attempts);
  }
  const from = fake.requests.length;
  const res = await chat(target, {
    task: `This call fails (${provider} ${JSON.stringify(mode)})`,
    provider,
    model: MODEL[provider],
    ...(options.conversationId ? { conversation_id: options.conversationId, max_context_units: 0 } : {}),
  });
  const error = envelope(res, options.status);
  if (mode !== null) {
    expect(chatRequestsSince(fake, from)).toHaveLength(options.attempts);
  }
  expect(await conversationCount(target)).toBe(before);
  if (previous !== null && options.conversationId) {
    expect(await conversation(target, options.conversationId)).toEqual(previous);
  }
  expect(JSON.stringify(error)).not.toContain(OPENAI_KEY);
  expect(JSON.stringify(error)).not.toContain(ANTHROPIC_KEY);
  return error;
}

describe('provider failures', () => {
  describe.each(['openai', 'anthropic'] as const)('%s', (provider) => {
    it.each([401, 403, 404] as const)('%i → 400 with the v1 message, not retried', async (status) => {
      const error = await failingChat(app, provider, status, { attempts: 1, status: 400 });
      expect(error.message).toBe(FAILURE_MESSAGES[provider][status](MODEL[provider]));
      expect(error.error_code).toBe('HTTP_ERROR');
    });

    it('429 → 400 with the v1 message after the SDK retries', async () => {
      const error = await failingChat(app, provider, 429, { attempts: 3, status: 400 });
      expect(error.message).toBe(FAILURE_MESSAGES[provider][429](MODEL[provider]));
    });

    it('500 → 502 after the retries', async () => {
      const error = await failingChat(app, provider, 500, { attempts: 3, status: 502 });
      expect(error.error_code).toBe('AI_SERVICE_ERROR');
      expect(error.message).toMatch(
        provider === 'openai' ? /^OpenAI request failed \(500\)/ : /^Anthropic request failed \(500\)/,
      );
      expect(error.details).toEqual({ provider });
    });

    it('malformed JSON → 502', async () => {
      const error = await failingChat(app, provider, 'malformed-json', { attempts: 1, status: 502 });
      expect(error.message).toContain(provider === 'openai' ? 'OpenAI' : 'Anthropic');
    });
  });

  describe('ollama', () => {
    it.each([401, 403] as const)('%i → 400', async (status) => {
      const error = await failingChat(app, 'ollama', status, { attempts: 1, status: 400 });
      expect(error.message).toMatch(/^Ollama /);
    });

    it('404 (model not pulled, auto-pull off) → 400 naming the model', async () => {
      const error = await failingChat(app, 'ollama', 404, { attempts: 1, status: 400 });
      expect(error.message).toContain("'llama3.2:latest'");
      expect(error.message).toContain('ollama pull llama3.2:latest');
    });

    it('429 → 400 after the retries', async () => {
      const error = await failingChat(app, 'ollama', 429, { attempts: 3, status: 400 });
      expect(error.message).toMatch(/^Ollama /);
    });

    it('500 → 502 with the Ollama API error text, after the retries', async () => {
      const error = await failingChat(app, 'ollama', 500, { attempts: 3, status: 502 });
      expect(error.message).toBe('Ollama API error: 500 llama runner process has terminated: exit status 2');
    });

    it('malformed JSON → 502', async () => {
      const error = await failingChat(app, 'ollama', 'malformed-json', { attempts: 1, status: 502 });
      expect(error.message).toBe('Ollama returned a malformed response: the body is not valid JSON');
    });
  });

  it.each(PROVIDERS)('%s: a refused connection → 502 with the v1 connection message', async (provider) => {
    const error = await failingChat(unreachable, provider, null, { attempts: 0, status: 502 });
    const expected = {
      openai: /^Cannot connect to OpenAI API\. Check your network or OpenAI base URL configuration\.$/,
      anthropic: /^Cannot connect to Anthropic API\. Check your network connectivity\.$/,
      ollama:
        /^Cannot connect to Ollama server at http:\/\/127\.0\.0\.1:\d+\. Please ensure Ollama is installed and running\./,
    }[provider];
    expect(error.message).toMatch(expected);
  });

  it('answers each kind of provider failure with an error envelope of the contract', async () => {
    const answers = [
      await failingChat(app, 'openai', 401, { attempts: 1, status: 400 }),
      await failingChat(app, 'openai', 'malformed-json', { attempts: 1, status: 502 }),
      await failingChat(impatient, 'openai', 'hang', { attempts: 1, status: 504 }),
    ];
    expect(answers.map((a) => a.error_code)).toEqual(['HTTP_ERROR', 'AI_SERVICE_ERROR', 'AI_SERVICE_ERROR']);
    for (const body of answers) {
      expect(ErrorEnvelope.strict().parse(body)).toEqual(body);
      expect(Object.values(ERROR_CODES)).toContain(body.error_code);
    }
  });

  it.each(PROVIDERS)('%s: no answer within the deadline → 504', async (provider) => {
    const error = await failingChat(impatient, provider, 'hang', { attempts: 1, status: 504 });
    expect(error.message).toMatch(/did not answer within 1 second$/);
  });

  it.each(PROVIDERS)('%s: a failed follow-up leaves the conversation as it was', async (provider) => {
    const first = await chatOk(app, {
      task: `A conversation that survives (${provider})`,
      provider,
      model: MODEL[provider],
    });
    await failingChat(app, provider, 401, { attempts: 1, status: 400, conversationId: first.conversation_id });
    await failingChat(app, provider, 500, { attempts: 3, status: 502, conversationId: first.conversation_id });
    // The conversation still works afterwards.
    const next = await chatOk(app, {
      task: 'Still here?',
      provider,
      model: MODEL[provider],
      conversation_id: first.conversation_id,
      max_context_units: 0,
    });
    expect((await conversation(app, next.conversation_id)).messages).toHaveLength(4);
  });
});

describe('history trimming', () => {
  it('with a small Ollama num_ctx only the most recent turns are sent, and always the new user turn', async () => {
    const long = (n: number) => `Turn ${n}: ${'lorem ipsum dolor sit amet '.repeat(40).trimEnd()}`;
    ollama.reply('ok');
    const first = await chatOk(app, { task: long(1), provider: 'ollama', max_context_units: 0 });
    for (let n = 2; n <= 6; n++) {
      await chatOk(app, {
        task: long(n),
        provider: 'ollama',
        conversation_id: first.conversation_id,
        max_context_units: 0,
      });
    }
    // Everything fits the configured num_ctx of 8192: the whole history goes out.
    const whole = conversationSent(
      'ollama',
      await onlyRequest(ollama, () =>
        chatOk(app, {
          task: long(7),
          provider: 'ollama',
          conversation_id: first.conversation_id,
          max_context_units: 0,
        }),
      ),
    );
    expect(whole.messages).toHaveLength(13);

    const set = await send(app, 'POST', '/settings', { ollama_num_ctx: 1200, ollama_num_predict: 100 });
    expect(set.statusCode, set.body).toBe(200);
    try {
      const newTurn = long(8);
      const request = await onlyRequest(ollama, () =>
        chatOk(app, {
          task: newTurn,
          provider: 'ollama',
          conversation_id: first.conversation_id,
          max_context_units: 0,
        }),
      );
      const body = bodyOf(request);
      expect(body.options).toMatchObject({ num_ctx: 1200, num_predict: 100 });
      const sent = conversationSent('ollama', request);
      expect(sent.system).toBe(SYSTEM);
      expect(sent.messages.at(-1)).toEqual({ role: 'user', content: newTurn });
      // Some, not all, of the 14 earlier messages: the most recent ones, starting with a user turn.
      const history = sent.messages.slice(0, -1);
      expect(history.length).toBeGreaterThan(0);
      expect(history.length).toBeLessThan(14);
      expect(history[0]?.role).toBe('user');
      const stored = (await conversation(app, first.conversation_id)).messages;
      const before = stored.slice(0, 14).map((m) => ({ role: m.role, content: m.content }));
      expect(history).toEqual(before.slice(before.length - history.length));
      expect(JSON.stringify(body)).not.toContain('Turn 1:');

      // A new turn bigger than the window on its own is still sent, alone.
      const huge = `Huge turn: ${'x'.repeat(8000)}`;
      const alone = conversationSent(
        'ollama',
        await onlyRequest(ollama, () =>
          chatOk(app, { task: huge, provider: 'ollama', conversation_id: first.conversation_id, max_context_units: 0 }),
        ),
      );
      expect(alone.messages).toEqual([{ role: 'user', content: huge }]);
    } finally {
      const reset = await send(app, 'POST', '/settings', { ollama_num_ctx: null, ollama_num_predict: null });
      expect(reset.statusCode, reset.body).toBe(200);
    }
    // Back to the configured window.
    expect((await send(app, 'GET', '/settings')).json<{ ollama_num_ctx: number }>().ollama_num_ctx).toBe(8192);
  });
});

describe('metrics', () => {
  it('counts successful and failed AI requests per provider', async () => {
    const metric = async (labels: string) => {
      const text = (await send(app, 'GET', '/metrics')).body;
      const line = text.split('\n').find((l) => l.startsWith(`contextpilot_ai_requests_total{${labels}}`));
      return line === undefined ? 0 : Number(line.split(' ').at(-1));
    };
    const success = await metric('provider="openai",status="success"');
    const clientError = await metric('provider="anthropic",status="client_error"');
    await chatOk(app, { task: 'Counted in the metrics', provider: 'openai' });
    anthropic.failNext(401);
    expect((await chat(app, { task: 'Counted as a client error', provider: 'anthropic' })).statusCode).toBe(400);
    expect(await metric('provider="openai",status="success"')).toBe(success + 1);
    expect(await metric('provider="anthropic",status="client_error"')).toBe(clientError + 1);
    const text = (await send(app, 'GET', '/metrics')).body;
    expect(text).toMatch(/contextpilot_ai_request_duration_seconds_sum\{provider="openai"\} [0-9.e-]+/);
  });

  it('counts requests refused before the provider call as client errors (v1: ValueError → client_error)', async () => {
    const metric = async (labels: string) => {
      const text = (await send(app, 'GET', '/metrics')).body;
      const line = text.split('\n').find((l) => l.startsWith(`contextpilot_ai_requests_total{${labels}}`));
      return line === undefined ? 0 : Number(line.split(' ').at(-1));
    };
    const openaiErrors = await metric('provider="openai",status="client_error"');
    const unknownErrors = await metric('provider="unknown",status="client_error"');
    expect((await chat(app, { task: 'Invalid model', provider: 'openai', model: 'gpt-9' })).statusCode).toBe(400);
    expect((await chat(app, { task: 'Default provider, invalid model', model: 'gpt-9' })).statusCode).toBe(400);
    expect((await chat(app, { task: 'Unknown provider', provider: 'mistral' })).statusCode).toBe(400);
    expect(await metric('provider="openai",status="client_error"')).toBe(openaiErrors + 2);
    expect(await metric('provider="unknown",status="client_error"')).toBe(unknownErrors + 1);
    // An arbitrary provider name never becomes a label.
    expect((await send(app, 'GET', '/metrics')).body).not.toContain('provider="mistral"');
  });
});
