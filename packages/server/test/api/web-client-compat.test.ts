import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startAnthropicFake } from '../fakes/anthropic-fake.js';
import { startOllamaChatFake } from '../fakes/ollama-chat-fake.js';
import { type ChatFake, startOpenAiChatFake } from '../fakes/openai-chat-fake.js';
import { buildTestApp } from '../helpers.js';

/*
 * The original web client's calls, replayed as it makes them: cross-origin from
 * http://localhost:3000, JSON bodies, no API key or signature (its default deployment), and the exact bodies and
 * query strings it sends. The assertions are on the shapes that client reads.
 */

const ORIGIN = 'http://localhost:3000';
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

let openai: ChatFake;
let anthropic: ChatFake;
let ollama: ChatFake;
let app: FastifyInstance;

beforeAll(async () => {
  [openai, anthropic, ollama] = await Promise.all([
    startOpenAiChatFake({ apiKey: 'sk-web-env-openai-1b3d5f' }),
    startAnthropicFake(),
    startOllamaChatFake(),
  ]);
  app = await buildTestApp({
    CONTEXTPILOT_RATE_LIMIT_ENABLED: 'false',
    CONTEXTPILOT_OPENAI_API_KEY: 'sk-web-env-openai-1b3d5f',
    CONTEXTPILOT_OPENAI_BASE_URL: `${openai.url}/v1`,
    CONTEXTPILOT_ANTHROPIC_BASE_URL: anthropic.url,
    CONTEXTPILOT_OLLAMA_BASE_URL: ollama.url,
  });
});

afterAll(async () => {
  await app.close();
  await Promise.all([openai, anthropic, ollama].map((f) => f.close()));
});

/** One call as the axios instance makes it: Origin, Accept, and `Content-Type: application/json` on bodies. */
async function call(method: 'GET' | 'POST' | 'DELETE', url: string, body?: unknown): Promise<LightMyRequestResponse> {
  const res = await app.inject({
    method,
    url,
    headers: {
      origin: ORIGIN,
      accept: 'application/json, text/plain, */*',
      ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
    },
    // axios serialises a null body as "null" when the content type is JSON.
    ...(method === 'POST' ? { payload: JSON.stringify(body ?? null) } : {}),
  });
  expect(res.headers['access-control-allow-origin']).toBe(ORIGIN);
  return res;
}

/** The client shows `message`, else `detail`, and assumes both are strings. */
function expectReadableError(res: LightMyRequestResponse, status: number): string {
  expect(res.statusCode).toBe(status);
  const body = res.json<{ message: unknown; detail: unknown }>();
  expect(typeof body.message).toBe('string');
  expect(typeof body.detail).toBe('string');
  expect(body.detail).toBe(body.message);
  return body.message as string;
}

