import fc from 'fast-check';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildTestApp, inject } from '../helpers.js';

let app: FastifyInstance;
beforeAll(async () => {
  app = await buildTestApp();
});
afterAll(async () => {
  await app.close();
});

const NUM_RUNS = 100;

/** Never a 5xx; every non-2xx body is the error envelope. Returns the status for further checks. */
function expectWellFormed(res: LightMyRequestResponse): number {
  expect(res.statusCode, res.body).toBeLessThan(500);
  if (res.statusCode >= 300) {
    expect(res.statusCode).toBeGreaterThanOrEqual(400);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const body = res.json<Record<string, unknown>>();
    expect(Object.keys(body).sort()).toEqual(['detail', 'details', 'error_code', 'message']);
    expect(typeof body.error_code).toBe('string');
    expect(typeof body.message).toBe('string');
    expect(body.detail).toBe(body.message);
    expect(body.details).toBeTypeOf('object');
    expect(body.details).not.toBeNull();
  }
  return res.statusCode;
}

const anyText = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.string({ unit: 'grapheme' }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '\ud800',
    '\udc00x',
    'a'.repeat(10_001),
    '🌍'.repeat(10_001),
    '<script>',
    '__proto__',
  ),
);

const contextType = fc.oneof(fc.constantFrom('preference', 'decision', 'fact', 'goal'), anyText, fc.jsonValue());

/** Bodies close to a valid create: the right keys with values of any kind, sometimes an extra key. */
const createLike = fc.record(
  {
    type: contextType,
    content: fc.oneof(anyText, fc.jsonValue()),
    confidence: fc.oneof(fc.double(), fc.double({ min: 0, max: 1, noNaN: true }), fc.jsonValue()),
    tags: fc.oneof(fc.array(anyText, { maxLength: 25 }), fc.jsonValue()),
    source: fc.oneof(anyText, fc.jsonValue()),
    extra: fc.jsonValue(),
  },
  { requiredKeys: [] },
);

const taskLike = fc.record(
  {
    task: fc.oneof(anyText, fc.jsonValue()),
    max_context_units: fc.oneof(fc.integer({ min: -5, max: 30 }), fc.double(), fc.jsonValue()),
    min_score: fc.oneof(fc.double(), fc.jsonValue()),
    extra: fc.jsonValue(),
  },
  { requiredKeys: [] },
);

/** JSON.stringify writes NaN and ±Infinity as null, so every generated value is sent as real JSON. */
function json(value: unknown): string {
  return JSON.stringify(value) ?? 'null';
}

async function postJson(url: string, value: unknown) {
  return inject(app, { method: 'POST', url, payload: json(value), headers: { 'content-type': 'application/json' } });
}

describe('request schemas under random input', () => {
  it('POST /contexts never fails with 5xx for any JSON value', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (value) => {
        expectWellFormed(await postJson('/contexts', value));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('POST /contexts never fails with 5xx for create-like bodies, and a 201 is a valid unit', async () => {
    await fc.assert(
      fc.asyncProperty(createLike, async (value) => {
        const res = await postJson('/contexts', value);
        if (expectWellFormed(res) === 201) {
          const unit = res.json<{ content: string; confidence: number; tags: string[] }>();
          expect(unit.content.length).toBeGreaterThan(0);
          expect(unit.confidence).toBeGreaterThanOrEqual(0);
          expect(unit.confidence).toBeLessThanOrEqual(1);
          expect(unit.tags.length).toBeLessThanOrEqual(20);
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('POST /contexts accepts or cleanly refuses any string as content', async () => {
    await fc.assert(
      fc.asyncProperty(anyText, async (content) => {
        const res = await postJson('/contexts', { type: 'fact', content });
        const status = expectWellFormed(res);
        expect([201, 400]).toContain(status);
        if (status === 201) {
          const stored = res.json<{ content: string }>().content;
          expect(stored).toBe(stored.trim());
          // eslint-disable-next-line no-control-regex -- the point is that no C0 control except TAB and LF is stored
          expect(stored).not.toMatch(/[\u0000-\u0008\u000B-\u001F]/);
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('POST /contexts never fails with 5xx for arbitrary raw bodies', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 200 }), async (body) => {
        const res = await inject(app, {
          method: 'POST',
          url: '/contexts',
          payload: body,
          headers: { 'content-type': 'application/json' },
        });
        expectWellFormed(res);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('POST /generate-prompt never fails with 5xx for any JSON value', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.jsonValue(), taskLike), async (value) => {
        const res = await postJson('/generate-prompt', value);
        if (expectWellFormed(res) === 200) {
          for (const r of res.json<{ relevant_context: { relevance_score: number }[] }>().relevant_context) {
            expect(r.relevance_score).toBeGreaterThanOrEqual(0);
            expect(r.relevance_score).toBeLessThanOrEqual(1);
          }
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('GET /contexts never fails with 5xx for random query strings', async () => {
    const key = fc.oneof(
      fc.constantFrom('type', 'tags', 'search', 'status_filter', 'include_superseded', 'limit', 'offset'),
      fc.string(),
    );
    const value = fc.oneof(
      anyText,
      fc.integer().map(String),
      fc.constantFrom('true', 'false', 'fact', 'active', 'superseded', ','),
    );
    const params = fc.array(fc.tuple(key, value), { maxLength: 6 });
    await fc.assert(
      fc.asyncProperty(params, async (pairs) => {
        const query = pairs
          .map(
            ([k, v]) =>
              `${encodeURIComponent(k.replace(/[\ud800-\udfff]/g, ''))}=${encodeURIComponent(v.replace(/[\ud800-\udfff]/g, ''))}`,
          )
          .join('&');
        const res = await inject(app, { method: 'GET', url: `/contexts?${query}` });
        if (expectWellFormed(res) === 200) {
          expect(Array.isArray(res.json())).toBe(true);
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('GET /contexts never fails with 5xx for raw, unencoded query text', async () => {
    const printable = fc.string({
      unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
      maxLength: 60,
    });
    await fc.assert(
      fc.asyncProperty(printable, async (query) => {
        const res = await inject(app, { method: 'GET', url: `/contexts?${query.replace(/#/g, '')}` });
        expectWellFormed(res);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
