import { createHmac, createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';

import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildTestApp, listenOnLoopback, manualClock } from '../helpers.js';

/**
 * Random requests against an app with auth and signing on, over real HTTP (node:http, so that paths are sent
 * exactly as generated: `..`, `%00`, raw UTF-8 bytes, very long). Whatever arrives, the answer is never a 5xx and
 * always carries the security headers and a request id.
 */

const API_KEY = 'fuzz-test-api-key-0f1e2d3c4b5a';
const SECRET = 'fuzz-test-secret-0123456789abcdef01234567';

const time = manualClock(Date.UTC(2026, 8, 10, 11, 12, 13, 0));

let app: FastifyInstance;
let port = 0;
beforeAll(async () => {
  app = await buildTestApp(
    {
      CONTEXTPILOT_ENABLE_AUTH: 'true',
      CONTEXTPILOT_API_KEY: API_KEY,
      CONTEXTPILOT_ENABLE_REQUEST_SIGNING: 'true',
      CONTEXTPILOT_REQUEST_SIGNING_SECRET: SECRET,
      CONTEXTPILOT_REQUEST_SIGNING_METHODS: '["POST","PUT","PATCH","DELETE"]',
      CONTEXTPILOT_AUTH_FAILURE_LIMIT: '1000000',
      CONTEXTPILOT_CORS_ORIGINS: '["https://app.example.com"]',
      CONTEXTPILOT_MAX_BODY_BYTES: '8192',
    },
    { clock: time.clock },
  );
  port = Number(new URL(await listenOnLoopback(app)).port);
});
afterAll(async () => {
  await app.close();
});

/** UTF-8 bytes of a string as latin1 code units: node:http then writes the raw bytes unchanged. */
const rawBytes = (s: string) => Buffer.from(s, 'utf8').toString('latin1');

/** What node:http accepts in a header value: tab, printable ASCII and bytes 0x80–0xFF. */
const headerSafe = (s: string) => rawBytes(s).replace(/[^\t\x20-\x7e\x80-\xff]/g, '');

/** The request line as a client sends it: printable ASCII kept (so `%zz`, `..`, `%00` go out as written), anything else percent-encoded as UTF-8. */
const pathSafe = (s: string) =>
  [...Buffer.from(s, 'utf8')]
    .map((b) => (b >= 0x21 && b <= 0x7e ? String.fromCharCode(b) : `%${b.toString(16).padStart(2, '0').toUpperCase()}`))
    .join('');

const segment = fc.oneof(
  fc.constantFrom(
    'contexts',
    'export',
    'import',
    'generate-prompt',
    'compact',
    'stats',
    'metrics',
    'security',
    'api-key',
    'rotate',
    'events',
    'health',
    'docs',
    'openapi.json',
    '00000000-0000-4000-8000-000000000000',
    '..',
    '.',
    '%2e%2e',
    '%00',
    '%',
    '%zz',
    '%E0%A4%A',
    '%c0%af',
    '\u0000',
    '..%2f..%2fetc%2fpasswd',
    '~',
    '*',
    ';',
    '\\',
    'ünïcödé',
    '🔑',
    '\u202e',
  ),
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'grapheme', maxLength: 10 }),
  fc.integer({ min: 100, max: 3000 }).map((n) => 'a'.repeat(n)),
);

const query = fc.oneof(
  fc.constant(''),
  fc.constantFrom(
    '?replace_existing=true',
    '?format=csv',
    '?limit=-1',
    '?limit=100000',
    '?limit=abc',
    '?offset=-7',
    '?api_key=' + API_KEY,
    '?a=1&a=2',
    '?%00=%00',
    '?x',
  ),
  fc.webQueryParameters().map((q) => `?${q}`),
  fc.string({ maxLength: 30 }).map((q) => `?${q}`),
);

