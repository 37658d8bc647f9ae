import { connect } from 'node:net';

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { type HttpTestApp, startHttpTestApp } from '../helpers.js';
import { type CallOptions, type CallResult, parseJson, rawCall, signedCall } from './security-helpers.js';

/** Security headers and CORS over real HTTP, with auth and signing on. */

const API_KEY = 'headers-test-api-key-5e6f7a8b9c';
const SECRET = 'headers-test-secret-0123456789abcdef012';
const ALLOWED = 'https://app.example.com';

type Server = HttpTestApp;

function start(env: Record<string, string> = {}): Promise<Server> {
  return startHttpTestApp(
    {
      CONTEXTPILOT_ENABLE_AUTH: 'true',
      CONTEXTPILOT_API_KEY: API_KEY,
      CONTEXTPILOT_ENABLE_REQUEST_SIGNING: 'true',
      CONTEXTPILOT_REQUEST_SIGNING_SECRET: SECRET,
      CONTEXTPILOT_AUTH_FAILURE_LIMIT: '1000',
      CONTEXTPILOT_CORS_ORIGINS: JSON.stringify([ALLOWED, 'http://localhost:5173']),
      CONTEXTPILOT_MAX_BODY_BYTES: '4096',
      ...env,
    },
    Date.UTC(2026, 5, 7, 8, 9, 10, 0),
  );
}

/** Sends a request with API_KEY (unless `key` is given) and signs POST, PUT and DELETE; redirects are not followed. */
function call(server: Server, method: string, path: string, options: CallOptions = {}) {
  const signs = (m: string) => ['POST', 'PUT', 'DELETE'].includes(m);
  const config = { secret: SECRET, key: API_KEY, signs, now: server.time.ms };
  return signedCall(config, server.base, method, path, options, 'manual');
}

const EXPECTED_HEADERS: Record<string, string | RegExp> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'strict-origin-when-cross-origin',
  'permissions-policy': 'geolocation=(), microphone=(), camera=()',
  'content-security-policy': /frame-ancestors 'none'/,
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-store',
  'x-request-id': /^[0-9a-f-]{36}$/,
};

function expectSecurityHeaders(res: CallResult, label: string) {
  for (const [name, value] of Object.entries(EXPECTED_HEADERS)) {
    const actual = res.headers.get(name);
    if (typeof value === 'string') {
      expect(actual, `${label}: ${name}`).toBe(value);
    } else {
      expect(actual, `${label}: ${name}`).toMatch(value);
    }
  }
  expect(res.headers.get('content-security-policy'), label).not.toContain('unsafe-inline');
  expect(res.headers.get('x-powered-by'), label).toBeNull();
  expect(res.headers.get('vary') ?? '', label).toMatch(/\bOrigin\b/i);
}

/** The headers of a node:http response as fetch's Headers take them. */
function rawHeaders(headers: Record<string, string | string[] | undefined>): [string, string][] {
  return Object.entries(headers).flatMap(([name, value]) =>
    value === undefined ? [] : [[name, Array.isArray(value) ? value.join(', ') : value] as [string, string]],
  );
}

/** Writes `request` to a new connection as is and reads the whole answer, up to the server closing it. */
function exchange(server: Server, request: string) {
  const { hostname, port } = new URL(server.base);
  return new Promise<{ statusLine: string; result: CallResult }>((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(request));
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const [head = '', text = ''] = raw.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers = new Headers(
        lines.map((l): [string, string] => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]),
      );
      const status = Number(statusLine.split(' ')[1]);
      resolve({ statusLine, result: { status, text, json: parseJson(text), headers } });
    });
  });
}

let server: Server;
beforeAll(async () => {
  server = await start();
});
afterAll(async () => {
  await server.app.close();
});
beforeEach(() => {
  server.time.advance(11 * 60_000);
});

