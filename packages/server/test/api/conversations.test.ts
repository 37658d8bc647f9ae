import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type ChatFake, startOpenAiChatFake } from '../fakes/openai-chat-fake.js';
import { buildTestApp, manualClock } from '../helpers.js';

/*
 * GET /ai/conversations, GET and DELETE /ai/conversations/{id} (API v1). The app's clock
 * is manual so "last activity" order never depends on two requests landing in the same millisecond.
 */

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

interface Summary {
  id: string;
  task: string;
  prompt_type: string;
  provider: string;
  model: string;
  created_at: string;
  last_message_at: string;
  message_count: number;
}

interface ListResponse {
  conversations: Summary[];
  limit: number;
  offset: number;
  count: number;
}

interface Message {
  id: string;
  role: string;
  content: string;
  tokens: number | null;
  finish_reason: string | null;
  model: string | null;
  created_at: string;
  context_ids: string[] | null;
  task: string | null;
}

interface Detail {
  id: string;
  task: string;
  prompt_type: string;
  provider: string;
  model: string;
  context_ids: string[];
  created_at: string;
  last_message_at: string;
  messages: Message[];
}

interface ChatResponse {
  conversation_id: string;
  prompt_used: string;
  context_ids: string[];
  timestamp: string;
  response: string;
}

const time = manualClock(Date.parse('2026-03-01T10:00:00.000Z'));
const advance = (seconds = 1) => time.advance(seconds * 1000);

let openai: ChatFake;
let app: FastifyInstance;

beforeAll(async () => {
  openai = await startOpenAiChatFake();
  app = await buildTestApp(
    {
      CONTEXTPILOT_RATE_LIMIT_ENABLED: 'false',
      CONTEXTPILOT_OPENAI_API_KEY: 'sk-test-conversations',
      CONTEXTPILOT_OPENAI_BASE_URL: `${openai.url}/v1`,
    },
    { clock: time.clock },
  );
});

afterAll(async () => {
  await app.close();
  await openai.close();
});

async function chat(body: Record<string, unknown>, reply = 'A plain answer.'): Promise<ChatResponse> {
  advance();
  openai.reply(reply);
  const res = await app.inject({ method: 'POST', url: '/ai/chat', payload: { provider: 'openai', ...body } });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<ChatResponse>();
}

async function list(query = ''): Promise<ListResponse> {
  const res = await app.inject({ method: 'GET', url: `/ai/conversations${query}` });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<ListResponse>();
}

async function detail(id: string): Promise<Detail> {
  const res = await app.inject({ method: 'GET', url: `/ai/conversations/${id}` });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<Detail>();
}

/** The ids of `ids` in the order the full list shows them. */
async function orderOf(ids: string[]): Promise<string[]> {
  const all = await list('?limit=200');
  return all.conversations.map((c) => c.id).filter((id) => ids.includes(id));
}