const randomPath = fc
  .tuple(fc.array(segment, { minLength: 0, maxLength: 5 }), fc.boolean(), query)
  .map(
    ([segments, slash, q]) => pathSafe(`/${segments.join('/')}${slash ? '/' : ''}`) + pathSafe(q).replace(/#/g, '%23'),
  );

/** The real routes, sometimes with a twist (extra segment, trailing slash, query). */
const routePath = fc
  .tuple(
    fc.constantFrom(
      '/',
      '/health',
      '/docs',
      '/openapi.json',
      '/contexts',
      '/contexts/export',
      '/contexts/import',
      '/contexts/00000000-0000-4000-8000-000000000000',
      '/generate-prompt',
      '/generate-prompt/compact',
      '/stats',
      '/metrics',
      '/security/api-key/rotate',
      '/security/events',
    ),
    fc.option(segment, { nil: undefined, freq: 4 }),
    fc.boolean(),
    query,
  )
  .map(
    ([route, extra, slash, q]) =>
      pathSafe(`${route}${extra === undefined ? '' : `/${extra}`}${slash ? '/' : ''}`).replace(/^\/\//, '/') +
      pathSafe(q).replace(/#/g, '%23'),
  );

const path = fc.oneof({ arbitrary: routePath, weight: 3 }, { arbitrary: randomPath, weight: 2 });

const method = fc.constantFrom(
  'GET',
  'POST',
  'PUT',
  'DELETE',
  'PATCH',
  'OPTIONS',
  'HEAD',
  'TRACE',
  'PROPFIND',
  'GET',
  'POST',
);

const optionalHeader = (value: fc.Arbitrary<string>) => fc.option(value.map(headerSafe), { nil: undefined });

const headers = fc.record({
  apiKey: optionalHeader(
    fc.oneof(
      fc.constant(API_KEY),
      fc.string({ maxLength: 80 }),
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.constant(`${API_KEY}, ${API_KEY}`),
    ),
  ),
  signature: optionalHeader(
    fc.oneof(
      fc.stringMatching(/^[0-9a-f]{64}$/),
      fc.string({ maxLength: 100 }),
      fc.constant('sha256=' + 'a'.repeat(64)),
    ),
  ),
  timestamp: optionalHeader(
    fc.oneof(
      fc.constant('NOW'),
      fc.integer().map(String),
      fc.string({ maxLength: 15 }),
      fc.constantFrom('1e9', '-1', '0x10', 'NaN', '1700000000000'),
    ),
  ),
  contentType: optionalHeader(
    fc.oneof(
      fc.constantFrom(
        'application/json',
        'application/json; charset=utf-8',
        'application/json; charset=utf-16',
        'text/plain',
        'multipart/form-data',
        'multipart/form-data; boundary=x',
        'application/x-www-form-urlencoded',
        'text/csv',
        'application/octet-stream',
        '*/*',
        '',
      ),
      fc.string({ maxLength: 40 }),
    ),
  ),
  origin: optionalHeader(
    fc.oneof(
      fc.constantFrom('https://app.example.com', 'null', 'https://evil.test', 'https://app.example.com.evil.test'),
      fc.webUrl(),
      fc.string({ maxLength: 30 }),
    ),
  ),
  preflight: fc.option(fc.constantFrom('POST', 'GET', 'DELETE', 'PROPFIND', ''), { nil: undefined }),
  forwarded: optionalHeader(fc.oneof(fc.ipV4(), fc.string({ maxLength: 30 }))),
  signCorrectly: fc.boolean(),
});

const noHeaders = {
  apiKey: undefined,
  signature: undefined,
  timestamp: undefined,
  contentType: undefined,
  origin: undefined,
  preflight: undefined,
  forwarded: undefined,
  signCorrectly: false,
};

const body = fc.oneof(
  fc.constant(undefined),
  fc.string({ maxLength: 300 }),
  fc.json({ maxDepth: 4 }),
  fc
    .record({
      type: fc.constantFrom('fact', 'goal', 'preference', 'decision', 'x'),
      content: fc.string({ maxLength: 200 }),
      tags: fc.array(fc.string({ maxLength: 20 }), { maxLength: 25 }),
    })
    .map((o) => JSON.stringify(o)),
  fc
    .record({ task: fc.string({ maxLength: 200 }), max_context_units: fc.integer({ min: -5, max: 100 }) })
    .map((o) => JSON.stringify(o)),
  fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b)),
  fc.constantFrom(
    '{"__proto__":{"polluted":1}}',
    '[]',
    'null',
    '"x"',
    '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]',
    '{"content":"a","content":"b"}',
  ),
  fc.integer({ min: 9000, max: 20000 }).map((n) => JSON.stringify({ type: 'fact', content: 'x'.repeat(n) })),
);

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * A response written by Fastify's router itself for a malformed percent-escape (400 FST_ERR_BAD_URL) or a path
 * parameter over maxParamLength (414 FST_ERR_MAX_PARAM_LENGTH): no hook runs for these unless the app sets
 * Fastify's `frameworkErrors` option.
 */
function routerUrlError(res: RawResponse): boolean {
  if (res.headers['x-request-id'] !== undefined) {
    return false;
  }
  try {
    const code = (JSON.parse(res.body) as { code?: string }).code;
    return code === 'FST_ERR_BAD_URL' || code === 'FST_ERR_MAX_PARAM_LENGTH';
  } catch {
    return false;
  }
}

function send(
  methodName: string,
  target: string,
  requestHeaders: Record<string, string>,
  payload: Buffer | undefined,
): Promise<RawResponse> {
  // An explicit length: node:http would otherwise send a DELETE/OPTIONS body without any framing.
  const headersWithLength =
    payload === undefined ? requestHeaders : { ...requestHeaders, 'content-length': String(payload.length) };
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, method: methodName, path: target, headers: headersWithLength, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

describe('fuzzing the HTTP surface', () => {
  it('never answers 5xx, and every answer carries the security headers and a request id', async () => {
    const runs = Number(process.env.FUZZ_RUNS ?? 150);
    const seen = new Map<number, number>();
    const routerErrors: string[] = [];
    await fc.assert(
      fc.asyncProperty(method, path, headers, body, async (m, target, h, b) => {
        time.advance(7_000); // the clock moves: rate-limit windows roll over, replay entries expire
        const payload =
          b === undefined || m === 'GET' || m === 'HEAD'
            ? undefined
            : typeof b === 'string'
              ? Buffer.from(b, 'utf8')
              : b;
        const requestHeaders: Record<string, string> = {};
        if (h.apiKey !== undefined) {
          requestHeaders['x-api-key'] = h.apiKey;
        }
        if (h.contentType !== undefined) {
          requestHeaders['content-type'] = h.contentType;
        }
        if (h.origin !== undefined) {
          requestHeaders.origin = h.origin;
        }
        if (h.preflight !== undefined) {
          requestHeaders['access-control-request-method'] = h.preflight;
        }
        if (h.forwarded !== undefined) {
          requestHeaders['x-forwarded-for'] = h.forwarded;
        }
        const now = String(Math.floor(time.ms() / 1000));
        if (h.signCorrectly) {
          const digest = createHash('sha256')
            .update(payload ?? Buffer.alloc(0))
            .digest('hex');
          requestHeaders['x-request-timestamp'] = now;
          requestHeaders['x-request-signature'] = createHmac('sha256', SECRET)
            .update(`${m}\n${target}\n${now}\n${digest}`)
            .digest('hex');
        } else {
          if (h.timestamp !== undefined) {
            requestHeaders['x-request-timestamp'] = h.timestamp === 'NOW' ? now : h.timestamp;
          }
          if (h.signature !== undefined) {
            requestHeaders['x-request-signature'] = h.signature;
          }
        }
        const res = await send(m, target, requestHeaders, payload);
        seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
        const label = `${m} ${target.slice(0, 120)} -> ${res.status} ${res.body.slice(0, 200)}`;
        expect(res.status, label).toBeGreaterThanOrEqual(200);
        expect(res.status, label).toBeLessThan(500);
        // A HEAD answer has no body to classify: ask the same target with GET.
        const isRouterError =
          routerUrlError(res) ||
          (m === 'HEAD' &&
            res.headers['x-request-id'] === undefined &&
            routerUrlError(await send('GET', target, {}, undefined)));
        if (isRouterError) {
          // Known gap, asserted separately below: Fastify's router answers these before any hook runs.
          routerErrors.push(label);
          return;
        }
        expect(res.headers['x-request-id'], label).toMatch(/^[0-9a-f-]{36}$/);
        expect(res.headers['x-content-type-options'], label).toBe('nosniff');
        expect(res.headers['x-frame-options'], label).toBe('DENY');
        expect(res.headers['referrer-policy'], label).toBe('strict-origin-when-cross-origin');
        expect(res.headers['content-security-policy'], label).toMatch(/frame-ancestors '(none|self)'/);
        expect(res.headers['cache-control'], label).toBeDefined();
        expect(res.headers['x-powered-by'], label).toBeUndefined();
        expect(res.headers.vary, label).toMatch(/Origin/i);
        if (res.status >= 400 && m !== 'HEAD') {
          const envelope = JSON.parse(res.body) as Record<string, unknown>;
          expect(Object.keys(envelope).sort(), label).toEqual(['detail', 'details', 'error_code', 'message']);
          expect(res.body, label).not.toMatch(/at .+\.(ts|js):\d+|SQLITE|node_modules|\/work\//);
        }
        if (res.headers['access-control-allow-origin'] !== undefined) {
          expect(res.headers['access-control-allow-origin'], label).toBe('https://app.example.com');
        }
      }),
      {
        numRuns: runs,
        seed: Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31),
        verbose: 1,
        // Two requests that pass every check, so each run also reaches the handlers, and one with a wrong key, so
        // each run also meets the key check's refusal (random requests rarely get that far: most fail earlier).
        examples: [
          ['GET', '/contexts?limit=5', { ...noHeaders, apiKey: API_KEY }, undefined],
          ['GET', '/contexts', { ...noHeaders, apiKey: 'not-the-key' }, undefined],
          [
            'POST',
            '/contexts',
            { ...noHeaders, apiKey: API_KEY, contentType: 'application/json', signCorrectly: true },
            '{"type":"fact","content":"fuzz seed"}',
          ],
        ],
      },
    );
    // The fuzzer reached past authentication as well as being refused by it.
    expect(
      [...seen.keys()].some((s) => s < 300),
      JSON.stringify([...seen]),
    ).toBe(true);
    expect(seen.get(401) ?? 0, JSON.stringify([...seen])).toBeGreaterThan(0);
    // Most requests are not router-level URL errors.
    expect(routerErrors.length).toBeLessThan(runs / 2);
  });

  it('a fixed set of hostile paths is answered safely', async () => {
    const targets = [
      '/contexts/..%2f..%2f..%2fetc%2fpasswd',
      '/../../etc/passwd',
      '/contexts/%00',
      '/contexts%00',
      '/%',
      '/%zz',
      '/contexts/%E0%A4%A',
      `/${'a'.repeat(8000)}`,
      `/contexts/${'b'.repeat(4000)}`,
      pathSafe('/contexts/ünïcödé/🔑'),
      '/contexts/%F0%9F%94%91',
      '/contexts/%ED%A0%80',
      '//contexts',
      '/contexts//',
      '/./contexts',
      '/CONTEXTS',
      '/contexts;jsessionid=1',
      '/security/events?limit=1&limit=2',
      '/health?%00',
      '/docs/../contexts',
      '/docs/%2e%2e/contexts',
    ];
    for (const target of targets) {
      for (const m of ['GET', 'POST', 'DELETE']) {
        const res = await send(
          m,
          target,
          { 'content-type': 'application/json' },
          m === 'GET' ? undefined : Buffer.from('{}'),
        );
        const label = `${m} ${target.slice(0, 60)} -> ${res.status}`;
        expect(res.status, label).toBeLessThan(500);
        if (routerUrlError(res)) {
          expect([400, 414], label).toContain(res.status);
          continue;
        }
        expect(res.headers['x-request-id'], label).toBeDefined();
        expect(res.headers['x-content-type-options'], label).toBe('nosniff');
        // Path tricks never reach a protected handler without the key.
        if (res.status < 300) {
          expect(m, label).toBe('GET');
          expect(target, label).toMatch(/^\/(health|docs)/);
        }
      }
    }
  });

  it('raw non-ASCII bytes on the request line are refused by the HTTP parser with 400, and the server stays up', async () => {
    for (const target of [rawBytes('/contexts/ünïcödé'), '/\xa0', rawBytes('/🔑')]) {
      const res = await send('GET', target, {}, undefined);
      expect(res.status).toBe(400);
    }
    expect((await send('GET', '/health', {}, undefined)).status).toBe(200);
  });

  // Fastify answers a malformed percent-escape or an over-long path parameter from its router, before any hook: the
  // app's `frameworkErrors` handler must still give these responses the security headers, X-Request-ID and the error
  // envelope that every response carries.
  it('malformed percent-escapes and over-long parameters get the security headers and the envelope', async () => {
    for (const target of ['/%', '/contexts/%zz', '/contexts/%E0%A4%A', `/contexts/${'b'.repeat(4000)}`]) {
      const res = await send('GET', target, {}, undefined);
      expect(res.status).toBeLessThan(500);
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(Object.keys(JSON.parse(res.body) as object).sort()).toEqual([
        'detail',
        'details',
        'error_code',
        'message',
      ]);
    }
  });
});
