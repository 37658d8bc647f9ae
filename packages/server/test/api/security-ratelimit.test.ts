import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { type HttpTestApp, startHttpTestApp } from '../helpers.js';
import { type CallOptions, type CallResult, signedCall } from './security-helpers.js';

/**
 * Rate limits over real HTTP: the per-endpoint limits of the v1 API and the failed-authentication
 * limit per client IP, checked before the key. Windows are moved with the injected clock.
 */

const API_KEY = 'ratelimit-test-api-key-77aa88bb99';
const SECRET = 'ratelimit-test-secret-0123456789abcdef0';
const FAILURE_LIMIT = 3;
const FAILURE_WINDOW_SECONDS = 600;

/** The running app and its current API key (rotation tests replace it). */
interface Server extends HttpTestApp {
  key: string;
}

async function start(env: Record<string, string> = {}): Promise<Server> {
  const server = await startHttpTestApp(
    {
      CONTEXTPILOT_ENABLE_AUTH: 'true',
      CONTEXTPILOT_API_KEY: API_KEY,
      CONTEXTPILOT_ENABLE_REQUEST_SIGNING: 'true',
      CONTEXTPILOT_REQUEST_SIGNING_SECRET: SECRET,
      CONTEXTPILOT_AUTH_FAILURE_LIMIT: String(FAILURE_LIMIT),
      CONTEXTPILOT_AUTH_FAILURE_WINDOW_SECONDS: String(FAILURE_WINDOW_SECONDS),
      ...env,
    },
    Date.UTC(2026, 4, 6, 7, 8, 9, 0),
  );
  return { ...server, key: API_KEY };
}

/** Sends a request with the server's current key (unless `key` is given) and signs non-GET requests. */
function call(server: Server, method: string, path: string, options: CallOptions = {}) {
  return signedCall({ secret: SECRET, key: server.key, now: server.time.ms }, server.base, method, path, options);
}

const SECURITY_HEADERS = [
  'x-content-type-options',
  'x-frame-options',
  'referrer-policy',
  'permissions-policy',
  'content-security-policy',
  'cache-control',
  'x-request-id',
];

function expect429(res: CallResult, message: string) {
  expect(res.status).toBe(429);
  expect(res.json).toMatchObject({ error_code: 'RATE_LIMIT_EXCEEDED', message, detail: message });
  const retryAfter = res.headers.get('retry-after');
  expect(retryAfter).toMatch(/^[1-9][0-9]*$/);
  expect(res.json.details.retry_after).toBe(Number(retryAfter));
  for (const header of SECURITY_HEADERS) {
    expect(res.headers.get(header), header).toBeTruthy();
  }
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  expect(res.headers.get('cache-control')).toBe('no-store');
  return Number(retryAfter);
}

async function eventCount(server: Server): Promise<number> {
  return (await server.app.parts.audit.list({ limit: 1_000_000, offset: 0 })).length;
}

let server: Server;
beforeAll(async () => {
  server = await start();
});
afterAll(async () => {
  await server.app.close();
});
beforeEach(() => {
  // Past every window: endpoint limits (1 min) and the failed-auth window.
  server.time.advance((FAILURE_WINDOW_SECONDS + 60) * 1000);
});

