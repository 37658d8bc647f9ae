import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startAnthropicFake } from '../fakes/anthropic-fake.js';
import { startOllamaChatFake } from '../fakes/ollama-chat-fake.js';
import { type ChatFake, startOpenAiChatFake } from '../fakes/openai-chat-fake.js';
import { buildTestApp, closedPortUrl } from '../helpers.js';

/* GET /providers and POST /providers/{name}/validate (API v1), against the provider fakes. */

const OPENAI_KEY = 'sk-test-providers-openai-1f3e5d';
const ANTHROPIC_KEY = 'sk-ant-test-providers-7a9c2b';
const TYPED_KEY = 'sk-typed-not-saved-4b6d8f0a';

const OPENAI_MODELS = [
  'gpt-5.2',
  'gpt-5',
  'gpt-5-turbo',
  'gpt-4o',
  'gpt-4o-mini',
  'gpt-4-turbo',
  'gpt-4',
  'gpt-3.5-turbo',
];
const ANTHROPIC_MODELS = [
  'claude-opus-4-5-20251101',
  'claude-sonnet-4-5-20250929',
  'claude-haiku-4-5-20251001',
  'claude-opus-4-5',
  'claude-sonnet-4-5',
  'claude-haiku-4-5',
];
const OLLAMA_INSTALLED = ['llama3.2:latest', 'qwen2.5:7b', 'mistral:latest'];

interface Provider {
  name: string;
  display_name: string;
  description: string;
  requires_api_key: boolean;
  supports_local: boolean;
  homepage_url: string;
  documentation_url: string;
  configured: boolean;
  available_models: string[];
  api_key_set?: boolean;
  base_url?: string;
  reachable?: boolean;
  default_model: string;
}

interface ProvidersResponse {
  providers: Provider[];
  default_provider: string;
  default_model: string;
}

interface Validation {
  provider: string;
  valid: boolean;
  message: string;
  checked_model: string;
}

let openai: ChatFake;
let anthropic: ChatFake;
let ollama: ChatFake;
/** Only TYPED_KEY is accepted: proves the typed (unsaved) key is the one sent. */
let typedOnly: ChatFake;
let closedUrl: string;
/** All three providers configured against their fakes. */
let app: FastifyInstance;
/** No provider key and no Ollama URL. */
let bare: FastifyInstance;

beforeAll(async () => {
  [openai, anthropic, ollama, typedOnly] = await Promise.all([
    startOpenAiChatFake({ apiKey: OPENAI_KEY }),
    startAnthropicFake({ apiKey: ANTHROPIC_KEY, models: ANTHROPIC_MODELS }),
    startOllamaChatFake({ installed: OLLAMA_INSTALLED }),
    startOpenAiChatFake({ apiKey: TYPED_KEY }),
  ]);
  closedUrl = await closedPortUrl();
  [app, bare] = await Promise.all([
    buildTestApp({
      CONTEXTPILOT_RATE_LIMIT_ENABLED: 'false',
      CONTEXTPILOT_OPENAI_API_KEY: OPENAI_KEY,
      CONTEXTPILOT_OPENAI_BASE_URL: `${openai.url}/v1`,
      CONTEXTPILOT_ANTHROPIC_API_KEY: ANTHROPIC_KEY,
      CONTEXTPILOT_ANTHROPIC_BASE_URL: anthropic.url,
      CONTEXTPILOT_ANTHROPIC_DEFAULT_MODEL: 'claude-haiku-4-5',
      CONTEXTPILOT_OLLAMA_BASE_URL: ollama.url,
    }),
    buildTestApp({ CONTEXTPILOT_RATE_LIMIT_ENABLED: 'false', CONTEXTPILOT_OLLAMA_BASE_URL: '' }),
  ]);
});

afterAll(async () => {
  await Promise.all([app.close(), bare.close()]);
  await Promise.all([openai, anthropic, ollama, typedOnly].map((f) => f.close()));
});

