import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';

import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AI_PROVIDERS, AI_SETTINGS, type AiSetting, isShown } from '@contextpilot/contract';

import { startOllamaChatFake } from '../fakes/ollama-chat-fake.js';
import { type ChatFake, type RecordedChatRequest, startOpenAiChatFake } from '../fakes/openai-chat-fake.js';
import { buildTestApp, tempDir } from '../helpers.js';

/*
 * GET and POST /settings (API v1): the 24 fields, update rules, validation, encrypted
 * provider keys, persistence across a restart and between two instances sharing one database file.
 */

const SETTINGS_FIELDS = [
  'openai_api_key_set',
  'openai_base_url',
  'openai_default_model',
  'openai_temperature',
  'openai_top_p',
  'openai_max_tokens',
  'anthropic_api_key_set',
  'anthropic_default_model',
  'anthropic_temperature',
  'anthropic_top_p',
  'anthropic_top_k',
  'anthropic_max_tokens',
  'ollama_configured',
  'ollama_base_url',
  'ollama_default_model',
  'ollama_temperature',
  'ollama_top_p',
  'ollama_num_predict',
  'ollama_num_ctx',
  'ollama_keep_alive',
  'default_ai_provider',
  'default_ai_model',
  'ai_temperature',
  'ai_max_tokens',
];

/** v1 `updated_fields` order. */
const UPDATE_ORDER = [
  'openai_api_key',
  'openai_base_url',
  'openai_default_model',
  'openai_temperature',
  'openai_top_p',
  'openai_max_tokens',
  'anthropic_api_key',
  'anthropic_default_model',
  'anthropic_temperature',
  'anthropic_top_p',
  'anthropic_top_k',
  'anthropic_max_tokens',
  'ollama_base_url',
  'ollama_default_model',
  'ollama_temperature',
  'ollama_top_p',
  'ollama_num_predict',
  'ollama_num_ctx',
  'ollama_keep_alive',
  'default_ai_provider',
  'default_ai_model',
  'ai_temperature',
  'ai_max_tokens',
];

const ENV_OPENAI_KEY = 'sk-env-openai-5c3a1e9f7b';
const STORED_KEY = 'sk-stored-openai-8d6b4f2a0c';

type Settings = Record<string, unknown>;

interface UpdateResponse {
  message: string;
  updated_fields: string[];
  settings: Settings;
}

let openai: ChatFake;
/** Accepts only STORED_KEY, so a chat that works proves the stored key was decrypted and used. */
let guarded: ChatFake;
let ollama: ChatFake;
let ollamaMoved: ChatFake;
let app: FastifyInstance;
/** Two instances on one SQLite file. */
let sharedA: FastifyInstance;
let sharedB: FastifyInstance;
let sharedDir: string;
let sharedEnv: Record<string, string>;
const extraApps: FastifyInstance[] = [];

beforeAll(async () => {
  [openai, guarded, ollama, ollamaMoved] = await Promise.all([
    startOpenAiChatFake(),
    startOpenAiChatFake({ apiKey: STORED_KEY }),
    startOllamaChatFake(),
    startOllamaChatFake({ installed: ['llama3.2:latest', 'qwen2.5:7b'] }),
  ]);
  app = await buildTestApp({
    CONTEXTPILOT_RATE_LIMIT_ENABLED: 'false',
    CONTEXTPILOT_OPENAI_API_KEY: ENV_OPENAI_KEY,
    CONTEXTPILOT_OPENAI_BASE_URL: `${openai.url}/v1`,
    CONTEXTPILOT_OPENAI_TEMPERATURE: '0.5',
    CONTEXTPILOT_OLLAMA_BASE_URL: ollama.url,
  });
  sharedDir = tempDir();
  sharedEnv = {
    CONTEXTPILOT_RATE_LIMIT_ENABLED: 'false',
    CONTEXTPILOT_DATABASE_URL: `sqlite:${join(sharedDir, 'shared.db')}`,
    CONTEXTPILOT_OPENAI_BASE_URL: `${guarded.url}/v1`,
    CONTEXTPILOT_OLLAMA_BASE_URL: ollama.url,
  };
  sharedA = await buildTestApp(sharedEnv);
  sharedB = await buildTestApp(sharedEnv);
});

