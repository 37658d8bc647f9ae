import { randomUUID } from 'node:crypto';

import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildTestApp, inject, token } from '../helpers.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const V1_KEYS = [
  'id',
  'type',
  'content',
  'confidence',
  'created_at',
  'last_used',
  'source',
  'tags',
  'status',
  'superseded_by',
];

interface Unit {
  id: string;
  type: string;
  content: string;
  confidence: number;
  created_at: string;
  last_used: string | null;
  source: string;
  tags: string[];
  status: string;
  superseded_by: string | null;
}

let app: FastifyInstance;
beforeAll(async () => {
  app = await buildTestApp();
});
afterAll(async () => {
  await app.close();
});

async function create(payload: Record<string, unknown>): Promise<Unit> {
  const res = await inject(app, { method: 'POST', url: '/contexts', payload });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<Unit>();
}

async function list(query: string): Promise<Unit[]> {
  const res = await inject(app, { method: 'GET', url: `/contexts?${query}` });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<Unit[]>();
}

async function stats() {
  const res = await inject(app, { method: 'GET', url: '/stats' });
  expect(res.statusCode).toBe(200);
  return res.json<{
    total_contexts: number;
    active_contexts: number;
    superseded_contexts: number;
    contexts_by_type: Record<string, number>;
    contexts_with_embeddings: number;
  }>();
}

