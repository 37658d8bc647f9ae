import { randomUUID } from 'node:crypto';

import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildTestApp, inject, multipartFile, token } from '../helpers.js';

let app: FastifyInstance;
beforeAll(async () => {
  app = await buildTestApp();
});
afterAll(async () => {
  await app.close();
});

interface Unit {
  id: string;
  type: string;
  content: string;
  confidence: number;
  tags: string[];
}

interface Envelope {
  error_code: string;
  message: string;
  detail: string;
  details: Record<string, unknown> & { errors?: { loc: (string | number)[]; msg: string; type: string }[] };
}

async function totals(): Promise<{ total: number; listed: number }> {
  const stats = (await inject(app, { method: 'GET', url: '/stats' })).json<{ total_contexts: number }>();
  const listed = (await inject(app, { method: 'GET', url: '/contexts?include_superseded=true&limit=100000' })).json<
    Unit[]
  >();
  return { total: stats.total_contexts, listed: listed.length };
}

/** Sends a request that must be refused with `status`: the envelope, never a 5xx, and nothing written. */
async function rejected(request: InjectOptions, status: number): Promise<Envelope> {
  const before = await totals();
  const res = await inject(app, request);
  expect(res.statusCode, res.body).toBe(status);
  const body = envelopeOf(res);
  expect(await totals()).toEqual(before);
  return body;
}

function envelopeOf(res: LightMyRequestResponse): Envelope {
  expect(res.statusCode).toBeGreaterThanOrEqual(400);
  expect(res.statusCode).toBeLessThan(500);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const body = res.json<Envelope>();
  expect(Object.keys(body).sort()).toEqual(['detail', 'details', 'error_code', 'message']);
  expect(typeof body.error_code).toBe('string');
  expect(typeof body.message).toBe('string');
  expect(body.detail).toBe(body.message);
  expect(typeof body.details).toBe('object');
  return body;
}

const post = (payload: unknown): InjectOptions => ({
  method: 'POST',
  url: '/contexts',
  payload: payload as InjectOptions['payload'],
});
const rawPost = (body: string, contentType = 'application/json'): InjectOptions => ({
  method: 'POST',
  url: '/contexts',
  payload: body,
  headers: { 'content-type': contentType },
});

async function create(payload: Record<string, unknown>): Promise<Unit> {
  const res = await inject(app, post(payload));
  expect(res.statusCode, res.body).toBe(201);
  return res.json<Unit>();
}

function expectValidationError(body: Envelope, field: string) {
  expect(body.error_code).toBe('VALIDATION_ERROR');
  expect(body.message).toContain(field);
  expect(body.details.errors?.length).toBeGreaterThan(0);
  for (const issue of body.details.errors ?? []) {
    expect(Array.isArray(issue.loc)).toBe(true);
    expect(typeof issue.msg).toBe('string');
    expect(typeof issue.type).toBe('string');
  }
  expect(body.details.errors?.some((e) => e.loc.includes(field))).toBe(true);
}

