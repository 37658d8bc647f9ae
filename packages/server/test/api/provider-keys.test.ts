import { createCipheriv, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Writable } from 'node:stream';

import Database from 'better-sqlite3';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createLogger } from '../../src/logger.js';
import { startAnthropicFake } from '../fakes/anthropic-fake.js';
import { type ChatFake, startOpenAiChatFake } from '../fakes/openai-chat-fake.js';
import { buildTestApp, tempDir } from '../helpers.js';

/*
 * Where provider keys may go (security review): a key, stored through /settings or configured in the environment,
 * is only ever sent to the base URL it belongs to; and a stored key's ciphertext is bound to its own setting, so
 * ciphertexts moved between rows in the database are refused like corrupt ones. Each provider has a "right" fake (its
 * configured URL) and an "elsewhere" fake that must never see a key it was not given.
 */

const ENCRYPTION_KEY = 'c4'.repeat(32);
const ENV_OPENAI = 'sk-env-openai-bound-7f3a9c1e5d';
const ENV_ANTHROPIC = 'sk-ant-env-bound-2b8d4f6a0c';
const STORED_OPENAI = 'sk-stored-openai-bound-9e1c3a5f7b';
const STORED_ANTHROPIC = 'sk-ant-stored-bound-4d6f8b0a2c';
const TYPED_KEY = 'sk-typed-for-elsewhere-1a3c5e7f';
const SECRETS = [ENV_OPENAI, ENV_ANTHROPIC, STORED_OPENAI, STORED_ANTHROPIC];

type Hosted = 'openai' | 'anthropic';
const HOSTED: Hosted[] = ['openai', 'anthropic'];
const LABEL: Record<Hosted, string> = { openai: 'OpenAI', anthropic: 'Anthropic' };

const fakes = {} as Record<Hosted, { right: ChatFake; elsewhere: ChatFake }>;
/** The base URL setting of a provider for a fake: OpenAI's includes `/v1`. */
const urlOf = (provider: Hosted, fake: ChatFake) => (provider === 'openai' ? `${fake.url}/v1` : fake.url);

/** Keys from the environment, bound to the "right" fakes. */
let app: FastifyInstance;
const apps: FastifyInstance[] = [];

beforeAll(async () => {
  const [openaiRight, openaiElsewhere, anthropicRight, anthropicElsewhere] = await Promise.all([
    startOpenAiChatFake(),
    startOpenAiChatFake(),
    startAnthropicFake(),
    startAnthropicFake(),
  ]);
  fakes.openai = { right: openaiRight, elsewhere: openaiElsewhere };
  fakes.anthropic = { right: anthropicRight, elsewhere: anthropicElsewhere };
  app = await start({ openai: ENV_OPENAI, anthropic: ENV_ANTHROPIC });
});

afterAll(async () => {
  await Promise.all(apps.map((a) => a.close()));
  await Promise.all(HOSTED.flatMap((p) => [fakes[p].right.close(), fakes[p].elsewhere.close()]));
});

/** An app whose configured base URLs are the "right" fakes (or `urls`), with the given environment keys. */
async function start(
  keys: Partial<Record<Hosted, string>>,
  options: { dbPath?: string; urls?: Partial<Record<Hosted, string>>; log?: Writable } = {},
): Promise<FastifyInstance> {
  const env: Record<string, string> = {
    CONTEXTPILOT_RATE_LIMIT_ENABLED: 'false',
    CONTEXTPILOT_ENCRYPTION_KEY: ENCRYPTION_KEY,
    CONTEXTPILOT_OLLAMA_BASE_URL: '',
    CONTEXTPILOT_OPENAI_BASE_URL: options.urls?.openai ?? urlOf('openai', fakes.openai.right),
    CONTEXTPILOT_ANTHROPIC_BASE_URL: options.urls?.anthropic ?? urlOf('anthropic', fakes.anthropic.right),
    CONTEXTPILOT_OPENAI_API_KEY: keys.openai ?? '',
    CONTEXTPILOT_ANTHROPIC_API_KEY: keys.anthropic ?? '',
  };
  if (options.dbPath !== undefined) {
    env.CONTEXTPILOT_DATABASE_URL = `sqlite:${options.dbPath}`;
  }
  const logger = options.log ? createLogger({ log: { level: 'debug', format: 'json' } }, options.log) : undefined;
  const started = await buildTestApp(env, logger ? { logger } : {});
  apps.push(started);
  return started;
}