describe('per-endpoint limits', () => {
  it('POST /security/api-key/rotate: 5 per minute, then 429 until the window passes', async () => {
    for (let i = 1; i <= 5; i++) {
      const res = await call(server, 'POST', '/security/api-key/rotate');
      expect(res.status, `rotation ${i}`).toBe(200);
      expect(res.headers.get('x-ratelimit-limit')).toBe('5');
      expect(res.headers.get('x-ratelimit-remaining')).toBe(String(5 - i));
      server.key = res.json.api_key as string;
      server.time.advance(1000);
    }
    const limited = await call(server, 'POST', '/security/api-key/rotate');
    const retryAfter = expect429(limited, 'Rate limit exceeded: 5 per 1 minute');
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(retryAfter).toBeGreaterThanOrEqual(55);
    // The refused rotation changed nothing: the current key still works.
    expect((await call(server, 'GET', '/contexts')).status).toBe(200);
    server.time.advance(retryAfter * 1000);
    const again = await call(server, 'POST', '/security/api-key/rotate');
    expect(again.status).toBe(200);
    server.key = again.json.api_key as string;
  });

  it('GET /security/events: 30 per minute; Retry-After counts down with the clock', async () => {
    for (let i = 1; i <= 30; i++) {
      expect((await call(server, 'GET', '/security/events?limit=1')).status, `request ${i}`).toBe(200);
    }
    expect429(await call(server, 'GET', '/security/events?limit=1'), 'Rate limit exceeded: 30 per 1 minute');
    server.time.advance(45_000);
    const later = await call(server, 'GET', '/security/events');
    expect(expect429(later, 'Rate limit exceeded: 30 per 1 minute')).toBe(15);
    server.time.advance(15_000);
    expect((await call(server, 'GET', '/security/events')).status).toBe(200);
  });

  it('POST /generate-prompt: 50 per minute, counted apart from /generate-prompt/compact', async () => {
    // Each body differs: the same signed request twice would be a replay.
    const body = (i: number) => JSON.stringify({ task: `task ${i}` });
    for (let i = 1; i <= 50; i++) {
      expect((await call(server, 'POST', '/generate-prompt', { body: body(i) })).status, `request ${i}`).toBe(200);
    }
    expect429(
      await call(server, 'POST', '/generate-prompt', { body: body(51) }),
      'Rate limit exceeded: 50 per 1 minute',
    );
    expect((await call(server, 'POST', '/generate-prompt/compact', { body: body(52) })).status).toBe(200);
    server.time.advance(60_000);
    expect((await call(server, 'POST', '/generate-prompt', { body: body(53) })).status).toBe(200);
  });

  it('POST /contexts: 100 per minute', async () => {
    for (let i = 1; i <= 100; i++) {
      const res = await call(server, 'POST', '/contexts', {
        body: JSON.stringify({ type: 'fact', content: `limit ${i}` }),
      });
      expect(res.status, `request ${i}`).toBe(201);
    }
    expect429(
      await call(server, 'POST', '/contexts', { body: JSON.stringify({ type: 'fact', content: 'one too many' }) }),
      'Rate limit exceeded: 100 per 1 minute',
    );
    // Other endpoints are not limited.
    for (let i = 0; i < 120; i++) {
      expect((await call(server, 'GET', '/contexts?limit=1')).status).toBe(200);
    }
  });

  it.each([
    ['/providers', 30],
    ['/settings', 30],
  ] as const)('GET %s: %i per minute', async (path, limit) => {
    for (let i = 1; i <= limit; i++) {
      const res = await call(server, 'GET', path);
      expect(res.status, `request ${i}: ${res.text}`).toBe(200);
    }
    expect429(await call(server, 'GET', path), `Rate limit exceeded: ${limit} per 1 minute`);
  });

  it('a rate-limited request is refused before its body is parsed', async () => {
    for (let i = 0; i < 50; i++) {
      expect(
        (await call(server, 'POST', '/generate-prompt/compact', { body: JSON.stringify({ task: `y ${i}` }) })).status,
      ).toBe(200);
    }
    const res = await call(server, 'POST', '/generate-prompt/compact', { body: '{not json' });
    expect(res.status).toBe(429);
  });

  it('X-Forwarded-For is ignored when the proxy is not trusted', async () => {
    for (let i = 1; i <= 30; i++) {
      await call(server, 'GET', '/security/events', { headers: { 'x-forwarded-for': `198.51.100.${i}` } });
    }
    expect(
      (await call(server, 'GET', '/security/events', { headers: { 'x-forwarded-for': '198.51.100.200' } })).status,
    ).toBe(429);
  });
});