async function providers(target: FastifyInstance): Promise<ProvidersResponse> {
  const res = await target.inject({ method: 'GET', url: '/providers' });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<ProvidersResponse>();
}

function byName(body: ProvidersResponse, name: string): Provider {
  const found = body.providers.find((p) => p.name === name);
  if (found === undefined) {
    throw new Error(`no provider ${name}`);
  }
  return found;
}

/** POST /providers/{name}/validate; `body` undefined sends no body at all. */
async function validate(
  target: FastifyInstance,
  name: string,
  options: { model?: string; body?: unknown; raw?: { contentType: string; payload: string } } = {},
): Promise<Validation> {
  const url = `/providers/${name}/validate${options.model === undefined ? '' : `?model=${encodeURIComponent(options.model)}`}`;
  const request: InjectOptions = { method: 'POST', url };
  if (options.raw !== undefined) {
    request.headers = { 'content-type': options.raw.contentType };
    request.payload = options.raw.payload;
  } else if (options.body !== undefined) {
    request.headers = { 'content-type': 'application/json' };
    request.payload = JSON.stringify(options.body);
  }
  const res = await target.inject(request);
  expect(res.statusCode, res.body).toBe(200);
  const body = res.json<Validation>();
  expect(Object.keys(body)).toEqual(['provider', 'valid', 'message', 'checked_model']);
  return body;
}