/** Every header and body a fake received since `from`, as one string. */
function received(fake: ChatFake, from = 0): string {
  return JSON.stringify(fake.requests.slice(from).map((r) => ({ headers: r.headers, body: r.body })));
}

function expectNoKnownKey(fake: ChatFake, from = 0): void {
  const text = received(fake, from);
  for (const secret of SECRETS) {
    expect(text).not.toContain(secret);
  }
}

function post(target: FastifyInstance, url: string, body: unknown): Promise<LightMyRequestResponse> {
  return target.inject({ method: 'POST', url, payload: body as Record<string, unknown> });
}

async function settings(target: FastifyInstance, body: Record<string, unknown>) {
  const res = await post(target, '/settings', body);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ updated_fields: string[]; settings: Record<string, unknown> }>();
}

function chat(target: FastifyInstance, provider: Hosted, stream = false) {
  return post(target, stream ? '/ai/chat/stream' : '/ai/chat', {
    task: `Which key goes where? (${provider})`,
    provider,
    max_context_units: 0,
  });
}

/** The key the "right" fake of `provider` received with the last chat. */
function lastKey(fake: ChatFake): string | undefined {
  const headers = fake.requests.at(-1)?.headers;
  const bearer = headers?.authorization?.replace(/^Bearer /, '');
  return bearer ?? (headers?.['x-api-key'] as string | undefined);
}

async function keySet(target: FastifyInstance, provider: Hosted): Promise<boolean> {
  const res = await target.inject({ method: 'GET', url: '/providers' });
  const info = res.json<{ providers: { name: string; configured: boolean; api_key_set?: boolean }[] }>();
  const found = info.providers.find((p) => p.name === provider);
  expect(found?.configured).toBe(found?.api_key_set);
  return found?.api_key_set === true;
}

