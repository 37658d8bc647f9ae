import { randomUUID } from 'node:crypto';

import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { startOllamaChatFake } from '../fakes/ollama-chat-fake.js';
import { type ChatFake, type RecordedChatRequest, startOpenAiChatFake } from '../fakes/openai-chat-fake.js';
import { buildTestApp, manualClock } from '../helpers.js';

/*
 * The chat, conversation and settings flow on PostgreSQL, with two instances sharing one schema (and one
 * CONTEXTPILOT_ENCRYPTION_KEY). PostgreSQL must be reachable: these tests fail, never skip, without it.
 */

const PG_URL = process.env.CONTEXTPILOT_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SCHEMA = `cp_chat_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
const ENCRYPTION_KEY = '3f'.repeat(32);
const STORED_KEY = 'sk-pg-stored-openai-6e8a0c2b4d';
const SYSTEM = 'You are a helpful AI assistant with access to personalized context.';

interface ChatResponse {
  conversation_id: string;
  provider: string;
  model: string;
  response: string;
  prompt_used: string;
  context_ids: string[];
  timestamp: string;
}

interface Detail {
  id: string;
  task: string;
  prompt_type: string;
  provider: string;
  model: string;
  context_ids: string[];
  last_message_at: string;
  messages: {
    role: string;
    content: string;
    model: string | null;
    context_ids: string[] | null;
    task: string | null;
  }[];
}

interface Summary {
  id: string;
  task: string;
  last_message_at: string;
  message_count: number;
}

const time = manualClock(Date.parse('2026-04-01T08:00:00.000Z'));
const { clock } = time;

/** Accepts only STORED_KEY: a chat that works proves the key stored (encrypted) by one instance was used. */
let openai: ChatFake;
let ollama: ChatFake;
let a: FastifyInstance;
let b: FastifyInstance;
let env: Record<string, string>;
const extraApps: FastifyInstance[] = [];

beforeAll(async () => {
  [openai, ollama] = await Promise.all([startOpenAiChatFake({ apiKey: STORED_KEY }), startOllamaChatFake()]);
  env = {
    CONTEXTPILOT_DATABASE_URL: PG_URL,
    CONTEXTPILOT_ENCRYPTION_KEY: ENCRYPTION_KEY,
    CONTEXTPILOT_RATE_LIMIT_ENABLED: 'false',
    CONTEXTPILOT_OPENAI_BASE_URL: `${openai.url}/v1`,
    CONTEXTPILOT_OLLAMA_BASE_URL: ollama.url,
  };
  a = await buildTestApp(env, { pgSchema: SCHEMA, clock });
  b = await buildTestApp(env, { pgSchema: SCHEMA, clock });
});

afterAll(async () => {
  await Promise.all([a, b, ...extraApps].filter((x) => x !== undefined).map((x) => x.close()));
  await Promise.all([openai, ollama].filter((f) => f !== undefined).map((f) => f.close()));
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(SCHEMA)} CASCADE`);
  } finally {
    await client.end();
  }
});

beforeEach(async () => {
  openai.reply('Hello from the fake model.');
  ollama.reply('Hello from the fake model.');
  // Every test starts with the key stored (through instance A).
  const res = await a.inject({ method: 'POST', url: '/settings', payload: { openai_api_key: STORED_KEY } });
  expect(res.statusCode, res.body).toBe(200);
});

async function chat(target: FastifyInstance, body: Record<string, unknown>, reply?: string): Promise<ChatResponse> {
  time.advance(1000);
  if (reply !== undefined) {
    openai.reply(reply);
    ollama.reply(reply);
  }
  const res = await target.inject({ method: 'POST', url: '/ai/chat', payload: { provider: 'openai', ...body } });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<ChatResponse>();
}

async function detail(target: FastifyInstance, id: string): Promise<Detail> {
  const res = await target.inject({ method: 'GET', url: `/ai/conversations/${id}` });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<Detail>();
}

async function list(target: FastifyInstance, query = '?limit=200'): Promise<Summary[]> {
  const res = await target.inject({ method: 'GET', url: `/ai/conversations${query}` });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ conversations: Summary[] }>().conversations;
}

function chatRequests(fake: ChatFake, from: number): RecordedChatRequest[] {
  return fake.requests
    .slice(from)
    .filter((r) => r.method === 'POST' && (r.path === '/v1/chat/completions' || r.path === '/api/chat'));
}