async function supersede(oldId: string, newId: string): Promise<Unit> {
  const res = await inject(app, {
    method: 'PUT',
    url: `/contexts/${oldId}`,
    payload: { status: 'superseded', superseded_by: newId },
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<Unit>();
}

async function prompt(task: string, maxContextUnits = 20) {
  const res = await inject(app, {
    method: 'POST',
    url: '/generate-prompt',
    payload: { task, max_context_units: maxContextUnits },
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ timestamp: string; relevant_context: { context_unit: Unit; relevance_score: number }[] }>();
}

describe('POST /contexts', () => {
  it('returns 201 with every field of the v1 unit in v1 key order and the documented defaults', async () => {
    const content = `A fact about ${token()}`;
    const before = Date.now();
    const res = await inject(app, { method: 'POST', url: '/contexts', payload: { type: 'fact', content } });
    expect(res.statusCode).toBe(201);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const unit = res.json<Unit>();
    expect(Object.keys(unit)).toEqual(V1_KEYS);
    expect(unit.id).toMatch(UUID);
    expect(unit.type).toBe('fact');
    expect(unit.content).toBe(content);
    expect(unit.confidence).toBe(1);
    expect(unit.created_at).toMatch(TIMESTAMP);
    const created = Date.parse(unit.created_at);
    expect(created).toBeGreaterThanOrEqual(before - 1000);
    expect(created).toBeLessThanOrEqual(Date.now() + 1000);
    expect(unit.last_used).toBeNull();
    expect(unit.source).toBe('manual');
    expect(unit.tags).toEqual([]);
    expect(unit.status).toBe('active');
    expect(unit.superseded_by).toBeNull();
  });

  it('stores the given confidence, tags and source', async () => {
    const tag = token();
    const unit = await create({
      type: 'goal',
      content: `Ship ${token()}`,
      confidence: 0.35,
      tags: [tag, 'python-3'],
      source: 'import-script',
    });
    expect(unit.type).toBe('goal');
    expect(unit.confidence).toBe(0.35);
    expect(unit.tags).toEqual([tag, 'python-3']);
    expect(unit.source).toBe('import-script');
    const fetched = await inject(app, { method: 'GET', url: `/contexts/${unit.id}` });
    expect(fetched.json()).toEqual(unit);
  });

  it('gives every unit a distinct id', async () => {
    const a = await create({ type: 'fact', content: `first ${token()}` });
    const b = await create({ type: 'fact', content: `second ${token()}` });
    expect(a.id).not.toBe(b.id);
  });

  it('trims content and tags', async () => {
    const word = token();
    const unit = await create({
      type: 'preference',
      content: `  Test content with spaces ${word}  `,
      tags: ['  tag1  ', 'tag2'],
    });
    expect(unit.content).toBe(`Test content with spaces ${word}`);
    expect(unit.tags).toEqual(['tag1', 'tag2']);
  });

  it('removes control characters but keeps newlines and tabs', async () => {
    const word = token();
    const unit = await create({ type: 'fact', content: `Hello\u0000World\u0001\u0002 ${word}\nline two\tcolumn` });
    expect(unit.content).toBe(`HelloWorld ${word}\nline two\tcolumn`);
  });

  it('keeps Unicode text such as "Hello 世界 🌍" unchanged', async () => {
    const word = token();
    const unit = await create({ type: 'fact', content: `Hello 世界 🌍 ${word}`, tags: ['世界', 'café'] });
    expect(unit.content).toBe(`Hello 世界 🌍 ${word}`);
    expect(unit.tags).toEqual(['世界', 'café']);
    const fetched = await inject(app, { method: 'GET', url: `/contexts/${unit.id}` });
    expect(fetched.json<Unit>().content).toBe(`Hello 世界 🌍 ${word}`);
  });

  it('merges tags that differ only in case, keeping the first spelling', async () => {
    const unit = await create({
      type: 'fact',
      content: `Tags ${token()}`,
      tags: ['Python', 'python', ' PYTHON ', 'ml', 'ML'],
    });
    expect(unit.tags).toEqual(['Python', 'ml']);
  });
});

describe('GET /contexts/{id}', () => {
  it('returns the stored unit', async () => {
    const unit = await create({ type: 'decision', content: `Use SQLite ${token()}`, tags: ['db'] });
    const res = await inject(app, { method: 'GET', url: `/contexts/${unit.id}` });
    expect(res.statusCode).toBe(200);
    expect(Object.keys(res.json<Unit>())).toEqual(V1_KEYS);
    expect(res.json()).toEqual(unit);
  });

  it('returns 404 "Context unit {id} not found" for an unknown id', async () => {
    const id = randomUUID();
    const res = await inject(app, { method: 'GET', url: `/contexts/${id}` });
    expect(res.statusCode).toBe(404);
    const body = res.json<{ error_code: string; message: string; detail: string; details: object }>();
    expect(body.message).toBe(`Context unit ${id} not found`);
    expect(body.detail).toBe(body.message);
    expect(body.error_code).toBe('HTTP_ERROR');
    expect(body.details).toEqual({});
  });
});

describe('GET /contexts', () => {
  it('returns a bare array of units in insertion order', async () => {
    const word = token();
    const a = await create({ type: 'fact', content: `alpha ${word}` });
    const b = await create({ type: 'goal', content: `beta ${word}` });
    const c = await create({ type: 'preference', content: `gamma ${word}` });
    const res = await inject(app, { method: 'GET', url: `/contexts?search=${word}` });
    expect(res.statusCode).toBe(200);
    const body = res.json<Unit[]>();
    expect(Array.isArray(body)).toBe(true);
    expect(body).toEqual([a, b, c]);
  });

  it('filters by type', async () => {
    const word = token();
    const pref = await create({ type: 'preference', content: `pref ${word}` });
    await create({ type: 'fact', content: `fact ${word}` });
    const pref2 = await create({ type: 'preference', content: `pref two ${word}` });
    expect((await list(`search=${word}&type=preference`)).map((u) => u.id)).toEqual([pref.id, pref2.id]);
    expect(await list(`search=${word}&type=decision`)).toEqual([]);
  });

  it('rejects an unknown type with 400 "Invalid type"', async () => {
    const res = await inject(app, { method: 'GET', url: '/contexts?type=opinion' });
    expect(res.statusCode).toBe(400);
    expect(res.json<{ message: string }>().message).toBe(
      'Invalid type: opinion. Must be one of: preference, goal, decision, fact',
    );
  });

  it('filters by tags: any requested tag, compared case-insensitively', async () => {
    const word = token();
    const t1 = token();
    const t2 = token();
    const a = await create({ type: 'fact', content: `a ${word}`, tags: [t1.toUpperCase()] });
    const b = await create({ type: 'fact', content: `b ${word}`, tags: [t2, 'other'] });
    await create({ type: 'fact', content: `c ${word}`, tags: ['unrelated'] });
    await create({ type: 'fact', content: `d ${word}` });
    expect((await list(`tags=${t1}`)).map((u) => u.id)).toEqual([a.id]);
    expect((await list(`tags=${encodeURIComponent(` ${t1} , ${t2.toUpperCase()} `)}`)).map((u) => u.id)).toEqual([
      a.id,
      b.id,
    ]);
  });

  it('filters by search: case-insensitive substring of the content or of a tag', async () => {
    const word = token();
    const tagged = token();
    const inContent = await create({ type: 'fact', content: `Mentions ${word}XYZ in the middle` });
    const inTag = await create({ type: 'fact', content: `No match in content ${token()}`, tags: [`${word}tag`] });
    await create({ type: 'fact', content: `Nothing here ${tagged}` });
    const found = await list(`search=${word.toUpperCase()}`);
    expect(found.map((u) => u.id)).toEqual([inContent.id, inTag.id]);
    expect((await list(`search=${encodeURIComponent(`${word}xyz in`)}`)).map((u) => u.id)).toEqual([inContent.id]);
  });

  it('filters by status_filter, which sees superseded units only with include_superseded=true', async () => {
    const word = token();
    const old = await create({ type: 'fact', content: `old ${word}` });
    const current = await create({ type: 'fact', content: `new ${word}` });
    await supersede(old.id, current.id);
    expect((await list(`search=${word}&status_filter=active`)).map((u) => u.id)).toEqual([current.id]);
    expect(await list(`search=${word}&status_filter=superseded`)).toEqual([]);
    expect((await list(`search=${word}&status_filter=superseded&include_superseded=true`)).map((u) => u.id)).toEqual([
      old.id,
    ]);
  });

  it('rejects an unknown status_filter with 400 "Invalid status"', async () => {
    const res = await inject(app, { method: 'GET', url: '/contexts?status_filter=archived' });
    expect(res.statusCode).toBe(400);
    expect(res.json<{ message: string }>().message).toBe(
      'Invalid status: archived. Must be one of: active, superseded',
    );
  });

  it('hides superseded units unless include_superseded is true', async () => {
    const word = token();
    const old = await create({ type: 'fact', content: `old ${word}` });
    const current = await create({ type: 'fact', content: `new ${word}` });
    await supersede(old.id, current.id);
    expect((await list(`search=${word}`)).map((u) => u.id)).toEqual([current.id]);
    expect((await list(`search=${word}&include_superseded=false`)).map((u) => u.id)).toEqual([current.id]);
    for (const yes of ['true', '1', 'yes', 'on']) {
      expect((await list(`search=${word}&include_superseded=${yes}`)).map((u) => u.id)).toEqual([old.id, current.id]);
    }
  });

  it('combines type, tags, search and status filters', async () => {
    const word = token();
    const tag = token();
    const match = await create({ type: 'goal', content: `goal ${word}`, tags: [tag] });
    await create({ type: 'fact', content: `fact ${word}`, tags: [tag] });
    await create({ type: 'goal', content: `goal without tag ${word}` });
    await create({ type: 'goal', content: `goal elsewhere ${token()}`, tags: [tag] });
    const found = await list(`type=goal&tags=${tag}&search=${word}&status_filter=active&limit=10`);
    expect(found.map((u) => u.id)).toEqual([match.id]);
  });

  it('applies limit and offset after filtering, in insertion order', async () => {
    const word = token();
    const units: Unit[] = [];
    for (let i = 0; i < 5; i++) {
      units.push(await create({ type: 'fact', content: `item ${i} ${word}` }));
    }
    const ids = units.map((u) => u.id);
    expect((await list(`search=${word}&limit=2`)).map((u) => u.id)).toEqual(ids.slice(0, 2));
    expect((await list(`search=${word}&limit=2&offset=1`)).map((u) => u.id)).toEqual(ids.slice(1, 3));
    expect((await list(`search=${word}&offset=3`)).map((u) => u.id)).toEqual(ids.slice(3));
    expect(await list(`search=${word}&limit=0`)).toEqual([]);
    expect(await list(`search=${word}&offset=5`)).toEqual([]);
  });
});

describe('PUT /contexts/{id}', () => {
  it('changes only the keys present in the body', async () => {
    const unit = await create({
      type: 'fact',
      content: `Original ${token()}`,
      confidence: 0.5,
      tags: ['keep'],
      source: 'cli',
    });
    const res = await inject(app, { method: 'PUT', url: `/contexts/${unit.id}`, payload: { confidence: 0.9 } });
    expect(res.statusCode).toBe(200);
    const updated = res.json<Unit>();
    expect(Object.keys(updated)).toEqual(V1_KEYS);
    expect(updated).toEqual({ ...unit, confidence: 0.9 });
    expect((await inject(app, { method: 'GET', url: `/contexts/${unit.id}` })).json()).toEqual(updated);
  });

  it('updates type, content and tags, sanitizing them like a create', async () => {
    const unit = await create({ type: 'fact', content: `Before ${token()}`, tags: ['a'] });
    const word = token();
    const res = await inject(app, {
      method: 'PUT',
      url: `/contexts/${unit.id}`,
      payload: { type: 'decision', content: `  After\u0000 ${word}  `, tags: ['  New ', 'new', 'two'] },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ...unit, type: 'decision', content: `After ${word}`, tags: ['New', 'two'] });
  });

  it('validates tags and leaves the unit unchanged when they are invalid', async () => {
    const unit = await create({ type: 'fact', content: `Tag check ${token()}`, tags: ['ok'] });
    const res = await inject(app, {
      method: 'PUT',
      url: `/contexts/${unit.id}`,
      payload: { tags: ['tag@x'], confidence: 0.1 },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json<{ message: string }>().message).toContain('invalid characters');
    expect((await inject(app, { method: 'GET', url: `/contexts/${unit.id}` })).json()).toEqual(unit);
  });

  it('re-embeds new content, so a later prompt ranks the unit by its new content', async () => {
    const cat = await create({ type: 'fact', content: 'Our family cat sleeps on the windowsill every afternoon' });
    const unit = await create({ type: 'fact', content: 'Quarterly tax filings are due in April' });
    const task = 'Recommend toys for a canine companion';
    const positions = (ranked: { context_unit: Unit }[]) => {
      const ids = ranked.map((r) => r.context_unit.id);
      return { unit: ids.indexOf(unit.id), cat: ids.indexOf(cat.id) };
    };
    const before = positions((await prompt(task)).relevant_context);
    expect(before.cat).toBeGreaterThanOrEqual(0);
    expect(before.unit === -1 || before.unit > before.cat).toBe(true);

    const res = await inject(app, {
      method: 'PUT',
      url: `/contexts/${unit.id}`,
      payload: { content: 'My dog is a golden retriever puppy who loves fetch' },
    });
    expect(res.statusCode).toBe(200);
    const after = positions((await prompt(task)).relevant_context);
    expect(after.unit).toBeGreaterThanOrEqual(0);
    expect(after.cat === -1 || after.unit < after.cat).toBe(true);
  });

  it('makes new content findable by full text and old content no longer', async () => {
    const oldWord = token();
    const newWord = token();
    const unit = await create({ type: 'fact', content: `Remember ${oldWord}` });
    await inject(app, { method: 'PUT', url: `/contexts/${unit.id}`, payload: { content: `Remember ${newWord}` } });
    const ranked = (await prompt(`What about ${newWord}?`)).relevant_context;
    const hit = ranked.find((r) => r.context_unit.id === unit.id) as
      { context_unit: Unit; score_breakdown: { lexical: number } } | undefined;
    expect(hit?.score_breakdown.lexical).toBe(1);
    const stale = (await prompt(`What about ${oldWord}?`)).relevant_context.find(
      (r) => r.context_unit.id === unit.id,
    ) as { score_breakdown: { lexical: number } } | undefined;
    expect(stale?.score_breakdown.lexical ?? 0).toBe(0);
  });

  it('returns 404 for an unknown id', async () => {
    const id = randomUUID();
    const res = await inject(app, { method: 'PUT', url: `/contexts/${id}`, payload: { confidence: 0.5 } });
    expect(res.statusCode).toBe(404);
    expect(res.json<{ message: string }>().message).toBe(`Context unit ${id} not found`);
  });

  it('rejects superseded_by that references no unit with 400 and changes nothing', async () => {
    const unit = await create({ type: 'fact', content: `Lonely ${token()}` });
    const res = await inject(app, {
      method: 'PUT',
      url: `/contexts/${unit.id}`,
      payload: { status: 'superseded', superseded_by: randomUUID() },
    });
    expect(res.statusCode).toBe(400);
    expect((await inject(app, { method: 'GET', url: `/contexts/${unit.id}` })).json()).toEqual(unit);
  });

  it('rejects a unit superseding itself with 400 "A context cannot supersede itself" and changes nothing', async () => {
    const unit = await create({ type: 'fact', content: `Self ${token()}` });
    const res = await inject(app, {
      method: 'PUT',
      url: `/contexts/${unit.id}`,
      payload: { status: 'superseded', superseded_by: unit.id },
    });
    expect(res.statusCode).toBe(400);
    const message = 'A context cannot supersede itself';
    expect(res.json()).toEqual({ error_code: 'HTTP_ERROR', message, detail: message, details: {} });
    expect((await inject(app, { method: 'GET', url: `/contexts/${unit.id}` })).json()).toEqual(unit);
  });

  it('clears superseded_by when it is set to null', async () => {
    const old = await create({ type: 'fact', content: `old ${token()}` });
    const current = await create({ type: 'fact', content: `new ${token()}` });
    expect((await supersede(old.id, current.id)).superseded_by).toBe(current.id);
    const res = await inject(app, {
      method: 'PUT',
      url: `/contexts/${old.id}`,
      payload: { status: 'active', superseded_by: null },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ...old, status: 'active', superseded_by: null });
  });

  it('supersedes a unit: hidden from the default list and never ranked, still readable by id and with include_superseded', async () => {
    const word = token();
    const oldContent = `I prefer tabs for indentation ${word}`;
    const old = await create({ type: 'preference', content: oldContent, tags: [word] });
    const current = await create({
      type: 'preference',
      content: `I prefer spaces for indentation ${word}`,
      tags: [word],
    });
    const marked = await supersede(old.id, current.id);
    expect(marked).toEqual({ ...old, status: 'superseded', superseded_by: current.id });

    expect((await list(`search=${word}`)).map((u) => u.id)).toEqual([current.id]);
    expect((await list(`search=${word}&include_superseded=true`)).map((u) => u.id)).toEqual([old.id, current.id]);
    const fetched = await inject(app, { method: 'GET', url: `/contexts/${old.id}` });
    expect(fetched.statusCode).toBe(200);
    expect(fetched.json()).toEqual(marked);

    for (const url of ['/generate-prompt', '/generate-prompt/compact']) {
      const res = await inject(app, { method: 'POST', url, payload: { task: oldContent, max_context_units: 20 } });
      expect(res.statusCode).toBe(200);
      const ids = res
        .json<{ relevant_context: { context_unit: Unit }[] }>()
        .relevant_context.map((r) => r.context_unit.id);
      expect(ids).toContain(current.id);
      expect(ids).not.toContain(old.id);
    }
  });
});

describe('POST /contexts/{id}/supersede', () => {
  async function replace(id: string, payload: Record<string, unknown>) {
    return inject(app, { method: 'POST', url: `/contexts/${id}/supersede`, payload });
  }

  it('creates the replacement with the fields left out taken from the old unit, and links the old unit to it', async () => {
    const word = token();
    const old = await create({
      type: 'decision',
      content: `We deploy on Fridays ${word}`,
      confidence: 0.7,
      tags: ['Deploy'],
      source: 'meeting',
    });
    const res = await replace(old.id, { content: `  We never deploy on Fridays ${word}  `, confidence: 0.9 });
    expect(res.statusCode, res.body).toBe(201);
    const created = res.json<Unit>();
    expect(Object.keys(created)).toEqual(V1_KEYS);
    expect(created).toMatchObject({
      type: 'decision',
      content: `We never deploy on Fridays ${word}`,
      confidence: 0.9,
      tags: ['Deploy'],
      source: 'meeting',
      status: 'active',
      superseded_by: null,
      last_used: null,
    });
    expect(created.id).toMatch(UUID);
    expect(created.id).not.toBe(old.id);
    const marked = await inject(app, { method: 'GET', url: `/contexts/${old.id}` });
    expect(marked.json()).toEqual({ ...old, status: 'superseded', superseded_by: created.id });
    expect((await list(`search=${word}`)).map((u) => u.id)).toEqual([created.id]);
    const ranked = (await prompt(`deploy Fridays ${word}`)).relevant_context.map((r) => r.context_unit.id);
    expect(ranked).toContain(created.id);
    expect(ranked).not.toContain(old.id);
  });

  it('takes type, tags and source from the body when given', async () => {
    const old = await create({ type: 'fact', content: `Office is on floor 3 ${token()}`, tags: ['office'] });
    const res = await replace(old.id, { content: 'Office moved to floor 5', type: 'goal', tags: [], source: 'hr' });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ type: 'goal', tags: [], source: 'hr', confidence: 1 });
  });

  it('returns 404 for an unknown id and writes nothing', async () => {
    const before = (await stats()).total_contexts;
    const id = randomUUID();
    const res = await replace(id, { content: 'replacement' });
    expect(res.statusCode).toBe(404);
    expect(res.json<{ message: string }>().message).toBe(`Context unit ${id} not found`);
    expect((await stats()).total_contexts).toBe(before);
  });

  it('returns 409 for a unit that is already superseded and writes nothing', async () => {
    const old = await create({ type: 'fact', content: `first ${token()}` });
    expect((await replace(old.id, { content: 'second' })).statusCode).toBe(201);
    const before = (await stats()).total_contexts;
    const res = await replace(old.id, { content: 'third' });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({
      error_code: 'HTTP_ERROR',
      message: `Context unit ${old.id} is already superseded`,
    });
    expect((await stats()).total_contexts).toBe(before);
  });

  it.each([
    [{}, 422],
    [{ content: '' }, 400],
    [{ content: '\u200b\u200b' }, 400],
    [{ content: 'a'.repeat(10_001) }, 400],
    [{ content: 'ok', type: 'note' }, 422],
    [{ content: 'ok', confidence: 2 }, 422],
    [{ content: 'ok', tags: 'a' }, 422],
    [{ content: 'ok', tags: ['<script>'] }, 400],
    [{ content: 'ok', status: 'active' }, 422],
  ])('refuses the body %j with %i and changes nothing', async (payload, status) => {
    const old = await create({ type: 'fact', content: `keep me ${token()}` });
    const before = (await stats()).total_contexts;
    const res = await replace(old.id, payload);
    expect(res.statusCode, res.body).toBe(status);
    expect((await stats()).total_contexts).toBe(before);
    expect((await inject(app, { method: 'GET', url: `/contexts/${old.id}` })).json()).toEqual(old);
  });
});

describe('DELETE /contexts/{id}', () => {
  it('returns 204 with an empty body, after which the unit is gone', async () => {
    const word = token();
    const unit = await create({ type: 'fact', content: `Delete me ${word}` });
    const res = await inject(app, { method: 'DELETE', url: `/contexts/${unit.id}` });
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    const get = await inject(app, { method: 'GET', url: `/contexts/${unit.id}` });
    expect(get.statusCode).toBe(404);
    expect(get.json<{ message: string }>().message).toBe(`Context unit ${unit.id} not found`);
    expect(await list(`search=${word}&include_superseded=true`)).toEqual([]);
    const again = await inject(app, { method: 'DELETE', url: `/contexts/${unit.id}` });
    expect(again.statusCode).toBe(404);
  });

  it('returns 404 "Context unit {id} not found" for an unknown id', async () => {
    const id = randomUUID();
    const res = await inject(app, { method: 'DELETE', url: `/contexts/${id}` });
    expect(res.statusCode).toBe(404);
    expect(res.json<{ message: string }>().message).toBe(`Context unit ${id} not found`);
  });

  it('removes the unit from ranking', async () => {
    const word = token();
    const unit = await create({ type: 'fact', content: `Deleted knowledge ${word}` });
    expect((await prompt(`Tell me about ${word}`)).relevant_context.map((r) => r.context_unit.id)).toContain(unit.id);
    await inject(app, { method: 'DELETE', url: `/contexts/${unit.id}` });
    expect((await prompt(`Tell me about ${word}`)).relevant_context.map((r) => r.context_unit.id)).not.toContain(
      unit.id,
    );
  });
});

describe('GET /stats', () => {
  it('has the v1 keys', async () => {
    const body = await stats();
    for (const key of [
      'total_contexts',
      'active_contexts',
      'superseded_contexts',
      'contexts_by_type',
      'contexts_with_embeddings',
      'embedding_cache',
      'response_cache',
    ]) {
      expect(body).toHaveProperty(key);
    }
    expect(body.superseded_contexts).toBe(body.total_contexts - body.active_contexts);
  });

  it('counts created and superseded units, types of active units only, and units with embeddings', async () => {
    const before = await stats();
    const goalA = await create({ type: 'goal', content: `goal a ${token()}` });
    const goalB = await create({ type: 'goal', content: `goal b ${token()}` });
    await create({ type: 'decision', content: `decision ${token()}` });
    await supersede(goalA.id, goalB.id);
    const after = await stats();
    expect(after.total_contexts - before.total_contexts).toBe(3);
    expect(after.active_contexts - before.active_contexts).toBe(2);
    expect(after.superseded_contexts - before.superseded_contexts).toBe(1);
    expect(after.superseded_contexts).toBe(after.total_contexts - after.active_contexts);
    expect((after.contexts_by_type.goal ?? 0) - (before.contexts_by_type.goal ?? 0)).toBe(1);
    expect((after.contexts_by_type.decision ?? 0) - (before.contexts_by_type.decision ?? 0)).toBe(1);
    expect(after.contexts_with_embeddings - before.contexts_with_embeddings).toBe(2);
    expect(after.contexts_with_embeddings).toBe(after.active_contexts);
    const byTypeSum = Object.values(after.contexts_by_type).reduce((a, b) => a + b, 0);
    expect(byTypeSum).toBe(after.active_contexts);
    for (const count of Object.values(after.contexts_by_type)) {
      expect(count).toBeGreaterThan(0);
    }
  });

  it('no longer counts a deleted unit', async () => {
    const unit = await create({ type: 'fact', content: `counted ${token()}` });
    const before = await stats();
    await inject(app, { method: 'DELETE', url: `/contexts/${unit.id}` });
    const after = await stats();
    expect(before.total_contexts - after.total_contexts).toBe(1);
    expect(before.active_contexts - after.active_contexts).toBe(1);
    expect(before.contexts_with_embeddings - after.contexts_with_embeddings).toBe(1);
    expect((before.contexts_by_type.fact ?? 0) - (after.contexts_by_type.fact ?? 0)).toBe(1);
  });
});

describe('last_used', () => {
  it('is persisted for the units selected by /generate-prompt', async () => {
    const word = token();
    const unit = await create({ type: 'fact', content: `The deployment target is ${word}` });
    expect(unit.last_used).toBeNull();
    const body = await prompt(`Deploy to ${word}`);
    const selected = body.relevant_context.find((r) => r.context_unit.id === unit.id);
    expect(selected?.context_unit.last_used).toBe(body.timestamp);
    expect(body.timestamp).toMatch(TIMESTAMP);
    const fetched = (await inject(app, { method: 'GET', url: `/contexts/${unit.id}` })).json<Unit>();
    expect(fetched.last_used).toBe(body.timestamp);
    expect(fetched).toEqual({ ...unit, last_used: body.timestamp });
  });

  it('is persisted for the units selected by /generate-prompt/compact', async () => {
    const word = token();
    const unit = await create({ type: 'fact', content: `The staging host is ${word}` });
    const res = await inject(app, {
      method: 'POST',
      url: '/generate-prompt/compact',
      payload: { task: `Connect to ${word}` },
    });
    expect(res.statusCode).toBe(200);
    const body = res.json<{ timestamp: string; relevant_context: { context_unit: Unit }[] }>();
    expect(body.relevant_context.map((r) => r.context_unit.id)).toContain(unit.id);
    const fetched = (await inject(app, { method: 'GET', url: `/contexts/${unit.id}` })).json<Unit>();
    expect(fetched.last_used).toBe(body.timestamp);
  });
});