afterAll(async () => {
  await Promise.all([app, sharedA, sharedB, ...extraApps].map((a) => a.close()));
  await Promise.all([openai, guarded, ollama, ollamaMoved].map((f) => f.close()));
});

function getSettings(target: FastifyInstance): Promise<LightMyRequestResponse> {
  return target.inject({ method: 'GET', url: '/settings' });
}

function postSettings(target: FastifyInstance, body: unknown): Promise<LightMyRequestResponse> {
  return target.inject({ method: 'POST', url: '/settings', payload: body as Record<string, unknown> });
}

async function update(target: FastifyInstance, body: Record<string, unknown>): Promise<UpdateResponse> {
  const res = await postSettings(target, body);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<UpdateResponse>();
}

async function current(target: FastifyInstance): Promise<Settings> {
  const res = await getSettings(target);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<Settings>();
}

function chatRequests(fake: ChatFake, from: number): RecordedChatRequest[] {
  return fake.requests
    .slice(from)
    .filter((r) => r.method === 'POST' && (r.path === '/v1/chat/completions' || r.path === '/api/chat'));
}

describe('GET /settings', () => {
  it('has the 24 v1 fields in order, with the configured defaults', async () => {
    const body = await current(app);
    expect(Object.keys(body)).toEqual(SETTINGS_FIELDS);
    expect(body).toEqual({
      openai_api_key_set: true,
      openai_base_url: `${openai.url}/v1`,
      openai_default_model: '',
      openai_temperature: 0.5,
      openai_top_p: null,
      openai_max_tokens: null,
      anthropic_api_key_set: false,
      anthropic_default_model: '',
      anthropic_temperature: null,
      anthropic_top_p: null,
      anthropic_top_k: null,
      anthropic_max_tokens: null,
      ollama_configured: true,
      ollama_base_url: ollama.url,
      ollama_default_model: '',
      ollama_temperature: null,
      ollama_top_p: null,
      ollama_num_predict: null,
      ollama_num_ctx: null,
      ollama_keep_alive: '',
      default_ai_provider: 'openai',
      default_ai_model: 'gpt-4o',
      ai_temperature: 0.7,
      ai_max_tokens: 2000,
    });
  });

  it('never returns a provider key, from the environment or stored', async () => {
    await update(app, { anthropic_api_key: 'sk-ant-never-shown-4e2c' });
    try {
      const res = await getSettings(app);
      expect(res.body).not.toContain(ENV_OPENAI_KEY);
      expect(res.body).not.toContain('sk-ant-never-shown-4e2c');
      expect(res.json<Settings>().anthropic_api_key_set).toBe(true);
      expect(Object.keys(res.json<Settings>()).filter((k) => /api_key$/.test(k))).toEqual([]);
    } finally {
      await update(app, { anthropic_api_key: null });
    }
    expect((await current(app)).anthropic_api_key_set).toBe(false);
  });

  it('hands routes the settings with every provider key masked, never the key itself', async () => {
    const key = 'sk-ant-stays-in-the-service-7d1f';
    await update(app, { anthropic_api_key: key });
    try {
      const shown = await app.parts.settings.shownValues();
      expect(JSON.stringify(shown)).not.toContain(key);
      expect(JSON.stringify(shown)).not.toContain(ENV_OPENAI_KEY);
      expect(shown.anthropic_api_key).not.toBe('');
      const changed = await app.parts.settings.update({ ai_temperature: 0.5 });
      expect(JSON.stringify(changed)).not.toContain(key);
      expect((await app.parts.settings.current()).anthropic.apiKey).toBe(key);
    } finally {
      await update(app, { anthropic_api_key: null, ai_temperature: null });
    }
  });
});