describe('GET /ai/conversations', () => {
  it('returns the v1 wrapper with the summary fields (task a string)', async () => {
    const made = await chat({ task: 'Wrapper shape check' });
    const body = await list();
    expect(Object.keys(body)).toEqual(['conversations', 'limit', 'offset', 'count']);
    expect(body.limit).toBe(50);
    expect(body.offset).toBe(0);
    expect(body.count).toBe(body.conversations.length);
    const item = body.conversations.find((c) => c.id === made.conversation_id) as Summary;
    expect(Object.keys(item)).toEqual([
      'id',
      'task',
      'prompt_type',
      'provider',
      'model',
      'created_at',
      'last_message_at',
      'message_count',
    ]);
    expect(item).toMatchObject({
      task: 'Wrapper shape check',
      prompt_type: 'full',
      provider: 'openai',
      model: 'gpt-4o',
      message_count: 2,
    });
    expect(item.created_at).toMatch(TIMESTAMP);
    expect(item.last_message_at).toBe(made.timestamp);
  });

  it('orders by last activity: continuing an older conversation moves it to the top', async () => {
    const a = await chat({ task: 'Ordering A' });
    const b = await chat({ task: 'Ordering B' });
    const c = await chat({ task: 'Ordering C' });
    const ids = [a.conversation_id, b.conversation_id, c.conversation_id];
    expect(await orderOf(ids)).toEqual([c.conversation_id, b.conversation_id, a.conversation_id]);

    const before = (await list('?limit=200')).conversations.find((x) => x.id === a.conversation_id) as Summary;
    const followUp = await chat({
      task: 'Ordering A, again',
      conversation_id: a.conversation_id,
      max_context_units: 0,
    });
    expect(await orderOf(ids)).toEqual([a.conversation_id, c.conversation_id, b.conversation_id]);

    const after = (await list('?limit=200')).conversations.find((x) => x.id === a.conversation_id) as Summary;
    expect(after.created_at).toBe(before.created_at);
    expect(after.last_message_at).toBe(followUp.timestamp);
    expect(Date.parse(after.last_message_at)).toBeGreaterThan(Date.parse(before.last_message_at));
    expect(after.message_count).toBe(4);
    expect(after.task).toBe('Ordering A');
    expect((await detail(a.conversation_id)).last_message_at).toBe(followUp.timestamp);
  });

  it('pages with limit and offset, echoing them; count is the page size', async () => {
    for (let i = 0; i < 3; i++) {
      await chat({ task: `Paging ${i}` });
    }
    const all = await list('?limit=200');
    expect(all.count).toBeGreaterThanOrEqual(3);
    const page = await list('?limit=2&offset=1');
    expect(page.limit).toBe(2);
    expect(page.offset).toBe(1);
    expect(page.count).toBe(2);
    expect(page.conversations.map((c) => c.id)).toEqual(all.conversations.slice(1, 3).map((c) => c.id));
    const beyond = await list(`?limit=10&offset=${all.count}`);
    expect(beyond.conversations).toEqual([]);
    expect(beyond.count).toBe(0);
    expect((await list('?limit=1')).count).toBe(1);
    expect((await list('?limit=200')).limit).toBe(200);
  });

  it.each(['201', '1000', '999999999'])('clamps limit=%s to 200 and echoes the clamped value', async (limit) => {
    const body = await list(`?limit=${limit}&offset=0`);
    expect(body.limit).toBe(200);
    expect(body.count).toBe((await list('?limit=200')).count);
  });

  it.each(['limit=0', 'limit=-1', 'limit=-1000', 'offset=-1', 'limit=abc', 'limit=1e3', 'offset=1.5'])(
    'rejects %s with 422 and the error envelope',
    async (query) => {
      const res = await app.inject({ method: 'GET', url: `/ai/conversations?${query}` });
      expect(res.statusCode).toBe(422);
      const body = res.json<{ error_code: string; message: string; detail: string }>();
      expect(body.error_code).toBe('VALIDATION_ERROR');
      expect(typeof body.message).toBe('string');
      expect(body.detail).toBe(body.message);
      expect(body.message).toMatch(/limit|offset/);
    },
  );

  it('search matches the first task, a follow-up task and a reply, case-insensitively; not context text', async () => {
    const context = await app.inject({
      method: 'POST',
      url: '/contexts',
      payload: { type: 'fact', content: 'The search test mentions xylophones only in this context', tags: ['music'] },
    });
    expect(context.statusCode).toBe(201);
    const first = await chat({ task: 'Tell me about Marmalade recipes' });
    const second = await chat({ task: 'A question about music' });
    await chat(
      { task: 'Follow-up about Quokkas', conversation_id: second.conversation_id, max_context_units: 0 },
      'Quokkas live on Rottnest Island.',
    );
    const third = await chat({ task: 'Unrelated third conversation' }, 'The answer mentions Tangerines.');
    const fourth = await chat({ task: 'Wegbeschreibung über die Brücke' });
    // The context was part of at least one prompt sent, but a prompt's context block is not searched.
    expect([first, second, third, fourth].some((c) => c.prompt_used.includes('xylophones'))).toBe(true);

    const ids = async (search: string) =>
      (await list(`?limit=200&search=${encodeURIComponent(search)}`)).conversations.map((c) => c.id);
    expect(await ids('marmalade')).toEqual([first.conversation_id]);
    expect(await ids('QUOKKAS')).toEqual([second.conversation_id]);
    expect(await ids('rottnest')).toEqual([second.conversation_id]);
    expect(await ids('tangerines')).toEqual([third.conversation_id]);
    expect(await ids('ÜBER DIE')).toEqual([fourth.conversation_id]);
    expect(await ids('xylophones')).toEqual([]);
    expect(await ids('no-conversation-mentions-this')).toEqual([]);
    // Wildcard characters are literal.
    expect(await ids('%')).toEqual([]);
    expect(await ids('_')).toEqual([]);
    // An empty search is no filter.
    expect((await list('?limit=200&search=')).count).toBe((await list('?limit=200')).count);
  });
});