describe('security headers on every response', () => {
  it('200, 201, 204', async () => {
    expectSecurityHeaders(await call(server, 'GET', '/health', { key: null }), 'GET /health');
    expectSecurityHeaders(await call(server, 'GET', '/', { key: null }), 'GET /');
    expectSecurityHeaders(await call(server, 'GET', '/contexts'), 'GET /contexts');
    const created = await call(server, 'POST', '/contexts', {
      body: JSON.stringify({ type: 'fact', content: 'headers' }),
    });
    expect(created.status).toBe(201);
    expectSecurityHeaders(created, '201');
    const deleted = await call(server, 'DELETE', `/contexts/${created.json.id as string}`);
    expect(deleted.status).toBe(204);
    expectSecurityHeaders(deleted, '204');
  });

  it('401 (missing key, bad signature)', async () => {
    const noKey = await call(server, 'GET', '/contexts', { key: null });
    expect(noKey.status).toBe(401);
    expectSecurityHeaders(noKey, '401 key');
    const badSig = await call(server, 'POST', '/contexts', { body: '{}', sign: false });
    expect(badSig.status).toBe(401);
    expectSecurityHeaders(badSig, '401 signature');
  });

  it('404 and 405', async () => {
    const notFound = await call(server, 'GET', '/no/such/route', { key: null });
    expect(notFound.status).toBe(404);
    expect(notFound.json.error_code).toBe('NOT_FOUND');
    expectSecurityHeaders(notFound, '404');
    const wrongMethod = await call(server, 'DELETE', '/health', { key: null, sign: false });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toContain('GET');
    expectSecurityHeaders(wrongMethod, '405');
    const missingContext = await call(server, 'GET', '/contexts/00000000-0000-4000-8000-000000000000');
    expect(missingContext.status).toBe(404);
    expectSecurityHeaders(missingContext, '404 context');
  });

  it('413, 415 and 422', async () => {
    const big = JSON.stringify({ type: 'fact', content: 'x'.repeat(8000) });
    const tooLarge = await call(server, 'POST', '/contexts', { body: big });
    expect(tooLarge.status).toBe(413);
    expectSecurityHeaders(tooLarge, '413');
    const media = await call(server, 'POST', '/contexts', {
      body: 'type=fact',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(media.status).toBe(415);
    expectSecurityHeaders(media, '415');
    const invalid = await call(server, 'POST', '/contexts', { body: JSON.stringify({ type: 'nonsense', content: 1 }) });
    expect(invalid.status).toBe(422);
    expectSecurityHeaders(invalid, '422');
    const malformed = await call(server, 'POST', '/contexts', { body: '{"type":' });
    expect([400, 422]).toContain(malformed.status);
    expectSecurityHeaders(malformed, 'malformed JSON');
  });

  it('429', async () => {
    let res: CallResult | null = null;
    for (let i = 0; i < 31; i++) {
      res = await call(server, 'GET', '/security/events?limit=1');
    }
    expect(res!.status).toBe(429);
    expectSecurityHeaders(res!, '429');
  });

  it('503 (signing misconfigured)', async () => {
    const broken = await start({ CONTEXTPILOT_REQUEST_SIGNING_SECRET: '' });
    try {
      const res = await call(broken, 'POST', '/contexts', { body: '{}', sign: false });
      expect(res.status).toBe(503);
      expectSecurityHeaders(res, '503');
    } finally {
      await broken.app.close();
    }
  });

  it('417 (an Expect header Node refuses before the app sees the request)', async () => {
    const res = await rawCall(server, 'POST', '/contexts', {
      expect: '200-ok',
      'content-type': 'application/json',
      'x-api-key': API_KEY,
    });
    expect(res.status).toBe(417);
    expect(parseJson(res.text)).toEqual({
      error_code: 'HTTP_ERROR',
      message: 'Expectation Failed',
      detail: 'Expectation Failed',
      details: {},
    });
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expectSecurityHeaders(
      { status: res.status, text: res.text, json: parseJson(res.text), headers: new Headers(rawHeaders(res.headers)) },
      '417',
    );
  });

  it('400 and 414 (URLs the router refuses before any hook runs)', async () => {
    for (const [path, status, message] of [
      ['/contexts/%zz', 400, 'Bad request'],
      [`/contexts/${'b'.repeat(600)}`, 414, 'URI Too Long'],
    ] as const) {
      const res = await rawCall(server, 'GET', path, { 'x-api-key': API_KEY });
      expect(res.status).toBe(status);
      expect(parseJson(res.text)).toEqual({ error_code: 'HTTP_ERROR', message, detail: message, details: {} });
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expectSecurityHeaders(
        {
          status: res.status,
          text: res.text,
          json: parseJson(res.text),
          headers: new Headers(rawHeaders(res.headers)),
        },
        String(status),
      );
    }
  });

  it("400 and 431 (requests Node's HTTP parser refuses)", async () => {
    const malformed = await exchange(server, 'GET /health HTTP/1.1\r\nHost: localhost\r\nno colon here\r\n\r\n');
    const oversized = await exchange(
      server,
      `GET /health HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    expect(malformed.statusLine).toBe('HTTP/1.1 400 Bad Request');
    expect(oversized.statusLine).toBe('HTTP/1.1 431 Request Header Fields Too Large');
    for (const { result } of [malformed, oversized]) {
      expect(result.json).toEqual({
        error_code: 'HTTP_ERROR',
        message: 'Bad request',
        detail: 'Bad request',
        details: {},
      });
      expect(result.headers.get('content-type')).toMatch(/^application\/json/);
      expect(result.headers.get('content-length')).toBe(String(Buffer.byteLength(result.text)));
      expect(result.headers.get('connection')).toBe('close');
      expectSecurityHeaders(result, String(result.status));
    }
  });

  it('the rotation response is no-store', async () => {
    const own = await start();
    try {
      const res = await call(own, 'POST', '/security/api-key/rotate');
      expect(res.status).toBe(200);
      expectSecurityHeaders(res, 'rotate');
    } finally {
      await own.app.close();
    }
  });
});

describe('Content-Security-Policy', () => {
  it('API responses get the strict API policy', async () => {
    for (const res of [
      await call(server, 'GET', '/contexts'),
      await call(server, 'GET', '/health', { key: null }),
      await call(server, 'GET', '/nope', { key: null }),
    ]) {
      expect(res.headers.get('content-security-policy')).toBe(
        "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
      );
    }
  });

  it('the API docs page gets a policy that lets its own same-origin scripts run, and nothing inline', async () => {
    const res = await call(server, 'GET', '/docs/', { key: null });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    const directives = new Map(
      csp
        .split(';')
        .map((d) => d.trim().split(/\s+/))
        .map(([name, ...values]) => [name!, values]),
    );
    const scriptSrc = directives.get('script-src') ?? directives.get('default-src') ?? [];
    expect(scriptSrc).toContain("'self'");
    expect(scriptSrc).not.toContain("'unsafe-inline'");
    expect(scriptSrc).not.toContain("'unsafe-eval'");
    expect(scriptSrc).not.toContain('*');
    // Framing is refused (X-Frame-Options: DENY is on every response as well).
    expect([["'none'"], ["'self'"]]).toContainEqual(directives.get('frame-ancestors'));
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(directives.get('object-src')).toEqual(["'none'"]);
    expect(directives.get('base-uri')).toEqual(["'none'"]);
    expect(directives.get('style-src')).toEqual(["'self'"]);
    expect(directives.get('img-src') ?? []).not.toContain('https:');
    // Every script the page loads is same-origin, so the policy allows it; none is inline.
    const scripts = [...res.text.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes, inline] of scripts) {
      expect(attributes).toMatch(/src="(\.\/|\/)[^"]+"/);
      expect(inline!.trim()).toBe('');
    }
  });
});

describe('HSTS', () => {
  it('is not sent over plain HTTP, even with a spoofed X-Forwarded-Proto when the proxy is not trusted', async () => {
    expect((await call(server, 'GET', '/health')).headers.get('strict-transport-security')).toBeNull();
    const spoofed = await call(server, 'GET', '/health', { headers: { 'x-forwarded-proto': 'https' } });
    expect(spoofed.headers.get('strict-transport-security')).toBeNull();
  });

  it('is sent for HTTPS behind a trusted proxy (X-Forwarded-Proto), on errors too', async () => {
    const proxied = await start({ CONTEXTPILOT_TRUST_PROXY: 'true', CONTEXTPILOT_HSTS_MAX_AGE_SECONDS: '63072000' });
    try {
      const https = await call(proxied, 'GET', '/health', { headers: { 'x-forwarded-proto': 'https' } });
      expect(https.headers.get('strict-transport-security')).toBe('max-age=63072000; includeSubDomains');
      const error = await call(proxied, 'GET', '/contexts', { key: null, headers: { 'x-forwarded-proto': 'https' } });
      expect(error.status).toBe(401);
      expect(error.headers.get('strict-transport-security')).toBe('max-age=63072000; includeSubDomains');
      const http = await call(proxied, 'GET', '/health', { headers: { 'x-forwarded-proto': 'http' } });
      expect(http.headers.get('strict-transport-security')).toBeNull();
      const plain = await call(proxied, 'GET', '/health');
      expect(plain.headers.get('strict-transport-security')).toBeNull();
    } finally {
      await proxied.app.close();
    }
  });
});

describe('CORS', () => {
  it('echoes an allowed origin exactly, with credentials, on success and on errors', async () => {
    for (const [path, key, status] of [
      ['/health', null, 200],
      ['/contexts', API_KEY, 200],
      ['/contexts', null, 401],
      ['/nope', null, 404],
    ] as const) {
      const res = await call(server, 'GET', path, { key, headers: { origin: ALLOWED } });
      expect(res.status).toBe(status);
      expect(res.headers.get('access-control-allow-origin'), path).toBe(ALLOWED);
      expect(res.headers.get('access-control-allow-credentials')).toBe('true');
      expect(res.headers.get('vary')).toMatch(/\bOrigin\b/i);
      expect(res.headers.get('access-control-expose-headers')).toMatch(/X-Request-ID/i);
    }
  });

  it.each([
    'https://app.example.com.evil.test',
    'https://evil.app.example.com',
    'http://app.example.com',
    'https://app.example.com:444',
    'https://APP.example.com',
    'https://app.example.com/',
    'null',
    '*',
    'https://evil.test',
  ])('a request from %s is served without CORS headers', async (origin) => {
    const res = await call(server, 'GET', '/contexts', { headers: { origin } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    expect(res.headers.get('vary')).toMatch(/\bOrigin\b/i);
  });

  it('answers an allowed preflight with 204, methods, headers and max-age, without a key', async () => {
    const res = await call(server, 'OPTIONS', '/contexts', {
      key: null,
      headers: {
        origin: ALLOWED,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'x-api-key, content-type, x-request-signature, x-request-timestamp',
      },
    });
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(res.headers.get('access-control-allow-methods')).toMatch(/\bPOST\b/);
    expect(res.headers.get('access-control-allow-methods')).toMatch(/\bDELETE\b/);
    expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('x-api-key');
    expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('x-request-signature');
    expect(res.headers.get('access-control-max-age')).toBe('600');
    expect(res.headers.get('vary')).toMatch(/\bOrigin\b/i);
    expectSecurityHeaders(res, 'preflight');
    // A preflight of a parameterised route too.
    const item = await call(server, 'OPTIONS', '/contexts/00000000-0000-4000-8000-000000000000', {
      key: null,
      headers: { origin: ALLOWED, 'access-control-request-method': 'DELETE' },
    });
    expect(item.status).toBe(204);
  });

  it('allows the headers the API reads, not whatever a preflight asks for', async () => {
    const res = await call(server, 'OPTIONS', '/contexts', {
      key: null,
      headers: {
        origin: ALLOWED,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'x-api-key, x-evil, cookie-monster',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-headers')).toBe(
      'Content-Type, X-API-Key, X-Request-Timestamp, X-Request-Signature',
    );
  });

  it('reads "*" among explicit allowed headers as the API\'s own headers plus those', async () => {
    const extended = await start({ CONTEXTPILOT_CORS_ALLOW_HEADERS: '["*","X-Trace-Id","X-API-Key"]' });
    try {
      const res = await call(extended, 'OPTIONS', '/contexts', {
        key: null,
        headers: {
          origin: ALLOWED,
          'access-control-request-method': 'PUT',
          'access-control-request-headers': 'x-evil',
        },
      });
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-headers')).toBe(
        'Content-Type, X-API-Key, X-Request-Timestamp, X-Request-Signature, X-Trace-Id',
      );
    } finally {
      await extended.app.close();
    }
  });

  it('refuses a preflight from another origin with 400 in the envelope', async () => {
    for (const origin of ['https://evil.test', 'null', 'https://app.example.com.evil.test']) {
      const res = await call(server, 'OPTIONS', '/contexts', {
        key: null,
        headers: { origin, 'access-control-request-method': 'POST' },
      });
      expect(res.status).toBe(400);
      expect(res.json).toEqual({
        error_code: 'HTTP_ERROR',
        message: 'Disallowed CORS origin',
        detail: 'Disallowed CORS origin',
        details: {},
      });
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      expect(res.headers.get('access-control-allow-methods')).toBeNull();
      expectSecurityHeaders(res, `preflight ${origin}`);
    }
  });

  it('a plain OPTIONS without preflight headers is not a CORS answer', async () => {
    const res = await call(server, 'OPTIONS', '/health', { key: null });
    expect([200, 204, 404, 405]).toContain(res.status);
    expect(res.headers.get('access-control-allow-methods')).toBeNull();
    expectSecurityHeaders(res, 'OPTIONS');
  });

  it('honours a restricted list of allowed headers and methods', async () => {
    const strict = await start({
      CONTEXTPILOT_CORS_ALLOW_METHODS: '["GET","POST"]',
      CONTEXTPILOT_CORS_ALLOW_HEADERS: '["X-API-Key","Content-Type"]',
    });
    try {
      const res = await call(strict, 'OPTIONS', '/contexts', {
        key: null,
        headers: {
          origin: ALLOWED,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'x-evil',
        },
      });
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-methods')).toBe('GET, POST');
      expect(res.headers.get('access-control-allow-headers')).toBe('X-API-Key, Content-Type');
    } finally {
      await strict.app.close();
    }
  });
});

describe('CONTEXTPILOT_ENABLE_SECURITY_HEADERS=false', () => {
  it('turns the security headers off but keeps X-Request-ID and CORS', async () => {
    const off = await start({ CONTEXTPILOT_ENABLE_SECURITY_HEADERS: 'false', CONTEXTPILOT_TRUST_PROXY: 'true' });
    try {
      for (const res of [
        await call(off, 'GET', '/health', { headers: { origin: ALLOWED, 'x-forwarded-proto': 'https' } }),
        await call(off, 'GET', '/contexts', { key: null, headers: { origin: ALLOWED } }),
      ]) {
        for (const name of [
          'x-content-type-options',
          'x-frame-options',
          'referrer-policy',
          'permissions-policy',
          'content-security-policy',
          'strict-transport-security',
        ]) {
          expect(res.headers.get(name), name).toBeNull();
        }
        expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
        expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED);
        expect(res.headers.get('x-powered-by')).toBeNull();
      }
    } finally {
      await off.app.close();
    }
  });
});