describe('POST /settings', () => {
  it('sets values and lists updated_fields in v1 order whatever the body order', async () => {
    const body = {
      ai_max_tokens: 1500,
      ai_temperature: 0.4,
      default_ai_model: 'claude-haiku-4-5',
      default_ai_provider: 'anthropic',
      ollama_keep_alive: '5m',
      ollama_num_ctx: 4096,
      ollama_num_predict: 300,
      ollama_top_p: 0.8,
      ollama_temperature: 0.3,
      ollama_default_model: 'llama3.2',
      anthropic_max_tokens: 1000,
      anthropic_top_k: 40,
      anthropic_top_p: 0.7,
      anthropic_temperature: 0.6,
      anthropic_default_model: 'claude-haiku-4-5',
      openai_max_tokens: 900,
      openai_top_p: 0.95,
      openai_temperature: 1.2,
      openai_default_model: 'gpt-4o-mini',
    };
    const res = await update(app, body);
    try {
      expect(res.message).toBe('Settings updated successfully');
      expect(res.updated_fields).toEqual(UPDATE_ORDER.filter((f) => f in body));
      expect(Object.keys(res.settings)).toEqual(SETTINGS_FIELDS);
      const now = await current(app);
      expect(res.settings).toEqual(now);
      for (const [key, value] of Object.entries(body)) {
        expect(now[key], key).toBe(value);
      }
    } finally {
      const reset = Object.fromEntries(Object.keys(body).map((k) => [k, null]));
      await update(app, reset);
    }
  });

  /** A valid value for a setting, other than the one in effect. */
  function sampleValue(row: AiSetting, now: Settings): string | number {
    switch (row.kind) {
      case 'number':
        return (row.min + row.max) / 2;
      case 'integer':
        return Math.floor((row.min + row.max) / 2);
      case 'provider':
        return AI_PROVIDERS.find((p) => p !== now[row.key]) ?? AI_PROVIDERS[0];
      case 'url':
        return `http://settings-sample.test/${row.key}`;
      default:
        return `sample-${row.key}`;
    }
  }

  it.each(AI_SETTINGS.map((row): [string, AiSetting] => [row.key, row]))(
    'sets %s, shows it as the settings table says, and null restores the default',
    async (key, row) => {
      const before = await current(app);
      const value = sampleValue(row, before);
      const set = await update(app, { [key]: value });
      expect(set.updated_fields).toEqual([key]);
      const now = await current(app);
      expect(set.settings).toEqual(now);
      expect(Object.keys(now)).toEqual(SETTINGS_FIELDS);
      if ('presence' in row) {
        expect(now[row.presence]).toBe(true);
      }
      if (isShown(row)) {
        expect(now[key]).toBe(value);
      } else {
        expect(JSON.stringify(now)).not.toContain(String(value));
      }
      const stored = (await app.parts.storage.settings.getAll()).get(key) ?? '';
      if (row.kind === 'secret') {
        expect(stored.startsWith('enc:v2:')).toBe(true);
        expect(stored).not.toContain(value);
      } else {
        expect(stored).toBe(String(value));
      }

      const cleared = await update(app, { [key]: null });
      expect(cleared.updated_fields).toEqual([key]);
      expect(cleared.settings).toEqual(before);
      expect((await app.parts.storage.settings.getAll()).has(key)).toBe(false);
    },
  );

  it('an empty body changes nothing', async () => {
    const before = await current(app);
    const res = await update(app, {});
    expect(res.updated_fields).toEqual([]);
    expect(res.settings).toEqual(before);
  });

  it('null clears a stored value back to the configured default', async () => {
    expect((await update(app, { openai_temperature: 1.5, ollama_num_ctx: 2048 })).updated_fields).toEqual([
      'openai_temperature',
      'ollama_num_ctx',
    ]);
    expect(await current(app)).toMatchObject({ openai_temperature: 1.5, ollama_num_ctx: 2048 });
    const cleared = await update(app, { openai_temperature: null, ollama_num_ctx: null });
    expect(cleared.updated_fields).toEqual(['openai_temperature', 'ollama_num_ctx']);
    // The environment's 0.5, and no num_ctx at all.
    expect(cleared.settings).toMatchObject({ openai_temperature: 0.5, ollama_num_ctx: null });
    const stored = await app.parts.storage.settings.getAll();
    expect(stored.has('openai_temperature')).toBe(false);
    expect(stored.has('ollama_num_ctx')).toBe(false);
  });

  it('ignores empty and blank strings, and trims the others', async () => {
    const before = await current(app);
    const res = await update(app, {
      openai_default_model: '',
      openai_api_key: '   ',
      ollama_keep_alive: '',
      ollama_default_model: '  \t ',
    });
    expect(res.updated_fields).toEqual([]);
    expect(res.settings).toEqual(before);
    expect((await app.parts.storage.settings.getAll()).has('openai_api_key')).toBe(false);

    const trimmed = await update(app, { ollama_default_model: '  qwen2.5:7b  ', openai_base_url: `${openai.url}/v1/` });
    try {
      expect(trimmed.settings.ollama_default_model).toBe('qwen2.5:7b');
      expect(trimmed.settings.openai_base_url).toBe(`${openai.url}/v1`);
    } finally {
      await update(app, { ollama_default_model: null, openai_base_url: null });
    }
  });

  it.each([
    ['ai_temperature', 3],
    ['ai_temperature', -0.1],
    ['ai_max_tokens', 0],
    ['ai_max_tokens', 20000],
    ['ai_max_tokens', 1.5],
    ['openai_temperature', 2.5],
    ['openai_top_p', 1.5],
    ['openai_max_tokens', 16001],
    ['anthropic_top_k', -1],
    ['anthropic_top_p', -0.5],
    ['anthropic_max_tokens', 0],
    ['ollama_num_ctx', 0],
    ['ollama_num_predict', 0],
    ['ollama_top_p', 2],
    ['ai_temperature', 'hot'],
    ['openai_default_model', 42],
    ['openai_base_url', 'ftp://example.com'],
  ])('rejects %s = %j with 422 and changes nothing', async (field, value) => {
    const before = await app.parts.storage.settings.getAll();
    const res = await postSettings(app, { [field]: value });
    expect(res.statusCode).toBe(422);
    const body = res.json<{ error_code: string; message: string; detail: string }>();
    expect(body.error_code).toBe('VALIDATION_ERROR');
    expect(body.message).toContain(field);
    expect(body.detail).toBe(body.message);
    expect(await app.parts.storage.settings.getAll()).toEqual(before);
  });

  it('accepts the boundary values', async () => {
    const body = {
      ai_temperature: 2,
      ai_max_tokens: 16000,
      openai_top_p: 0,
      anthropic_top_k: 0,
      ollama_num_ctx: 1,
      ollama_num_predict: 1,
    };
    const res = await update(app, body);
    try {
      expect(res.settings).toMatchObject(body);
    } finally {
      await update(app, Object.fromEntries(Object.keys(body).map((k) => [k, null])));
    }
  });

  it('rejects unknown fields with 422 naming them, and applies nothing', async () => {
    const res = await postSettings(app, { ai_temperature: 0.9, temperature: 0.9, openai_api_key_set: true });
    expect(res.statusCode).toBe(422);
    const message = res.json<{ message: string }>().message;
    expect(message).toMatch(/temperature|openai_api_key_set/);
    expect((await current(app)).ai_temperature).toBe(0.7);
  });

  it('default_ai_provider must be openai, anthropic or ollama', async () => {
    for (const bad of ['gemini', 'OpenAI ', 'mistral']) {
      const res = await postSettings(app, { default_ai_provider: bad });
      expect(res.statusCode, bad).toBe(422);
      expect(res.json<{ message: string }>().message).toContain('default_ai_provider');
    }
    for (const good of ['ollama', 'anthropic', 'openai']) {
      expect((await update(app, { default_ai_provider: good })).settings.default_ai_provider).toBe(good);
    }
    await update(app, { default_ai_provider: null });
    expect((await current(app)).default_ai_provider).toBe('openai');
  });

  it('rejects a malformed JSON body and a non-object body with 4xx', async () => {
    const malformed = await app.inject({
      method: 'POST',
      url: '/settings',
      headers: { 'content-type': 'application/json' },
      payload: '{"ai_temperature": ',
    });
    expect([400, 422]).toContain(malformed.statusCode);
    const array = await app.inject({
      method: 'POST',
      url: '/settings',
      headers: { 'content-type': 'application/json' },
      payload: '[1, 2]',
    });
    expect(array.statusCode).toBe(422);
  });
});