describe('settings on PostgreSQL', () => {
  it('stores provider keys encrypted and both instances use them at once', async () => {
    const stored = await a.parts.storage.settings.getAll();
    expect(stored.get('openai_api_key')).toMatch(/^enc:v2:/);
    expect(stored.get('openai_api_key')).not.toContain(STORED_KEY);

    const view = await b.inject({ method: 'GET', url: '/settings' });
    expect(Object.keys(view.json<object>())).toHaveLength(24);
    expect(view.json<{ openai_api_key_set: boolean }>().openai_api_key_set).toBe(true);
    expect(view.body).not.toContain(STORED_KEY);

    const from = openai.requests.length;
    await chat(b, { task: 'Instance B uses the key A stored' });
    expect(chatRequests(openai, from)[0]?.headers.authorization).toBe(`Bearer ${STORED_KEY}`);

    // Cleared on B: A refuses at once.
    expect((await b.inject({ method: 'POST', url: '/settings', payload: { openai_api_key: null } })).statusCode).toBe(
      200,
    );
    const refused = await a.inject({
      method: 'POST',
      url: '/ai/chat',
      payload: { task: 'No key now', provider: 'openai' },
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.json<{ message: string }>().message).toBe('OpenAI API key not configured');
  });

  it('updates, clears and validates values like SQLite', async () => {
    const res = await a.inject({
      method: 'POST',
      url: '/settings',
      payload: { ai_temperature: 0.2, ollama_num_ctx: 4096, openai_default_model: '', ollama_keep_alive: '15m' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json<{ updated_fields: string[] }>().updated_fields).toEqual([
      'ollama_num_ctx',
      'ollama_keep_alive',
      'ai_temperature',
    ]);
    expect((await b.inject({ method: 'GET', url: '/settings' })).json<Record<string, unknown>>()).toMatchObject({
      ai_temperature: 0.2,
      ollama_num_ctx: 4096,
      ollama_keep_alive: '15m',
      openai_default_model: '',
    });
    const from = ollama.requests.length;
    await chat(b, { task: 'Options from PostgreSQL settings', provider: 'ollama' });
    const body = chatRequests(ollama, from)[0]?.body as { options: Record<string, number>; keep_alive: string };
    expect(body.options).toMatchObject({ temperature: 0.2, num_ctx: 4096 });
    expect(body.keep_alive).toBe('15m');

    await a.inject({
      method: 'POST',
      url: '/settings',
      payload: { ai_temperature: null, ollama_num_ctx: null, ollama_keep_alive: null },
    });
    expect((await b.inject({ method: 'GET', url: '/settings' })).json<Record<string, unknown>>()).toMatchObject({
      ai_temperature: 0.7,
      ollama_num_ctx: null,
      ollama_keep_alive: '',
    });
    expect((await a.inject({ method: 'POST', url: '/settings', payload: { ai_max_tokens: 0 } })).statusCode).toBe(422);
  });

  it('keeps settings across a restart; another encryption key cannot read the stored key', async () => {
    const restarted = await buildTestApp(env, { pgSchema: SCHEMA, clock });
    extraApps.push(restarted);
    expect(
      (await restarted.inject({ method: 'GET', url: '/settings' })).json<{ openai_api_key_set: boolean }>()
        .openai_api_key_set,
    ).toBe(true);
    await chat(restarted, { task: 'After a restart on PostgreSQL' });

    const other = await buildTestApp(
      { ...env, CONTEXTPILOT_ENCRYPTION_KEY: '7c'.repeat(32) },
      { pgSchema: SCHEMA, clock },
    );
    extraApps.push(other);
    expect(
      (await other.inject({ method: 'GET', url: '/settings' })).json<{ openai_api_key_set: boolean }>()
        .openai_api_key_set,
    ).toBe(false);
  });
});

describe('chat and conversations on PostgreSQL', () => {
  it('saves turns with per-turn contexts, continues across instances and sends the history in order', async () => {
    for (const content of [
      'The PostgreSQL test team meets on Mondays',
      'The PostgreSQL test team uses Grafana dashboards',
    ]) {
      const res = await a.inject({ method: 'POST', url: '/contexts', payload: { type: 'fact', content } });
      expect(res.statusCode, res.body).toBe(201);
    }
    const first = await chat(
      a,
      { task: 'When does the PostgreSQL test team meet?', max_context_units: 2 },
      'On Mondays.',
    );
    expect(first.context_ids).toHaveLength(2);
    const second = await chat(
      b,
      { task: 'Which dashboards?', conversation_id: first.conversation_id, max_context_units: 1 },
      'Grafana.',
    );
    const from = openai.requests.length;
    await chat(a, { task: 'Thanks', conversation_id: first.conversation_id, max_context_units: 0 }, 'Welcome.');
    const sent = (chatRequests(openai, from)[0]?.body as { messages: { role: string; content: string }[] }).messages;
    expect(sent).toEqual([
      { role: 'system', content: SYSTEM },
      { role: 'user', content: first.prompt_used },
      { role: 'assistant', content: 'On Mondays.' },
      { role: 'user', content: second.prompt_used },
      { role: 'assistant', content: 'Grafana.' },
      { role: 'user', content: 'Thanks' },
    ]);

    const stored = await detail(b, first.conversation_id);
    expect(stored).toMatchObject({
      task: 'When does the PostgreSQL test team meet?',
      prompt_type: 'full',
      provider: 'openai',
      model: 'gpt-4o',
      context_ids: first.context_ids,
    });
    expect(stored.messages.map((m) => [m.role, m.task, m.context_ids, m.model])).toEqual([
      ['user', 'When does the PostgreSQL test team meet?', first.context_ids, null],
      ['assistant', null, null, 'gpt-4o'],
      ['user', 'Which dashboards?', second.context_ids, null],
      ['assistant', null, null, 'gpt-4o'],
      ['user', 'Thanks', [], null],
      ['assistant', null, null, 'gpt-4o'],
    ]);
    expect(stored.messages.map((m) => m.content)).toEqual([
      first.prompt_used,
      'On Mondays.',
      second.prompt_used,
      'Grafana.',
      'Thanks',
      'Welcome.',
    ]);
  });

  it('lists by last activity with message counts, pages, searches and deletes', async () => {
    const older = await chat(a, { task: 'PG ordering: the older one' });
    const newer = await chat(b, { task: 'PG ordering: the newer one', use_compact: true });
    const ids = [older.conversation_id, newer.conversation_id];
    const order = async () => (await list(a)).map((c) => c.id).filter((id) => ids.includes(id));
    expect(await order()).toEqual([newer.conversation_id, older.conversation_id]);

    const followUp = await chat(b, {
      task: 'PG ordering: ÜBER follow-up',
      conversation_id: older.conversation_id,
      max_context_units: 0,
    });
    expect(await order()).toEqual([older.conversation_id, newer.conversation_id]);
    const summary = (await list(b)).find((c) => c.id === older.conversation_id) as Summary;
    expect(summary).toMatchObject({
      task: 'PG ordering: the older one',
      message_count: 4,
      last_message_at: followUp.timestamp,
    });
    expect((await detail(a, newer.conversation_id)).prompt_type).toBe('compact');

    const page = await a.inject({ method: 'GET', url: '/ai/conversations?limit=1&offset=0' });
    expect(page.json<{ count: number; limit: number }>()).toMatchObject({ count: 1, limit: 1 });
    expect((await a.inject({ method: 'GET', url: '/ai/conversations?limit=0' })).statusCode).toBe(422);
    const clamped = await a.inject({ method: 'GET', url: '/ai/conversations?limit=201' });
    expect(clamped.json<{ limit: number }>().limit).toBe(200);

    // Case-insensitive, Unicode-aware, wildcards literal.
    expect((await list(a, '?limit=200&search=über')).map((c) => c.id)).toEqual([older.conversation_id]);
    expect((await list(a, '?limit=200&search=NEWER%20ONE')).map((c) => c.id)).toEqual([newer.conversation_id]);
    expect(await list(a, '?limit=200&search=%25')).toEqual([]);

    const deleted = await b.inject({ method: 'DELETE', url: `/ai/conversations/${older.conversation_id}` });
    expect(deleted.statusCode).toBe(204);
    expect((await a.inject({ method: 'GET', url: `/ai/conversations/${older.conversation_id}` })).statusCode).toBe(404);
    expect((await a.inject({ method: 'DELETE', url: `/ai/conversations/${older.conversation_id}` })).statusCode).toBe(
      404,
    );
    expect((await list(a)).map((c) => c.id)).not.toContain(older.conversation_id);
  });

  it('saves nothing when the provider fails, and a failed follow-up leaves the conversation unchanged', async () => {
    const count = async () => (await list(a)).length;
    const before = await count();
    openai.failNext(401);
    const failed = await a.inject({
      method: 'POST',
      url: '/ai/chat',
      payload: { task: 'This one fails', provider: 'openai' },
    });
    expect(failed.statusCode).toBe(400);
    expect(await count()).toBe(before);

    const kept = await chat(a, { task: 'This one survives' });
    const snapshot = await detail(a, kept.conversation_id);
    openai.failNext('malformed-json');
    const failedFollowUp = await b.inject({
      method: 'POST',
      url: '/ai/chat',
      payload: { task: 'Follow-up that fails', provider: 'openai', conversation_id: kept.conversation_id },
    });
    expect(failedFollowUp.statusCode).toBe(502);
    expect(await detail(a, kept.conversation_id)).toEqual(snapshot);
    expect(await count()).toBe(before + 1);

    const unknown = await a.inject({
      method: 'POST',
      url: '/ai/chat',
      payload: { task: 'Unknown conversation', provider: 'openai', conversation_id: randomUUID() },
    });
    expect(unknown.statusCode).toBe(404);
    expect(await count()).toBe(before + 1);
  });

  it('streams a reply and saves it', async () => {
    openai.reply(['Streamed ', 'on ', 'PostgreSQL.']);
    time.advance(1000);
    const res = await b.inject({
      method: 'POST',
      url: '/ai/chat/stream',
      payload: { task: 'Stream on PostgreSQL', provider: 'openai' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    const events = res.body.split('\n\n').filter((e) => e.trim() !== '');
    expect(events[0]).toMatch(/^event: meta\n/);
    expect(events.at(-1)).toMatch(/^event: done\n/);
    const done = JSON.parse((events.at(-1) as string).split('\ndata: ')[1] as string) as ChatResponse;
    expect(done.response).toBe('Streamed on PostgreSQL.');
    expect((await detail(a, done.conversation_id)).messages.map((m) => m.content)).toEqual([
      done.prompt_used,
      'Streamed on PostgreSQL.',
    ]);
  });
});