describe('the original web client', () => {
  it('page load: contexts (twice), stats, settings, providers and conversations, in parallel', async () => {
    const [contextsA, contextsB, stats, settings, providers, conversations] = await Promise.all([
      call('GET', '/contexts?include_superseded=false'),
      call('GET', '/contexts?include_superseded=false'),
      call('GET', '/stats'),
      call('GET', '/settings'),
      call('GET', '/providers'),
      call('GET', '/ai/conversations'),
    ]);
    for (const res of [contextsA, contextsB, stats, settings, providers, conversations]) {
      expect(res.statusCode, res.body).toBe(200);
    }
    expect(Array.isArray(contextsA.json())).toBe(true);
    expect(contextsB.json()).toEqual(contextsA.json());

    const s = stats.json<{ active_contexts: unknown; contexts_by_type: unknown }>();
    expect(typeof s.active_contexts).toBe('number');
    expect(s.contexts_by_type).toBeTypeOf('object');
    expect(Array.isArray(s.contexts_by_type)).toBe(false);
    expect(s.contexts_by_type).not.toBeNull();

    expect(Object.keys(settings.json<object>())).toHaveLength(24);
    const p = providers.json<{ providers: { name: string; available_models: unknown }[]; default_provider: string }>();
    expect(p.providers.map((x) => x.name)).toEqual(['openai', 'anthropic', 'ollama']);
    expect(p.providers.every((x) => Array.isArray(x.available_models))).toBe(true);
    expect(typeof p.default_provider).toBe('string');

    const c = conversations.json<{ conversations: unknown }>();
    expect(Array.isArray(c.conversations)).toBe(true);
  });

  it('answers the CORS preflight of its JSON POSTs', async () => {
    for (const url of ['/contexts', '/ai/chat', '/settings', '/providers/openai/validate?model=gpt-4o']) {
      const res = await app.inject({
        method: 'OPTIONS',
        url,
        headers: {
          origin: ORIGIN,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      });
      expect(res.statusCode, url).toBeLessThan(300);
      expect(res.headers['access-control-allow-origin']).toBe(ORIGIN);
      expect(String(res.headers['access-control-allow-methods'])).toMatch(/POST|\*/);
      expect(String(res.headers['access-control-allow-headers']).toLowerCase()).toMatch(/content-type|\*/);
    }
  });

  it('creates contexts and lists them with include_superseded=false and its filters (a bare array)', async () => {
    const created = await call('POST', '/contexts', {
      type: 'preference',
      content: 'I like answers with runnable code samples',
      confidence: 0.9,
      tags: ['coding', 'style'],
    });
    expect(created.statusCode, created.body).toBe(201);
    const unit = created.json<{ id: string; type: string; tags: string[]; created_at: string }>();
    expect(unit).toMatchObject({ type: 'preference', tags: ['coding', 'style'] });
    expect(unit.created_at).toMatch(TIMESTAMP);
    const other = await call('POST', '/contexts', {
      type: 'fact',
      content: 'The team deploys on Thursdays',
      confidence: 1,
      tags: ['ops'],
    });
    expect(other.statusCode).toBe(201);

    const queries = [
      'include_superseded=false&type=preference',
      'include_superseded=false&tags=coding%2Cstyle',
      'include_superseded=false&search=runnable',
      'include_superseded=false&status_filter=active&type=preference&tags=coding',
    ];
    for (const query of queries) {
      const res = await call('GET', `/contexts?${query}`);
      expect(res.statusCode, query).toBe(200);
      const list = res.json<{ id: string }[]>();
      expect(Array.isArray(list), query).toBe(true);
      expect(
        list.map((u) => u.id),
        query,
      ).toEqual([unit.id]);
    }
    const stats = (await call('GET', '/stats')).json<{ contexts_by_type: Record<string, number> }>();
    expect(stats.contexts_by_type.preference).toBeGreaterThanOrEqual(1);
  });

  it('saves settings with both raw keys the way its form does, then reloads settings and providers', async () => {
    const current = (await call('GET', '/settings')).json<Record<string, unknown>>();
    expect(current.anthropic_api_key_set).toBe(false);
    // The form re-sends every field it was filled with, minus the *_set flags and ollama_configured, plus the
    // typed keys; string fields only when non-blank.
    const form: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(current)) {
      if (key.endsWith('_api_key_set') || key === 'ollama_configured') {
        continue;
      }
      if (
        typeof value === 'string' &&
        value.trim() === '' &&
        key !== 'default_ai_provider' &&
        key !== 'default_ai_model'
      ) {
        continue;
      }
      form[key] = value;
    }
    form.openai_api_key = 'sk-web-typed-openai-2c4e6a';
    form.anthropic_api_key = 'sk-ant-web-typed-8e0a2c';
    form.ai_max_tokens = 4000;
    const saved = await call('POST', '/settings', form);
    expect(saved.statusCode, saved.body).toBe(200);
    const body = saved.json<{ message: string; updated_fields: string[] }>();
    expect(body.message).toBe('Settings updated successfully');
    expect(body.updated_fields).toEqual(
      expect.arrayContaining(['openai_api_key', 'anthropic_api_key', 'ai_max_tokens']),
    );
    expect(saved.body).not.toContain('sk-web-typed-openai-2c4e6a');

    const reloaded = (await call('GET', '/settings')).json<Record<string, unknown>>();
    expect(reloaded).toMatchObject({ openai_api_key_set: true, anthropic_api_key_set: true, ai_max_tokens: 4000 });
    const providers = (await call('GET', '/providers')).json<{ providers: { name: string; configured: boolean }[] }>();
    expect(providers.providers.map((p) => [p.name, p.configured])).toEqual([
      ['openai', true],
      ['anthropic', true],
      ['ollama', true],
    ]);
    const stored = await app.parts.storage.settings.getAll();
    expect(stored.get('openai_api_key')).toMatch(/^enc:v2:/);
    expect(stored.get('anthropic_api_key')).toMatch(/^enc:v2:/);

    // Back to the configured keys (not something the v1 client can do).
    const reset = await call('POST', '/settings', {
      openai_api_key: null,
      anthropic_api_key: null,
      ai_max_tokens: null,
    });
    expect(reset.statusCode).toBe(200);
    expect((await call('GET', '/settings')).json<Record<string, unknown>>().anthropic_api_key_set).toBe(false);
  });

  it('tests a provider connection with a null body and ?model=', async () => {
    const res = await call('POST', '/providers/openai/validate?model=gpt-4o', null);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json<{ provider: string; valid: boolean; message: unknown; checked_model: string }>();
    expect(body).toMatchObject({ provider: 'openai', checked_model: 'gpt-4o' });
    expect(typeof body.valid).toBe('boolean');
    expect(typeof body.message).toBe('string');
    expect(body.valid).toBe(true);
  });

  it('chats, follows up with max_context_units 0, then lists and opens the conversation', async () => {
    openai.reply('Here is a runnable sample.', { model: 'gpt-4o-2024-08-06' });
    const first = await call('POST', '/ai/chat', {
      task: 'Show me how to read a file in Node',
      max_context_units: 5,
      provider: 'openai',
      model: 'gpt-4o',
      max_tokens: null,
      temperature: null,
    });
    expect(first.statusCode, first.body).toBe(200);
    const answer = first.json<Record<string, unknown>>();
    for (const key of ['conversation_id', 'task', 'response', 'provider', 'model', 'prompt_used', 'timestamp']) {
      expect(typeof answer[key], key).toBe('string');
    }
    expect(Array.isArray(answer.context_ids)).toBe(true);
    // The client overwrites its selectors with what the server reports: the model that answered.
    expect([answer.provider, answer.model]).toEqual(['openai', 'gpt-4o-2024-08-06']);
    expect(answer.timestamp).toMatch(TIMESTAMP);

    openai.reply('Use fs.promises.readFile.');
    const followUp = await call('POST', '/ai/chat', {
      task: 'And asynchronously?',
      max_context_units: 0,
      provider: answer.provider,
      model: 'gpt-4o',
      conversation_id: answer.conversation_id,
      max_tokens: null,
      temperature: null,
    });
    expect(followUp.statusCode, followUp.body).toBe(200);
    const second = followUp.json<{ conversation_id: string; prompt_used: string; context_ids: string[] }>();
    expect(second.conversation_id).toBe(answer.conversation_id);
    expect(second.prompt_used).toBe('And asynchronously?');
    expect(second.context_ids).toEqual([]);

    const list = await call('GET', '/ai/conversations');
    expect(list.statusCode).toBe(200);
    const wrapper = list.json<{
      conversations: Record<string, unknown>[];
      limit: number;
      offset: number;
      count: number;
    }>();
    expect(Object.keys(wrapper)).toEqual(['conversations', 'limit', 'offset', 'count']);
    const item = wrapper.conversations.find((c) => c.id === answer.conversation_id) as Record<string, unknown>;
    expect(typeof item.task).toBe('string');
    expect((item.task as string).substring(0, 10)).toBe('Show me ho');
    expect(item).toMatchObject({ provider: 'openai', model: 'gpt-4o', message_count: 4 });
    expect(item.created_at).toMatch(TIMESTAMP);

    const opened = await call('GET', `/ai/conversations/${String(answer.conversation_id)}`);
    expect(opened.statusCode).toBe(200);
    const detail = opened.json<{ messages: { role: string; content: string; created_at: string }[] }>();
    expect(detail.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
    expect(detail.messages[1]?.content).toBe('Here is a runnable sample.');
    expect(detail.messages.every((m) => TIMESTAMP.test(m.created_at))).toBe(true);
  });

  it('gets string message and detail on every error it can trigger', async () => {
    // A bad model, a provider error and an unknown conversation.
    expect(
      expectReadableError(
        await call('POST', '/ai/chat', {
          task: 'x',
          max_context_units: 5,
          provider: 'openai',
          model: 'gpt-9',
          max_tokens: null,
          temperature: null,
        }),
        400,
      ),
    ).toMatch(/^Model 'gpt-9' is not supported/);
    openai.failNext(401);
    expect(
      expectReadableError(
        await call('POST', '/ai/chat', {
          task: 'x',
          max_context_units: 5,
          provider: 'openai',
          model: 'gpt-4o',
          max_tokens: null,
          temperature: null,
        }),
        400,
      ),
    ).toContain('authentication failed');
    expectReadableError(await call('GET', '/ai/conversations/not-a-conversation'), 404);
    // Cleared number fields arrive as null or NaN→null; out-of-range values are 422 with a readable message.
    expect(
      expectReadableError(
        await call('POST', '/ai/chat', {
          task: 'x',
          max_context_units: 25,
          provider: 'openai',
          model: 'gpt-4o',
          max_tokens: null,
          temperature: null,
        }),
        422,
      ),
    ).toContain('max_context_units');
    expectReadableError(await call('POST', '/settings', { ai_max_tokens: 0 }), 422);
    expectReadableError(await call('POST', '/contexts', { type: 'opinion', content: 'x' }), 422);
    expectReadableError(await call('DELETE', '/contexts/00000000-0000-4000-8000-000000000000'), 404);
  });

  it('deletes a context and sees the stats change', async () => {
    const created = await call('POST', '/contexts', {
      type: 'goal',
      content: 'Remove me later',
      confidence: 0.5,
      tags: [],
    });
    const id = created.json<{ id: string }>().id;
    const before = (await call('GET', '/stats')).json<{ active_contexts: number }>().active_contexts;
    const res = await call('DELETE', `/contexts/${id}`);
    expect(res.statusCode).toBe(204);
    expect((await call('GET', '/stats')).json<{ active_contexts: number }>().active_contexts).toBe(before - 1);
    const list = (await call('GET', '/contexts?include_superseded=false')).json<{ id: string }[]>();
    expect(list.map((u) => u.id)).not.toContain(id);
  });
});