describe('provider keys at rest', () => {
  it('are stored encrypted (enc:v2:…), never in clear, and a new value is sealed anew', async () => {
    const key = 'sk-encrypted-at-rest-3b5d7f9a1c';
    const res = await postSettings(app, { openai_api_key: key, anthropic_api_key: `${key}-ant` });
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain(key);
    try {
      const stored = await app.parts.storage.settings.getAll();
      for (const name of ['openai_api_key', 'anthropic_api_key']) {
        const value = stored.get(name) ?? '';
        expect(value.startsWith('enc:v2:'), name).toBe(true);
        expect(value).not.toContain(key);
        expect(Buffer.from(value.slice('enc:v2:'.length), 'base64').toString('latin1')).not.toContain(key);
      }
      // The same key stored again gets a fresh IV, so equal keys are not recognisable in the table.
      const first = stored.get('openai_api_key');
      await update(app, { openai_api_key: key });
      expect((await app.parts.storage.settings.getAll()).get('openai_api_key')).not.toBe(first);
      // And it is the key actually used.
      const from = openai.requests.length;
      const chat = await app.inject({
        method: 'POST',
        url: '/ai/chat',
        payload: { task: 'Which key?', provider: 'openai' },
      });
      expect(chat.statusCode, chat.body).toBe(200);
      expect(chatRequests(openai, from)[0]?.headers.authorization).toBe(`Bearer ${key}`);
    } finally {
      await update(app, { openai_api_key: null, anthropic_api_key: null });
    }
    // Cleared: the environment's key applies again.
    const from = openai.requests.length;
    const chat = await app.inject({
      method: 'POST',
      url: '/ai/chat',
      payload: { task: 'Which key now?', provider: 'openai' },
    });
    expect(chat.statusCode, chat.body).toBe(200);
    expect(chatRequests(openai, from)[0]?.headers.authorization).toBe(`Bearer ${ENV_OPENAI_KEY}`);
  });

  it('the generated key file sits beside the database with mode 0600', () => {
    const file = join(sharedDir, 'contextpilot.key');
    expect(existsSync(file)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});

describe('two instances and a restart on one database file', () => {
  it('a key set on instance A works at once through instance B', async () => {
    expect((await current(sharedB)).openai_api_key_set).toBe(false);
    const refused = await sharedB.inject({
      method: 'POST',
      url: '/ai/chat',
      payload: { task: 'No key yet', provider: 'openai' },
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.json<{ message: string }>().message).toBe('OpenAI API key not configured');

    await update(sharedA, { openai_api_key: STORED_KEY, openai_default_model: 'gpt-4o-mini' });
    expect(await current(sharedB)).toMatchObject({ openai_api_key_set: true, openai_default_model: 'gpt-4o-mini' });
    const from = guarded.requests.length;
    const res = await sharedB.inject({
      method: 'POST',
      url: '/ai/chat',
      payload: { task: 'Key from A', provider: 'openai' },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<{ model: string }>().model).toBe('gpt-4o-mini');
    const [request] = chatRequests(guarded, from);
    expect(request?.headers.authorization).toBe(`Bearer ${STORED_KEY}`);
    // B also sees the conversation A's database now holds.
    const id = res.json<{ conversation_id: string }>().conversation_id;
    expect((await sharedA.inject({ method: 'GET', url: `/ai/conversations/${id}` })).statusCode).toBe(200);
  });

  it('settings survive a restart (the key is decrypted with the key file)', async () => {
    await update(sharedA, { openai_api_key: STORED_KEY, ai_temperature: 1.1, ollama_keep_alive: '30m' });
    const restarted = await buildTestApp(sharedEnv);
    extraApps.push(restarted);
    expect(await current(restarted)).toMatchObject({
      openai_api_key_set: true,
      ai_temperature: 1.1,
      ollama_keep_alive: '30m',
    });
    const res = await restarted.inject({
      method: 'POST',
      url: '/ai/chat',
      payload: { task: 'After a restart', provider: 'openai', model: 'gpt-4o' },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(guarded.requests.at(-1)?.headers.authorization).toBe(`Bearer ${STORED_KEY}`);
  });

  it('a stored key that cannot be decrypted (another encryption key) counts as unset', async () => {
    await update(sharedA, { openai_api_key: STORED_KEY });
    const other = await buildTestApp({ ...sharedEnv, CONTEXTPILOT_ENCRYPTION_KEY: 'ab'.repeat(32) });
    extraApps.push(other);
    expect((await current(other)).openai_api_key_set).toBe(false);
    const res = await other.inject({
      method: 'POST',
      url: '/ai/chat',
      payload: { task: 'Wrong key', provider: 'openai' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json<{ message: string }>().message).toBe('OpenAI API key not configured');
    // Setting it again on that instance works (and is readable there).
    await update(other, { openai_api_key: STORED_KEY });
    expect((await current(other)).openai_api_key_set).toBe(true);
  });
});

describe('a chat after a settings change', () => {
  it('uses the new OpenAI base URL, with the key given for it, and default model', async () => {
    const moved = await startOpenAiChatFake({ apiKey: STORED_KEY });
    try {
      await update(app, {
        openai_api_key: STORED_KEY,
        openai_base_url: `${moved.url}/v1`,
        openai_default_model: 'gpt-4-turbo',
      });
      const from = openai.requests.length;
      const res = await app.inject({
        method: 'POST',
        url: '/ai/chat',
        payload: { task: 'Where do I go?', provider: 'openai' },
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json<{ model: string }>().model).toBe('gpt-4-turbo');
      expect(chatRequests(openai, from)).toHaveLength(0);
      const [request] = chatRequests(moved, 0);
      expect((request?.body as { model: string }).model).toBe('gpt-4-turbo');
      expect(request?.headers.authorization).toBe(`Bearer ${STORED_KEY}`);
    } finally {
      await update(app, { openai_api_key: null, openai_base_url: null, openai_default_model: null });
      await moved.close();
    }
  });

  it('uses the new Ollama base URL, default model and options', async () => {
    await update(app, {
      ollama_base_url: ollamaMoved.url,
      ollama_default_model: 'qwen2.5:7b',
      ollama_temperature: 0.1,
      ollama_keep_alive: '-1',
    });
    try {
      const from = ollama.requests.length;
      const res = await app.inject({
        method: 'POST',
        url: '/ai/chat',
        payload: { task: 'Local model please', provider: 'ollama' },
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json<{ provider: string; model: string }>()).toMatchObject({
        provider: 'ollama',
        model: 'qwen2.5:7b',
      });
      expect(chatRequests(ollama, from)).toHaveLength(0);
      const body = chatRequests(ollamaMoved, 0).at(-1)?.body as Record<string, unknown>;
      expect(body.model).toBe('qwen2.5:7b');
      expect(body.options).toMatchObject({ temperature: 0.1 });
      // A bare number of seconds goes out as a number (Ollama's duration parser refuses "-1").
      expect(body.keep_alive).toBe(-1);
    } finally {
      await update(app, {
        ollama_base_url: null,
        ollama_default_model: null,
        ollama_temperature: null,
        ollama_keep_alive: null,
      });
    }
  });

  it('changing only the default provider never sends the old default model (gpt-4o) to the new one', async () => {
    await update(app, { default_ai_provider: 'ollama' });
    try {
      expect((await current(app)).default_ai_model).toBe('gpt-4o');
      const from = ollama.requests.length;
      const res = await app.inject({ method: 'POST', url: '/ai/chat', payload: { task: 'Default provider only' } });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json<{ provider: string; model: string }>()).toMatchObject({
        provider: 'ollama',
        model: 'llama3.2:latest',
      });
      expect((chatRequests(ollama, from)[0]?.body as { model: string }).model).toBe('llama3.2:latest');
      const validated = await app.inject({ method: 'POST', url: '/providers/ollama/validate' });
      expect(validated.json<{ checked_model: string }>().checked_model).toBe('llama3.2:latest');
    } finally {
      await update(app, { default_ai_provider: null });
    }
  });

  it('uses a new default provider and model when the request names neither', async () => {
    await update(app, { default_ai_provider: 'ollama', default_ai_model: 'llama3.2:latest' });
    try {
      const res = await app.inject({ method: 'POST', url: '/ai/chat', payload: { task: 'Whatever is default' } });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json<{ provider: string; model: string }>()).toMatchObject({
        provider: 'ollama',
        model: 'llama3.2:latest',
      });
    } finally {
      await update(app, { default_ai_provider: null, default_ai_model: null });
    }
  });
});