describe.each(HOSTED)('%s: a key goes only to the base URL it belongs to', (provider) => {
  const keyField = `${provider}_api_key`;
  const urlField = `${provider}_base_url`;
  const envKey = provider === 'openai' ? ENV_OPENAI : ENV_ANTHROPIC;
  const storedKey = provider === 'openai' ? STORED_OPENAI : STORED_ANTHROPIC;
  const notConfigured = `${LABEL[provider]} API key not configured`;

  it('validate with another base_url and no api_key is 400 and contacts nobody', async () => {
    const { right, elsewhere } = fakes[provider];
    const from = elsewhere.requests.length;
    const url = `/providers/${provider}/validate`;
    try {
      for (const stored of [false, true]) {
        if (stored) {
          await settings(app, { [keyField]: storedKey });
        }
        const res = await post(app, url, { base_url: urlOf(provider, elsewhere) });
        expect(res.statusCode, res.body).toBe(400);
        expect(res.json<{ message: string }>().message).toBe(
          'api_key is required when base_url differs from the saved one',
        );
      }
      expect(elsewhere.requests.length).toBe(from);

      // The saved URL written differently (a trailing slash) is the same URL: the saved key is used there.
      const same = await post(app, url, { base_url: `${urlOf(provider, right)}/` });
      expect(same.statusCode, same.body).toBe(200);
      expect(lastKey(right)).toBe(storedKey);

      // A key typed with the URL is the one tested there.
      const typed = await post(app, url, { base_url: urlOf(provider, elsewhere), api_key: TYPED_KEY });
      expect(typed.statusCode, typed.body).toBe(200);
      expect(lastKey(elsewhere)).toBe(TYPED_KEY);
      expectNoKnownKey(elsewhere, from);
    } finally {
      await settings(app, { [keyField]: null });
    }
  });

  it('a new base URL without a key drops the stored key: no chat, stream or check sends a key there', async () => {
    const { right, elsewhere } = fakes[provider];
    const from = elsewhere.requests.length;
    await settings(app, { [keyField]: storedKey });
    const moved = await settings(app, { [urlField]: urlOf(provider, elsewhere) });
    // v1 order: the key field comes before the URL field.
    expect(moved.updated_fields).toEqual([keyField, urlField]);
    if (provider === 'openai') {
      expect(moved.settings.openai_api_key_set).toBe(false);
    } else {
      expect(moved.settings.anthropic_api_key_set).toBe(false);
    }
    try {
      for (const stream of [false, true]) {
        const res = await chat(app, provider, stream);
        expect(res.statusCode, res.body).toBe(400);
        expect(res.json<{ message: string }>().message).toBe(notConfigured);
      }
      expect(await keySet(app, provider)).toBe(false);
      const check = await app.inject({ method: 'POST', url: `/providers/${provider}/validate` });
      expect(check.json<{ valid: boolean }>().valid).toBe(false);
      expect(elsewhere.requests.length).toBe(from);
    } finally {
      await settings(app, { [urlField]: null, [keyField]: null });
    }
    // Back at the configured URL, the environment's key applies again (the stored one is gone).
    const res = await chat(app, provider);
    expect(res.statusCode, res.body).toBe(200);
    expect(lastKey(right)).toBe(envKey);
  });

  it('the environment key never follows a base URL set through /settings', async () => {
    const { elsewhere } = fakes[provider];
    const from = elsewhere.requests.length;
    await settings(app, { [urlField]: urlOf(provider, elsewhere) });
    try {
      for (const stream of [false, true]) {
        const res = await chat(app, provider, stream);
        expect(res.statusCode, res.body).toBe(400);
        expect(res.json<{ message: string }>().message).toBe(notConfigured);
      }
      expect(await keySet(app, provider)).toBe(false);
      await app.inject({ method: 'GET', url: '/providers' });
      await app.inject({ method: 'POST', url: `/providers/${provider}/validate` });
    } finally {
      await settings(app, { [urlField]: null });
    }
    expect(elsewhere.requests.length).toBe(from);
  });

  it('a key saved together with a new base URL goes there, over chat and stream', async () => {
    const { elsewhere } = fakes[provider];
    const from = elsewhere.requests.length;
    await settings(app, { [urlField]: urlOf(provider, elsewhere), [keyField]: TYPED_KEY });
    try {
      for (const stream of [false, true]) {
        const res = await chat(app, provider, stream);
        expect(res.statusCode, res.body).toBe(200);
        expect(lastKey(elsewhere)).toBe(TYPED_KEY);
      }
    } finally {
      await settings(app, { [urlField]: null, [keyField]: null });
    }
    expect(elsewhere.requests.length).toBe(from + 2);
    expectNoKnownKey(elsewhere, from);
  });

  it('a stored key stays behind when the configured base URL changes between restarts', async () => {
    const { right, elsewhere } = fakes[provider];
    const dbPath = join(tempDir(), `moved-${provider}.db`);
    const first = await start({}, { dbPath });
    await settings(first, { [keyField]: storedKey });
    expect((await chat(first, provider)).statusCode).toBe(200);
    expect(lastKey(right)).toBe(storedKey);
    await first.close();

    const from = elsewhere.requests.length;
    const moved = await start({}, { dbPath, urls: { [provider]: urlOf(provider, elsewhere) } });
    expect(await keySet(moved, provider)).toBe(false);
    const res = await chat(moved, provider, true);
    expect(res.statusCode, res.body).toBe(400);
    expect(elsewhere.requests.length).toBe(from);
  });
});

function memoryLog() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString('utf8'));
      callback();
    },
  });
  return { stream, text: () => lines.join('') };
}

/** `enc:v1:` + base64(iv ‖ tag ‖ ciphertext), AES-256-GCM without associated data: the format before binding. */
function sealTheOldWay(plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(ENCRYPTION_KEY, 'hex'), iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return `enc:v1:${Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64')}`;
}