describe('GET /ai/conversations/{id}', () => {
  it('returns the messages in order with per-turn context_ids and task', async () => {
    for (const content of ['Alice leads the payments team', 'Bob owns the deployment pipeline']) {
      const res = await app.inject({ method: 'POST', url: '/contexts', payload: { type: 'fact', content } });
      expect(res.statusCode).toBe(201);
    }
    const first = await chat({ task: 'Who leads payments?', max_context_units: 2 }, 'Alice does.');
    const second = await chat(
      { task: 'Who owns deployments?', conversation_id: first.conversation_id, max_context_units: 1 },
      'Bob does.',
    );
    const third = await chat(
      { task: 'Thanks!', conversation_id: first.conversation_id, max_context_units: 0 },
      'You are welcome.',
    );
    const body = await detail(first.conversation_id);
    expect(Object.keys(body)).toEqual([
      'id',
      'task',
      'prompt_type',
      'provider',
      'model',
      'context_ids',
      'created_at',
      'last_message_at',
      'messages',
    ]);
    expect(body.task).toBe('Who leads payments?');
    expect(body.context_ids).toEqual(first.context_ids);
    expect(body.last_message_at).toBe(third.timestamp);
    expect(body.messages.map((m) => [m.role, m.task, m.context_ids])).toEqual([
      ['user', 'Who leads payments?', first.context_ids],
      ['assistant', null, null],
      ['user', 'Who owns deployments?', second.context_ids],
      ['assistant', null, null],
      ['user', 'Thanks!', []],
      ['assistant', null, null],
    ]);
    expect(body.messages.map((m) => m.content)).toEqual([
      first.prompt_used,
      'Alice does.',
      second.prompt_used,
      'Bob does.',
      'Thanks!',
      'You are welcome.',
    ]);
    const [user, assistant] = body.messages;
    expect(user).toMatchObject({ model: null, tokens: null, finish_reason: null });
    expect(assistant).toMatchObject({ model: 'gpt-4o', finish_reason: 'stop' });
    expect(assistant?.tokens).toBeGreaterThan(0);
    expect(new Set(body.messages.map((m) => m.id)).size).toBe(6);
    for (const m of body.messages) {
      expect(m.created_at).toMatch(TIMESTAMP);
    }
    // Created in order: timestamps never go backwards.
    const times = body.messages.map((m) => Date.parse(m.created_at));
    expect([...times].sort((x, y) => x - y)).toEqual(times);
  });

  it('answers 404 with the v1 message for an unknown id', async () => {
    const res = await app.inject({ method: 'GET', url: '/ai/conversations/does-not-exist' });
    expect(res.statusCode).toBe(404);
    const body = res.json<{ message: string; detail: string }>();
    expect(body.message).toBe('Conversation does-not-exist not found');
    expect(body.detail).toBe(body.message);
  });
});

describe('DELETE /ai/conversations/{id}', () => {
  it('deletes a conversation with its messages: 204, then 404', async () => {
    const keep = await chat({ task: 'A conversation that stays' });
    const gone = await chat({ task: 'A conversation to delete' });
    await chat({ task: 'Its follow-up', conversation_id: gone.conversation_id, max_context_units: 0 });

    const res = await app.inject({ method: 'DELETE', url: `/ai/conversations/${gone.conversation_id}` });
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');

    expect((await app.inject({ method: 'GET', url: `/ai/conversations/${gone.conversation_id}` })).statusCode).toBe(
      404,
    );
    const ids = (await list('?limit=200')).conversations.map((c) => c.id);
    expect(ids).not.toContain(gone.conversation_id);
    expect(ids).toContain(keep.conversation_id);
    expect((await detail(keep.conversation_id)).messages).toHaveLength(2);

    const again = await app.inject({ method: 'DELETE', url: `/ai/conversations/${gone.conversation_id}` });
    expect(again.statusCode).toBe(404);
    expect(again.json<{ message: string }>().message).toBe(`Conversation ${gone.conversation_id} not found`);

    // A deleted conversation cannot be continued.
    const continued = await app.inject({
      method: 'POST',
      url: '/ai/chat',
      payload: { task: 'Continue the deleted one', provider: 'openai', conversation_id: gone.conversation_id },
    });
    expect(continued.statusCode).toBe(404);
  });

  it('answers 404 for an unknown id', async () => {
    const res = await app.inject({ method: 'DELETE', url: '/ai/conversations/00000000-0000-4000-8000-000000000000' });
    expect(res.statusCode).toBe(404);
    expect(res.json<{ message: string }>().message).toBe('Conversation 00000000-0000-4000-8000-000000000000 not found');
  });
});