describe('content', () => {
  it.each(['', ' ', '   \n\t  ', '\u0000\u0001\u0002', '\u200B\uFEFF'])(
    'rejects the empty content %j with 400 "empty"',
    async (content) => {
      const body = await rejected(post({ type: 'fact', content }), 400);
      expect(body.message).toBe('Content cannot be empty');
      expect(body.error_code).toBe('HTTP_ERROR');
    },
  );

  it('accepts 10,000 code points and rejects 10,001 with 400 "exceeds maximum"', async () => {
    const ok = await create({ type: 'fact', content: 'a'.repeat(10_000) });
    expect([...ok.content]).toHaveLength(10_000);
    const body = await rejected(post({ type: 'fact', content: 'a'.repeat(10_001) }), 400);
    expect(body.message).toBe('Content exceeds maximum length of 10000 characters');
    await rejected(post({ type: 'fact', content: 'a'.repeat(15_000) }), 400);
  });

  it('counts an astral character as one code point', async () => {
    const ok = await create({ type: 'fact', content: '🌍'.repeat(10_000) });
    expect(ok.content).toBe('🌍'.repeat(10_000));
    const body = await rejected(post({ type: 'fact', content: '🌍'.repeat(10_001) }), 400);
    expect(body.message).toContain('exceeds maximum');
  });

  it('removes NUL and other C0 controls but keeps newlines and tabs', async () => {
    const word = token();
    const unit = await create({ type: 'fact', content: `a\u0000b\u0001c\u0008d\u001Fe\u007F ${word}\n\tindented` });
    expect(unit.content).toBe(`abcde ${word}\n\tindented`);
  });

  it('rejects a lone surrogate with 400', async () => {
    const body = await rejected(rawPost('{"type":"fact","content":"broken \\ud800 text"}'), 400);
    expect(body.message).toContain('invalid Unicode');
    await rejected(rawPost('{"type":"fact","content":"\\udc00"}'), 400);
  });

  it('rejects content that is not a string with 422', async () => {
    for (const content of [123, true, ['a'], { a: 1 }, null]) {
      const body = await rejected(post({ type: 'fact', content }), 422);
      expectValidationError(body, 'content');
    }
  });

  it('rejects a missing content with 422', async () => {
    expectValidationError(await rejected(post({ type: 'fact' }), 422), 'content');
  });
});

describe('tags', () => {
  it.each(['tag@x', 'tag#invalid', 'tag$invalid', 'tag%invalid', 'a,b', 'semi;colon'])(
    'rejects the tag %j with 400 "invalid characters"',
    async (tag) => {
      const body = await rejected(post({ type: 'fact', content: `Tags ${token()}`, tags: ['valid', tag] }), 400);
      expect(body.message).toContain('invalid characters');
    },
  );

  it('rejects 21 tags with 400 "Maximum 20 tags allowed" and accepts 20', async () => {
    const tags = Array.from({ length: 21 }, (_, i) => `tag${i}`);
    const body = await rejected(post({ type: 'fact', content: `Many tags ${token()}`, tags }), 400);
    expect(body.message).toBe('Maximum 20 tags allowed');
    const ok = await create({ type: 'fact', content: `Twenty tags ${token()}`, tags: tags.slice(0, 20) });
    expect(ok.tags).toHaveLength(20);
  });

  it('rejects a 51-character tag with 400 "exceeds maximum length" and accepts 50', async () => {
    const body = await rejected(post({ type: 'fact', content: `Long tag ${token()}`, tags: ['t'.repeat(51)] }), 400);
    expect(body.message).toContain('exceeds maximum length');
    expect((await create({ type: 'fact', content: `Long tag ok ${token()}`, tags: ['t'.repeat(50)] })).tags).toEqual([
      't'.repeat(50),
    ]);
  });

  it.each(['', '   ', '\u0000'])('rejects the empty tag %j with 400 "Tags cannot be empty"', async (tag) => {
    const body = await rejected(post({ type: 'fact', content: `Empty tag ${token()}`, tags: ['valid', tag] }), 400);
    expect(body.message).toBe('Tags cannot be empty');
  });

  it('rejects non-string tags and a tags string with 422', async () => {
    for (const tags of [[1], [null], [['nested']], 'a', { a: 'b' }]) {
      expectValidationError(
        await rejected(post({ type: 'fact', content: `Typed tags ${token()}`, tags }), 422),
        'tags',
      );
    }
  });

  it('accepts tags with hyphens, underscores, spaces and letters of any script', async () => {
    const unit = await create({
      type: 'fact',
      content: `Fine tags ${token()}`,
      tags: ['python-3', 'my_tag', 'tag with spaces', 'données', '日本語'],
    });
    expect(unit.tags).toEqual(['python-3', 'my_tag', 'tag with spaces', 'données', '日本語']);
  });
});