function storedValues(dbPath: string): Record<string, string> {
  const db = new Database(dbPath);
  try {
    const rows = db.prepare("SELECT key, value FROM settings WHERE key LIKE '%_api_key'").all() as {
      key: string;
      value: string;
    }[];
    return Object.fromEntries(rows.map((r) => [r.key, r.value]));
  } finally {
    db.close();
  }
}

function writeValues(dbPath: string, values: Record<string, string>): void {
  const db = new Database(dbPath);
  try {
    const upsert = db.prepare(
      'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    );
    db.transaction(() => {
      for (const [key, value] of Object.entries(values)) {
        upsert.run(key, value);
      }
    })();
  } finally {
    db.close();
  }
}

describe('stored key ciphertexts are bound to their setting', () => {
  it('swapped OpenAI and Anthropic ciphertexts are refused like corrupt values and logged by setting name', async () => {
    const dbPath = join(tempDir(), 'swapped.db');
    const log = memoryLog();
    const target = await start({}, { dbPath, log: log.stream });
    await settings(target, { openai_api_key: STORED_OPENAI, anthropic_api_key: STORED_ANTHROPIC });
    const sealed = storedValues(dbPath);
    writeValues(dbPath, { openai_api_key: sealed.anthropic_api_key!, anthropic_api_key: sealed.openai_api_key! });

    const from = { openai: fakes.openai.right.requests.length, anthropic: fakes.anthropic.right.requests.length };
    for (const provider of HOSTED) {
      for (const stream of [false, true]) {
        const res = await chat(target, provider, stream);
        expect(res.statusCode, res.body).toBe(400);
        expect(res.json<{ message: string }>().message).toBe(`${LABEL[provider]} API key not configured`);
      }
      expect(await keySet(target, provider)).toBe(false);
    }
    expect(fakes.openai.right.requests.length).toBe(from.openai);
    expect(fakes.anthropic.right.requests.length).toBe(from.anthropic);

    const logs = log.text();
    expect(logs).toContain('"setting":"openai_api_key"');
    expect(logs).toContain('"setting":"anthropic_api_key"');
    for (const value of [STORED_OPENAI, STORED_ANTHROPIC, sealed.openai_api_key!, sealed.anthropic_api_key!]) {
      expect(logs).not.toContain(value);
    }

    // Setting the keys again makes them usable.
    await settings(target, { openai_api_key: STORED_OPENAI, anthropic_api_key: STORED_ANTHROPIC });
    for (const provider of HOSTED) {
      expect((await chat(target, provider)).statusCode).toBe(200);
      expect(lastKey(fakes[provider].right)).toBe(provider === 'openai' ? STORED_OPENAI : STORED_ANTHROPIC);
    }
  });

  it('keys stored before the upgrade (old ciphertexts, plain text) keep working and are sealed anew at start-up', async () => {
    const dbPath = join(tempDir(), 'upgrade.db');
    await (await start({}, { dbPath })).close();
    writeValues(dbPath, { openai_api_key: sealTheOldWay(STORED_OPENAI), anthropic_api_key: STORED_ANTHROPIC });

    const upgraded = await start({}, { dbPath });
    const values = storedValues(dbPath);
    for (const name of ['openai_api_key', 'anthropic_api_key']) {
      expect(values[name]?.startsWith('enc:v2:'), name).toBe(true);
    }
    expect(JSON.stringify(values)).not.toContain(STORED_ANTHROPIC);
    for (const provider of HOSTED) {
      const res = await chat(upgraded, provider, provider === 'anthropic');
      expect(res.statusCode, res.body).toBe(200);
      expect(lastKey(fakes[provider].right)).toBe(provider === 'openai' ? STORED_OPENAI : STORED_ANTHROPIC);
    }

    // Only start-up upgrades: an old-format value that appears later is not trusted.
    writeValues(dbPath, { openai_api_key: sealTheOldWay(STORED_OPENAI) });
    expect(await keySet(upgraded, 'openai')).toBe(false);
    expect((await chat(upgraded, 'openai')).statusCode).toBe(400);
  });
});