describe('GET /providers', () => {
  it('lists the three providers in order with the v1 metadata', async () => {
    const body = await providers(app);
    expect(Object.keys(body)).toEqual(['providers', 'default_provider', 'default_model']);
    expect(body.providers.map((p) => p.name)).toEqual(['openai', 'anthropic', 'ollama']);
    expect(body.default_provider).toBe('openai');
    expect(body.default_model).toBe('gpt-4o');
    const meta = body.providers.map(
      ({ name, display_name, description, requires_api_key, supports_local, homepage_url, documentation_url }) => ({
        name,
        display_name,
        description,
        requires_api_key,
        supports_local,
        homepage_url,
        documentation_url,
      }),
    );
    expect(meta).toEqual([
      {
        name: 'openai',
        display_name: 'OpenAI',
        description: 'OpenAI GPT models including GPT-4, GPT-3.5, and o-series',
        requires_api_key: true,
        supports_local: false,
        homepage_url: 'https://openai.com',
        documentation_url: 'https://platform.openai.com/docs',
      },
      {
        name: 'anthropic',
        display_name: 'Anthropic',
        description: 'Anthropic Claude models with extended context windows',
        requires_api_key: true,
        supports_local: false,
        homepage_url: 'https://anthropic.com',
        documentation_url: 'https://docs.anthropic.com',
      },
      {
        name: 'ollama',
        display_name: 'Ollama',
        description: 'Local LLM inference with automatic model downloading',
        requires_api_key: false,
        supports_local: true,
        homepage_url: 'https://ollama.ai',
        documentation_url: 'https://github.com/ollama/ollama/blob/main/docs/api.md',
      },
    ]);
  });

  it('reports configuration: api_key_set for hosted providers, base_url for Ollama, and never a key', async () => {
    const res = await app.inject({ method: 'GET', url: '/providers' });
    expect(res.body).not.toContain(OPENAI_KEY);
    expect(res.body).not.toContain(ANTHROPIC_KEY);
    const body = res.json<ProvidersResponse>();
    const openaiInfo = byName(body, 'openai');
    expect(openaiInfo).toMatchObject({ configured: true, api_key_set: true, default_model: '' });
    expect(openaiInfo).not.toHaveProperty('base_url');
    expect(byName(body, 'anthropic')).toMatchObject({
      configured: true,
      api_key_set: true,
      default_model: 'claude-haiku-4-5',
    });
    const ollamaInfo = byName(body, 'ollama');
    expect(ollamaInfo).toMatchObject({ configured: true, base_url: ollama.url });
    expect(ollamaInfo).not.toHaveProperty('api_key_set');

    const unconfigured = await providers(bare);
    expect(unconfigured.providers.map((p) => [p.name, p.configured])).toEqual([
      ['openai', false],
      ['anthropic', false],
      ['ollama', false],
    ]);
    expect(byName(unconfigured, 'openai').api_key_set).toBe(false);
    expect(byName(unconfigured, 'ollama').base_url).toBe('');
  });

  it('offers the catalog models for OpenAI and Anthropic, and Ollama’s own installed models', async () => {
    const from = ollama.requests.length;
    const hosted = [openai.requests.length, anthropic.requests.length];
    const body = await providers(app);
    expect(byName(body, 'openai').available_models).toEqual(OPENAI_MODELS);
    expect(byName(body, 'anthropic').available_models).toEqual(ANTHROPIC_MODELS);
    expect(byName(body, 'ollama').available_models).toEqual(OLLAMA_INSTALLED);
    expect(ollama.requests.slice(from).map((r) => `${r.method} ${r.path}`)).toEqual(['GET /api/tags']);
    // Listing never calls the hosted providers.
    expect([openai.requests.length, anthropic.requests.length]).toEqual(hosted);
  });

  it('reports whether Ollama answers, and lists models only when it does', async () => {
    expect(byName(await providers(app), 'ollama')).toMatchObject({
      configured: true,
      reachable: true,
      available_models: OLLAMA_INSTALLED,
    });

    ollama.failNext(500, 1, '/api/tags');
    expect(byName(await providers(app), 'ollama')).toMatchObject({
      configured: true,
      reachable: false,
      available_models: [],
    });

    const moved = await app.inject({ method: 'POST', url: '/settings', payload: { ollama_base_url: closedUrl } });
    expect(moved.statusCode).toBe(200);
    try {
      const body = await providers(app);
      expect(byName(body, 'ollama')).toMatchObject({
        configured: true,
        reachable: false,
        base_url: closedUrl,
        available_models: [],
      });
    } finally {
      await app.inject({ method: 'POST', url: '/settings', payload: { ollama_base_url: null } });
    }
    // An unconfigured Ollama is not asked at all.
    const from = ollama.requests.length;
    expect(byName(await providers(bare), 'ollama')).toMatchObject({
      configured: false,
      reachable: false,
      available_models: [],
    });
    expect(ollama.requests.length).toBe(from);
    // Hosted providers are never asked, so they carry no reachable flag.
    for (const name of ['openai', 'anthropic']) {
      expect(byName(await providers(app), name)).not.toHaveProperty('reachable');
    }
  });

  it('reflects settings changes at once', async () => {
    const set = await app.inject({
      method: 'POST',
      url: '/settings',
      payload: {
        default_ai_provider: 'anthropic',
        default_ai_model: 'claude-haiku-4-5',
        openai_default_model: 'gpt-4o-mini',
      },
    });
    expect(set.statusCode).toBe(200);
    try {
      const body = await providers(app);
      expect([body.default_provider, body.default_model]).toEqual(['anthropic', 'claude-haiku-4-5']);
      expect(byName(body, 'openai').default_model).toBe('gpt-4o-mini');
    } finally {
      await app.inject({
        method: 'POST',
        url: '/settings',
        payload: { default_ai_provider: null, default_ai_model: null, openai_default_model: null },
      });
    }
  });
});