describe('failed-authentication limit per client IP', () => {
  it(`locks the IP out after ${FAILURE_LIMIT} failures, before the key is checked, until the window passes`, async () => {
    for (let i = 0; i < FAILURE_LIMIT; i++) {
      expect((await call(server, 'GET', '/contexts', { key: i === 0 ? null : `wrong-${i}` })).status).toBe(401);
    }
    // Even the right key is refused while locked out.
    const locked = await call(server, 'GET', '/contexts');
    expect429(locked, 'Too many failed authentication attempts');
    expect(Number(locked.headers.get('retry-after'))).toBe(FAILURE_WINDOW_SECONDS);
    const lockedPost = await call(server, 'POST', '/contexts', {
      body: JSON.stringify({ type: 'fact', content: 'locked out' }),
    });
    expect(lockedPost.status).toBe(429);
    // Public endpoints stay reachable.
    expect((await call(server, 'GET', '/health', { key: null })).status).toBe(200);

    server.time.advance((FAILURE_WINDOW_SECONDS - 1) * 1000);
    expect(expect429(await call(server, 'GET', '/contexts'), 'Too many failed authentication attempts')).toBe(1);
    server.time.advance(1000);
    expect((await call(server, 'GET', '/contexts')).status).toBe(200);
  });

  it('successful requests do not reset or add to the failure count', async () => {
    expect((await call(server, 'GET', '/contexts', { key: 'wrong' })).status).toBe(401);
    for (let i = 0; i < 10; i++) {
      expect((await call(server, 'GET', '/contexts')).status).toBe(200);
    }
    expect((await call(server, 'GET', '/contexts', { key: 'wrong' })).status).toBe(401);
    expect((await call(server, 'GET', '/contexts', { key: 'wrong' })).status).toBe(401);
    expect((await call(server, 'GET', '/contexts')).status).toBe(429);
  });

  it('bad signatures count as failed authentications', async () => {
    const body = JSON.stringify({ type: 'fact', content: 'bad signature' });
    for (let i = 0; i < FAILURE_LIMIT; i++) {
      const res = await call(server, 'POST', '/contexts', {
        body,
        sign: false,
        headers: {
          'x-request-timestamp': String(Math.floor(server.time.ms() / 1000)),
          'x-request-signature': '0'.repeat(64),
        },
      });
      expect(res.status).toBe(401);
    }
    expect((await call(server, 'GET', '/contexts')).status).toBe(429);
  });

  it('a flood of wrong keys writes a bounded number of events', async () => {
    const before = await eventCount(server);
    const statuses = new Map<number, number>();
    for (let i = 0; i < 200; i++) {
      const res = await call(server, 'GET', '/contexts', { key: `flood-${i}` });
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    }
    expect(statuses.get(401)).toBe(FAILURE_LIMIT);
    expect(statuses.get(429)).toBe(200 - FAILURE_LIMIT);
    const written = (await eventCount(server)) - before;
    expect(written).toBeGreaterThanOrEqual(FAILURE_LIMIT);
    expect(written).toBeLessThanOrEqual(FAILURE_LIMIT + 2);
    const lockouts = await server.app.parts.audit.list({ limit: 1000, offset: 0, outcome: 'rate_limited' });
    expect(lockouts.length).toBeGreaterThanOrEqual(1);
  });

  it('rotating X-Forwarded-For does not escape the lockout when the proxy is not trusted', async () => {
    for (let i = 0; i < FAILURE_LIMIT; i++) {
      await call(server, 'GET', '/contexts', { key: 'wrong', headers: { 'x-forwarded-for': `203.0.113.${i}` } });
    }
    expect((await call(server, 'GET', '/contexts', { headers: { 'x-forwarded-for': '203.0.113.99' } })).status).toBe(
      429,
    );
  });

  it('with a trusted proxy, the forwarded client address is what is limited', async () => {
    const proxied = await start({ CONTEXTPILOT_TRUST_PROXY: 'true' });
    try {
      for (let i = 0; i < FAILURE_LIMIT; i++) {
        await call(proxied, 'GET', '/contexts', { key: 'wrong', headers: { 'x-forwarded-for': '203.0.113.7' } });
      }
      expect((await call(proxied, 'GET', '/contexts', { headers: { 'x-forwarded-for': '203.0.113.7' } })).status).toBe(
        429,
      );
      expect((await call(proxied, 'GET', '/contexts', { headers: { 'x-forwarded-for': '203.0.113.8' } })).status).toBe(
        200,
      );
      const [event] = await proxied.app.parts.audit.list({ limit: 1, offset: 0, outcome: 'rate_limited' });
      expect(event?.clientIp).toBe('203.0.113.7');
    } finally {
      await proxied.app.close();
    }
  });
});