describe('types, ranges and unknown fields', () => {
  it('rejects wrong JSON types with 422 naming the field', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ type: 'fact', content: 123 }, 'content'],
      [{ type: 'fact', content: 'x', confidence: 'high' }, 'confidence'],
      [{ type: 'fact', content: 'x', confidence: '0.5' }, 'confidence'],
      [{ type: 'fact', content: 'x', tags: 'a' }, 'tags'],
      [{ type: 5, content: 'x' }, 'type'],
      [{ type: 'fact', content: 'x', source: 42 }, 'source'],
    ];
    for (const [payload, field] of cases) {
      expectValidationError(await rejected(post(payload), 422), field);
    }
  });

  it.each([1.5, -0.1, 1.0000001])('rejects confidence %j with 422', async (confidence) => {
    expectValidationError(
      await rejected(post({ type: 'fact', content: `Confidence ${token()}`, confidence }), 422),
      'confidence',
    );
  });

  it('accepts confidence 0 and 1', async () => {
    expect((await create({ type: 'fact', content: `Zero ${token()}`, confidence: 0 })).confidence).toBe(0);
    expect((await create({ type: 'fact', content: `One ${token()}`, confidence: 1 })).confidence).toBe(1);
  });

  it.each(['opinion', 'Fact', 'FACT', '', 'preferences'])('rejects the unknown type %j with 422', async (type) => {
    expectValidationError(await rejected(post({ type, content: `Typed ${token()}` }), 422), 'type');
  });

  it('rejects a missing type with 422', async () => {
    expectValidationError(await rejected(post({ content: `No type ${token()}` }), 422), 'type');
  });

  it('rejects unknown fields with 422', async () => {
    expectValidationError(
      await rejected(post({ type: 'fact', content: `Extra ${token()}`, priority: 1 }), 422),
      'priority',
    );
    for (const field of ['id', 'status', 'created_at', 'superseded_by', 'last_used']) {
      await rejected(post({ type: 'fact', content: `Server field ${token()}`, [field]: 'x' }), 422);
    }
  });

  it('rejects a __proto__ key without polluting any prototype', async () => {
    await rejected(rawPost(`{"type":"fact","content":"proto ${token()}","__proto__":{"polluted":true}}`), 422);
    await rejected(
      rawPost(`{"type":"fact","content":"ctor ${token()}","constructor":{"prototype":{"polluted":true}}}`),
      422,
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it.each(['[]', '[{"type":"fact","content":"x"}]', '"a string"', '42', 'null', 'true'])(
    'rejects the top-level JSON %s with 422',
    async (json) => {
      const body = await rejected(rawPost(json), 422);
      expect(body.error_code).toBe('VALIDATION_ERROR');
      expect(body.details.errors?.length).toBeGreaterThan(0);
    },
  );

  it.each(['{', '{"type":"fact",}', "{'type':'fact'}", '{"type":"fact","content":"x"} trailing', '\u0000', ''])(
    'rejects the malformed JSON %j with 422 and details.errors',
    async (json) => {
      const body = await rejected(rawPost(json), 422);
      expect(body.error_code).toBe('VALIDATION_ERROR');
      expect(body.details.errors).toEqual([
        expect.objectContaining({ loc: ['body'], type: expect.any(String), msg: expect.any(String) }),
      ]);
    },
  );

  it('rejects bytes that are not UTF-8 with 400 on every JSON route, storing nothing', async () => {
    const invalid = (json: string) => Buffer.from(json.replace('BAD', '\xff\xfe\xc3('), 'latin1');
    const unit = await create({ type: 'fact', content: `UTF-8 only ${token()}` });
    const requests: InjectOptions[] = [
      { method: 'POST', url: '/contexts', payload: invalid('{"type":"fact","content":"aBADb"}') },
      { method: 'PUT', url: `/contexts/${unit.id}`, payload: invalid('{"content":"aBADb"}') },
      { method: 'POST', url: '/generate-prompt', payload: invalid('{"task":"aBADb"}') },
      { method: 'POST', url: '/generate-prompt/compact', payload: invalid('{"task":"aBADb"}') },
      { method: 'POST', url: '/ai/chat', payload: invalid('{"task":"aBADb"}') },
      { method: 'POST', url: '/settings', payload: invalid('{"ollama_base_url":"aBADb"}') },
    ];
    for (const request of requests) {
      request.headers = { 'content-type': 'application/json' };
      const body = await rejected(request, 400);
      expect(body.message).toBe('Invalid request body: not valid UTF-8');
    }
    expect((await inject(app, { method: 'GET', url: `/contexts/${unit.id}` })).json<Unit>().content).toBe(unit.content);
  });

  it('rejects a truncated UTF-8 sequence at the end of the body with 400', async () => {
    const bytes = Buffer.concat([Buffer.from('{"type":"fact","content":"x"}'), Buffer.from([0xe2, 0x82])]);
    await rejected(
      { method: 'POST', url: '/contexts', payload: bytes, headers: { 'content-type': 'application/json' } },
      400,
    );
  });

  it.each(['utf-16', 'UTF-16LE', 'latin1', 'iso-8859-1', 'us-ascii', '"utf-16"', ''])(
    'rejects JSON declared with charset=%s with 415',
    async (charset) => {
      const body = await rejected(
        rawPost('{"type":"fact","content":"x"}', `application/json; charset=${charset}`),
        415,
      );
      expect(body.error_code).toBe('UNSUPPORTED_MEDIA_TYPE');
      expect(body.message).toBe('Unsupported charset: JSON must be sent as UTF-8');
    },
  );

  it.each([
    'application/json; charset=utf-8',
    'application/json; charset=UTF-8',
    'Application/JSON;Charset=Utf-8',
    'application/json; charset="utf-8"',
    'application/json;charset=utf8',
    'application/json; charset=utf-8; foo=bar',
  ])('accepts JSON sent as %s', async (contentType) => {
    const res = await inject(
      app,
      rawPost(JSON.stringify({ type: 'fact', content: `Charset ${token()} é` }), contentType),
    );
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json<Unit>().content).toMatch(/^Charset .* é$/);
  });

  it.each([
    ['at the top level', '{"type":"fact","content":"a","content":"b"}', 'content'],
    ['spelled with an escape', '{"type":"fact","content":"a","\\u0063ontent":"b"}', 'content'],
    ['inside a nested object', '{"type":"fact","content":"a","extra":[{"k":1,"k":2}]}', 'k'],
  ])('rejects a duplicate key %s with 400', async (_where, json, key) => {
    const body = await rejected(rawPost(json), 400);
    expect(body.error_code).toBe('HTTP_ERROR');
    expect(body.message).toBe(`Invalid request body: duplicate key "${key}"`);
  });

  it('rejects a duplicate key on settings and prompt routes too', async () => {
    for (const [url, json] of [
      ['/settings', '{"default_provider":"openai","default_provider":"ollama"}'],
      ['/generate-prompt', '{"task":"a","task":"b"}'],
    ] as const) {
      const res = await inject(app, {
        method: 'POST',
        url,
        payload: json,
        headers: { 'content-type': 'application/json' },
      });
      expect(res.statusCode, res.body).toBe(400);
      expect(envelopeOf(res).message).toMatch(/^Invalid request body: duplicate key /);
    }
  });

  it('parses a 250 KiB body of 20,000 keys at once and names only a few of them', async () => {
    const keys = Array.from({ length: 20_000 }, (_, i) => `"k${String(i).padStart(5, '0')}":0`).join(',');
    const json = `{"type":"fact","content":"x",${keys}}`;
    expect(json.length).toBeGreaterThan(200 * 1024);
    const started = performance.now();
    const body = await rejected(rawPost(json), 422);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(body.details.errors?.[0]?.loc).toHaveLength(11);
  });

  it('rejects Content-Type text/plain with 415', async () => {
    const body = await rejected(rawPost('{"type":"fact","content":"x"}', 'text/plain'), 415);
    expect(body.error_code).toBe('UNSUPPORTED_MEDIA_TYPE');
    await rejected(rawPost('type=fact&content=x', 'application/x-www-form-urlencoded'), 415);
  });

  it('rejects a multipart body on a JSON route with 415', async () => {
    const form = multipartFile('file', 'contexts.json', '{"type":"fact","content":"x"}');
    const body = await rejected({ method: 'POST', url: '/contexts', payload: form.body, headers: form.headers }, 415);
    expect(body.message).toBe('Unsupported media type: send application/json');
    const prompt = await inject(app, {
      method: 'POST',
      url: '/generate-prompt',
      payload: form.body,
      headers: form.headers,
    });
    expect(prompt.statusCode).toBe(415);
  });

  it('rejects a body over CONTEXTPILOT_MAX_BODY_BYTES with 413', async () => {
    const body = await rejected(rawPost(JSON.stringify({ type: 'fact', content: 'x'.repeat(300 * 1024) })), 413);
    expect(body.error_code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('rejects a declared Content-Length over the limit with 413 before reading the body', async () => {
    await rejected(
      {
        method: 'POST',
        url: '/contexts',
        payload: '{"type":"fact","content":"x"}',
        headers: { 'content-type': 'application/json', 'content-length': String(10 * 1024 * 1024) },
      },
      413,
    );
  });
});

describe('query strings and ids', () => {
  it.each([
    'limit=abc',
    'limit=-1',
    'offset=-5',
    'limit=1.5',
    'offset=abc',
    'limit=99999999999',
    'include_superseded=maybe',
  ])('rejects GET /contexts?%s with 422', async (query) => {
    const body = await rejected({ method: 'GET', url: `/contexts?${query}` }, 422);
    expectValidationError(body, query.split('=')[0] as string);
  });

  it('rejects a bad export format and bad import flags', async () => {
    await rejected({ method: 'GET', url: '/contexts/export?format=xml' }, 400);
    const body = await rejected({ method: 'POST', url: '/contexts/import?replace_existing=perhaps', payload: {} }, 422);
    expect(body.error_code).toBe('VALIDATION_ERROR');
  });

  it('answers unknown ids with 404 on GET, PUT and DELETE', async () => {
    for (const id of [randomUUID(), 'not-a-uuid', '12345', encodeURIComponent('<script>')]) {
      for (const method of ['GET', 'PUT', 'DELETE'] as const) {
        const body = await rejected(
          { method, url: `/contexts/${id}`, ...(method === 'PUT' ? { payload: { confidence: 0.5 } } : {}) },
          404,
        );
        expect(body.message).toMatch(/^Context unit .* not found$/);
      }
    }
  });
});

describe('PUT /contexts/{id}', () => {
  it.each([
    [{ content: null }, 'content'],
    [{ type: null }, 'type'],
    [{ confidence: null }, 'confidence'],
    [{ tags: null }, 'tags'],
    [{ status: null }, 'status'],
    [{ status: 'archived' }, 'status'],
    [{ confidence: 2 }, 'confidence'],
    [{ source: 'changed' }, 'source'],
    [{ unknown: 1 }, 'unknown'],
  ])('rejects %j with 422 and leaves the unit unchanged', async (payload, field) => {
    const unit = await create({ type: 'fact', content: `Update guard ${token()}`, tags: ['keep'] });
    const body = await rejected({ method: 'PUT', url: `/contexts/${unit.id}`, payload }, 422);
    expectValidationError(body, field);
    expect((await inject(app, { method: 'GET', url: `/contexts/${unit.id}` })).json()).toEqual(unit);
  });

  it('rejects empty, over-long and invalid content or tags with 400 and leaves the unit unchanged', async () => {
    const unit = await create({ type: 'fact', content: `Update rules ${token()}` });
    for (const payload of [
      { content: '   ' },
      { content: 'a'.repeat(10_001) },
      { tags: ['bad@tag'] },
      { tags: [''] },
      { superseded_by: unit.id },
    ]) {
      await rejected({ method: 'PUT', url: `/contexts/${unit.id}`, payload }, 400);
    }
    expect((await inject(app, { method: 'GET', url: `/contexts/${unit.id}` })).json()).toEqual(unit);
  });
});

describe('concurrency and duplicates', () => {
  it('creates 50 units in parallel, all stored with distinct ids', async () => {
    const word = token();
    const before = await totals();
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => inject(app, post({ type: 'fact', content: `Parallel ${i} ${word}` }))),
    );
    expect(responses.map((r) => r.statusCode)).toEqual(Array(50).fill(201));
    const ids = new Set(responses.map((r) => r.json<Unit>().id));
    expect(ids.size).toBe(50);
    const after = await totals();
    expect(after.total - before.total).toBe(50);
    const listed = (await inject(app, { method: 'GET', url: `/contexts?search=${word}` })).json<Unit[]>();
    expect(new Set(listed.map((u) => u.id))).toEqual(ids);
  });

  it('stores two identical creates as two units', async () => {
    const payload = { type: 'fact', content: `Duplicate ${token()}`, tags: ['dup'] };
    const a = await create(payload);
    const b = await create(payload);
    expect(a.id).not.toBe(b.id);
    const listed = (
      await inject(app, { method: 'GET', url: `/contexts?search=${encodeURIComponent(payload.content)}` })
    ).json<Unit[]>();
    expect(listed.map((u) => u.id)).toEqual([a.id, b.id]);
  });
});

describe('validation errors never echo the submitted value', () => {
  const script = '<script>alert(1)</script>';

  it.each([
    ['type', { type: script, content: 'x' }],
    ['confidence', { type: 'fact', content: 'x', confidence: script }],
    ['content', { type: 'fact', content: [script] }],
    ['tags', { type: 'fact', content: 'x', tags: [[script]] }],
    ['source', { type: 'fact', content: 'x', source: { html: script } }],
  ])('a bad %s', async (_field, payload) => {
    const res = await inject(app, post(payload));
    expect(res.statusCode).toBe(422);
    envelopeOf(res);
    expect(res.body).not.toContain('<script>');
    expect(res.body).not.toContain('alert(1)');
  });

  it('a bad task type on /generate-prompt', async () => {
    const res = await inject(app, {
      method: 'POST',
      url: '/generate-prompt',
      payload: { task: { x: script }, max_context_units: script },
    });
    expect(res.statusCode).toBe(422);
    expect(res.body).not.toContain('<script>');
  });

  it('a bad query value', async () => {
    const res = await inject(app, { method: 'GET', url: `/contexts?limit=${encodeURIComponent(script)}` });
    expect(res.statusCode).toBe(422);
    expect(res.body).not.toContain('<script>');
  });
});

describe('/generate-prompt bad input', () => {
  it.each([
    [{}, 422],
    [{ task: 5 }, 422],
    [{ task: 'x', max_context_units: 0 }, 422],
    [{ task: 'x', max_context_units: 21 }, 422],
    [{ task: 'x', max_context_units: 'many' }, 422],
    [{ task: 'x', unknown: true }, 422],
    [{ task: '' }, 400],
    [{ task: '\ud800' }, 400],
    [{ task: 'a'.repeat(10_001) }, 400],
  ])('rejects %j', async (payload, status) => {
    const res = await inject(app, { method: 'POST', url: '/generate-prompt', payload });
    expect(res.statusCode).toBe(status);
    envelopeOf(res);
  });

  it('rejects malformed JSON and a non-JSON content type', async () => {
    const bad = await inject(app, {
      method: 'POST',
      url: '/generate-prompt',
      payload: '{"task":',
      headers: { 'content-type': 'application/json' },
    });
    expect(bad.statusCode).toBe(422);
    envelopeOf(bad);
    const text = await inject(app, {
      method: 'POST',
      url: '/generate-prompt',
      payload: 'task',
      headers: { 'content-type': 'text/plain' },
    });
    expect(text.statusCode).toBe(415);
    envelopeOf(text);
  });
});

describe('client-supplied ids, keys and names in error messages', () => {
  // 6 odd code points, then letters: the message keeps 64 code points, escaped, and marks the cut.
  const odd = (letters: number) => `a\n"b<'${'z'.repeat(letters)}`;
  const shown = `a\\n\\"b\\u003c\\'${'z'.repeat(58)}…`;
  const path = (text: string) => encodeURIComponent(text);

  async function messageOf(request: InjectOptions, status: number): Promise<string> {
    const res = await inject(app, request);
    expect(res.statusCode, res.body).toBe(status);
    return envelopeOf(res).message;
  }

  it('keeps "Context unit {id} not found" byte-identical for a UUID', async () => {
    const id = randomUUID();
    for (const method of ['GET', 'PUT', 'DELETE'] as const) {
      const payload = method === 'PUT' ? { content: 'x' } : undefined;
      expect(await messageOf({ method, url: `/contexts/${id}`, payload }, 404)).toBe(`Context unit ${id} not found`);
    }
  });

  it('cuts and escapes an odd id in "Context unit {id} not found"', async () => {
    for (const method of ['GET', 'PUT', 'DELETE'] as const) {
      const payload = method === 'PUT' ? { content: 'x' } : undefined;
      expect(await messageOf({ method, url: `/contexts/${path(odd(150))}`, payload }, 404)).toBe(
        `Context unit ${shown} not found`,
      );
    }
    const unit = await create({ type: 'fact', content: `Link target ${token()}` });
    expect(
      await messageOf({ method: 'PUT', url: `/contexts/${unit.id}`, payload: { superseded_by: odd(90) } }, 400),
    ).toBe(`Context unit ${shown} not found`);
  });

  it('cuts and escapes an odd type, status or export format', async () => {
    expect(await messageOf({ method: 'GET', url: `/contexts?type=${path(odd(90))}` }, 400)).toBe(
      `Invalid type: ${shown}. Must be one of: preference, goal, decision, fact`,
    );
    expect(await messageOf({ method: 'GET', url: `/contexts?status_filter=${path(odd(90))}` }, 400)).toBe(
      `Invalid status: ${shown}. Must be one of: active, superseded`,
    );
    expect(await messageOf({ method: 'GET', url: `/contexts/export?format=${path('x\n<y>')}` }, 400)).toBe(
      "Unsupported format: x\\n\\u003cy\\u003e. Use 'json' or 'csv'",
    );
  });

  it('cuts and escapes an odd conversation id or provider name', async () => {
    for (const method of ['GET', 'DELETE'] as const) {
      expect(await messageOf({ method, url: `/ai/conversations/${path(odd(90))}` }, 404)).toBe(
        `Conversation ${shown} not found`,
      );
    }
    expect(
      await messageOf({ method: 'POST', url: '/ai/chat', payload: { task: 'x', conversation_id: odd(90) } }, 404),
    ).toBe(`Conversation ${shown} not found`);
    expect(await messageOf({ method: 'POST', url: '/ai/chat', payload: { task: 'x', provider: 'x\n"y' } }, 400)).toBe(
      'Unknown AI provider: x\\n\\"y',
    );
    expect(await messageOf({ method: 'POST', url: `/providers/${path('x\n<y>')}/validate` }, 400)).toBe(
      "Unsupported provider 'x\\n\\u003cy\\u003e'.",
    );
  });

  it('names an unknown key of 10,000 characters by its first 64, escaped', async () => {
    const key = `${'k'.repeat(10_000)}\n`;
    const res = await inject(app, rawPost(JSON.stringify({ type: 'fact', content: 'x', [key]: 1 })));
    expect(res.statusCode).toBe(422);
    const body = envelopeOf(res);
    expect(body.details.errors).toEqual([
      { loc: ['body', `${'k'.repeat(64)}…`], msg: `Unrecognized key: "${'k'.repeat(64)}…"`, type: 'unrecognized_keys' },
    ]);
    expect(res.body.length).toBeLessThan(1_000);
  });

  it('escapes an odd unknown key and lists at most 10 of many', async () => {
    const one = await inject(app, rawPost(JSON.stringify({ type: 'fact', content: 'x', 'a\nb<': 1 })));
    expect(envelopeOf(one).details.errors?.[0]?.msg).toBe('Unrecognized key: "a\\nb\\u003c"');
    const keys = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`key${i}`, i]));
    const many = await inject(app, post({ type: 'fact', content: 'x', ...keys }));
    const issue = envelopeOf(many).details.errors?.[0];
    expect(issue?.msg).toBe(`Unrecognized keys: ${Array.from({ length: 10 }, (_, i) => `"key${i}"`).join(', ')}, …`);
    expect(issue?.loc).toHaveLength(11);
  });

  it('keeps the message for an ordinary unknown key unchanged', async () => {
    const res = await inject(app, post({ type: 'fact', content: 'x', colour: 'red' }));
    expect(envelopeOf(res).details.errors).toEqual([
      { loc: ['body', 'colour'], msg: 'Unrecognized key: "colour"', type: 'unrecognized_keys' },
    ]);
  });
});