describe('POST /providers/{name}/validate', () => {
  it.each([
    // axios with a JSON content type sends `post(url, null)` as the body "null".
    ['a JSON null body (what the v1 client sends)', { raw: { contentType: 'application/json', payload: 'null' } }],
    ['no body and no content type', {}],
    ['an empty object', { body: {} }],
  ])('accepts %s with ?model= (the v1 web client)', async (_label, options) => {
    const from = openai.requests.length;
    const result = await validate(app, 'openai', { model: 'gpt-4o-mini', ...options });
    expect(result).toEqual({
      provider: 'openai',
      valid: true,
      message: 'OpenAI connection and API key are valid.',
      checked_model: 'gpt-4o-mini',
    });
    const probe = openai.requests.slice(from);
    expect(probe.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /v1/models']);
    expect(probe[0]?.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
  });

  it('checked_model: the query model, else the provider default, else the provider’s own fallback', async () => {
    expect((await validate(app, 'openai')).checked_model).toBe('gpt-4o');
    expect((await validate(app, 'anthropic')).checked_model).toBe('claude-haiku-4-5');
    expect((await validate(app, 'ollama')).checked_model).toBe('llama3.2:latest');
    expect((await validate(app, 'ollama', { model: 'qwen2.5:7b' })).checked_model).toBe('qwen2.5:7b');
  });

  it('trims and lowercases the provider name', async () => {
    const result = await validate(app, '%20OpenAI%20');
    expect(result.provider).toBe('openai');
    expect(result.valid).toBe(true);
  });

  it('an unknown provider is 400 with the v1 message', async () => {
    const res = await app.inject({ method: 'POST', url: '/providers/mistral/validate' });
    expect(res.statusCode).toBe(400);
    const body = res.json<{ message: string; detail: string }>();
    expect(body.message).toBe("Unsupported provider 'mistral'.");
    expect(body.detail).toBe(body.message);
  });

  it.each([
    ['openai', 'OpenAI API key is not configured.'],
    ['anthropic', 'Anthropic API key is not configured.'],
    ['ollama', 'Ollama is not configured. Set Ollama base URL in Settings.'],
  ])('an unconfigured %s is valid:false with the v1 message', async (name, message) => {
    const result = await validate(bare, name, { raw: { contentType: 'application/json', payload: 'null' } });
    expect(result).toMatchObject({ provider: name, valid: false, message });
  });

  it('tests a typed key and base URL without saving them', async () => {
    const before = await bare.parts.storage.settings.getAll();
    const from = typedOnly.requests.length;
    const result = await validate(bare, 'openai', {
      model: 'gpt-4o',
      body: { api_key: TYPED_KEY, base_url: `${typedOnly.url}/v1` },
    });
    expect(result).toEqual({
      provider: 'openai',
      valid: true,
      message: 'OpenAI connection and API key are valid.',
      checked_model: 'gpt-4o',
    });
    expect(typedOnly.requests.slice(from)[0]?.headers.authorization).toBe(`Bearer ${TYPED_KEY}`);
    expect(await bare.parts.storage.settings.getAll()).toEqual(before);
    const settings = (await bare.inject({ method: 'GET', url: '/settings' })).json<Record<string, unknown>>();
    expect(settings.openai_api_key_set).toBe(false);
    expect(settings.openai_base_url).toBe('');

    // A typed key overrides the saved one for this check only.
    const wrong = await validate(app, 'openai', { body: { api_key: 'sk-typed-but-wrong-0000' } });
    expect(wrong.valid).toBe(false);
    expect(wrong.message).toBe(
      'OpenAI authentication failed. The configured API key was rejected. Please verify the key in Settings → OpenAI.',
    );
    expect(wrong.message).not.toContain('sk-typed-but-wrong-0000');
    expect((await validate(app, 'openai')).valid).toBe(true);
  });

  it('takes an empty JSON body as no body', async () => {
    const from = openai.requests.length;
    const result = await validate(app, 'openai', { raw: { contentType: 'application/json', payload: '' } });
    expect(result).toMatchObject({ provider: 'openai', valid: true });
    expect(openai.requests.slice(from)[0]?.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
  });

  it('refuses a malformed body with 422', async () => {
    for (const body of [{ base_url: 'ftp://example.com' }, { api_key: 42 }, { model: 'gpt-4o' }]) {
      const res = await app.inject({ method: 'POST', url: '/providers/openai/validate', payload: body });
      expect(res.statusCode, JSON.stringify(body)).toBe(422);
    }
  });

  describe('OpenAI', () => {
    it('reports a rejected key with the v1 formatter message', async () => {
      openai.failNext(401, 1, '/v1/models');
      const result = await validate(app, 'openai');
      expect(result.valid).toBe(false);
      expect(result.message).toBe(
        'OpenAI authentication failed. The configured API key was rejected. Please verify the key in Settings → OpenAI.',
      );
    });

    it('reports an unreachable server as a connection failure', async () => {
      const result = await validate(app, 'openai', { body: { base_url: `${closedUrl}/v1`, api_key: TYPED_KEY } });
      expect(result.valid).toBe(false);
      expect(result.message).toMatch(/^Cannot connect to OpenAI API\. Check network and base URL\. Details: /);
      expect(result.message).not.toContain(TYPED_KEY);
    });
  });

  describe('Anthropic', () => {
    it('sends a one-token ping to the checked model and reports success', async () => {
      const from = anthropic.requests.length;
      const result = await validate(app, 'anthropic', { model: 'claude-haiku-4-5-20251001' });
      expect(result).toEqual({
        provider: 'anthropic',
        valid: true,
        message: 'Anthropic connection and API key are valid.',
        checked_model: 'claude-haiku-4-5-20251001',
      });
      const [ping] = anthropic.requests.slice(from);
      expect(ping?.path).toBe('/v1/messages');
      expect(ping?.body).toEqual({
        model: 'claude-haiku-4-5-20251001',
        max_tokens: 1,
        messages: [{ role: 'user', content: 'ping' }],
      });
    });

    it('reports a rejected key and an unknown model with the v1 messages', async () => {
      anthropic.failNext(401, 1, '/v1/messages');
      const rejected = await validate(app, 'anthropic');
      expect(rejected.valid).toBe(false);
      expect(rejected.message).toBe(
        'Anthropic authentication failed. The configured API key was rejected. Please verify the key in Settings → Anthropic.',
      );
      const unknown = await validate(app, 'anthropic', { model: 'claude-nonexistent' });
      expect(unknown.valid).toBe(false);
      expect(unknown.message).toBe(
        "Anthropic model 'claude-nonexistent' was not found or is unavailable for this account. Select a valid Claude model in Settings.",
      );
    });

    it('reports an unreachable server as a connection failure', async () => {
      const result = await validate(app, 'anthropic', { body: { base_url: closedUrl, api_key: TYPED_KEY } });
      expect(result.valid).toBe(false);
      expect(result.message).toMatch(/^Cannot connect to Anthropic API\. Check network connectivity\. Details: /);
      expect(result.message).not.toContain(TYPED_KEY);
    });
  });

  describe('Ollama', () => {
    it('asks the server for its models and reports success', async () => {
      const from = ollama.requests.length;
      const result = await validate(app, 'ollama', { raw: { contentType: 'application/json', payload: 'null' } });
      expect(result).toEqual({
        provider: 'ollama',
        valid: true,
        message: 'Ollama server is reachable.',
        checked_model: 'llama3.2:latest',
      });
      expect(ollama.requests.slice(from).map((r) => `${r.method} ${r.path}`)).toEqual(['GET /api/tags']);
    });

    it('reports an unreachable server and a failing server with the v1 messages', async () => {
      const unreachable = await validate(app, 'ollama', { body: { base_url: closedUrl } });
      expect(unreachable.valid).toBe(false);
      expect(unreachable.message).toMatch(/^Cannot connect to Ollama server\. Ensure Ollama is running\. Details: /);
      ollama.failNext(500, 1, '/api/tags');
      const failing = await validate(app, 'ollama');
      expect(failing.valid).toBe(false);
      expect(failing.message).toMatch(/^Ollama validation failed: /);
    });
  });
});
