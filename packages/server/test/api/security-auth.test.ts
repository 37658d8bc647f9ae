import { createHash } from 'node:crypto';

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { signatureHeaders } from '../../../client/src/signing.js';
import { type HttpTestApp, startHttpTestApp } from '../helpers.js';
import { auditEventsOf, type CallOptions, rawCall, signedCall } from './security-helpers.js';

/**
 * API-key authentication and rotation over real HTTP, with auth and request signing on. Time comes from an injected
 * clock; every test starts in fresh rate-limit windows by moving it forward.
 */

const API_KEY = 'Zq7-auth-test-key-0123456789-abcdefghijk';
const SECRET = 'auth-test-signing-secret-0123456789abcdef';
const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

type Server = HttpTestApp;

function start(env: Record<string, string>): Promise<Server> {
  return startHttpTestApp(
    {
      CONTEXTPILOT_ENABLE_REQUEST_SIGNING: 'true',
      CONTEXTPILOT_REQUEST_SIGNING_SECRET: SECRET,
      CONTEXTPILOT_AUTH_FAILURE_LIMIT: '100000',
      // A row per request, as v1 wrote them: these tests look an event up by its request id.
      CONTEXTPILOT_SECURITY_EVENT_AGGREGATE_SECONDS: '0',
      ...env,
    },
    Date.UTC(2026, 0, 2, 3, 4, 5, 123),
  );
}

/** One request over fetch, with no key unless `key` is given; non-GET requests are signed unless `sign: false`. */
function call(server: Server, method: string, path: string, options: CallOptions = {}) {
  const signs = (m: string) => m !== 'GET' && m !== 'HEAD';
  return signedCall({ secret: SECRET, signs, now: server.time.ms }, server.base, method, path, options, 'manual');
}

const CONTEXT_ID = '00000000-0000-4000-8000-000000000000';
const JSON_BODY = '{"type":"fact","content":"auth coverage probe"}';

/** Every protected endpoint (every route but `/`, `/health`, the UI and the docs), with a body where the route takes one. */
const PROTECTED: { method: string; path: string; body?: string | Uint8Array; headers?: Record<string, string> }[] = [
  { method: 'POST', path: '/contexts', body: JSON_BODY },
  { method: 'GET', path: '/contexts' },
  { method: 'GET', path: '/contexts/export' },
  { method: 'GET', path: '/contexts/export?format=csv' },
  {
    method: 'POST',
    path: '/contexts/import',
    body: '--b\r\nContent-Disposition: form-data; name="file"; filename="a.json"\r\n\r\n[]\r\n--b--\r\n',
    headers: { 'content-type': 'multipart/form-data; boundary=b' },
  },
  { method: 'GET', path: `/contexts/${CONTEXT_ID}` },
  { method: 'PUT', path: `/contexts/${CONTEXT_ID}`, body: '{"content":"changed"}' },
  { method: 'DELETE', path: `/contexts/${CONTEXT_ID}` },
  { method: 'POST', path: `/contexts/${CONTEXT_ID}/supersede`, body: '{"content":"changed"}' },
  { method: 'POST', path: '/generate-prompt', body: '{"task":"anything"}' },
  { method: 'POST', path: '/generate-prompt/compact', body: '{"task":"anything"}' },
  { method: 'GET', path: '/stats' },
  { method: 'GET', path: '/metrics' },
  { method: 'POST', path: '/security/api-key/rotate' },
  { method: 'GET', path: '/security/events' },
  { method: 'POST', path: '/mcp', body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' },
  { method: 'GET', path: '/mcp' },
  { method: 'DELETE', path: '/mcp' },
];

let main: Server;
beforeAll(async () => {
  main = await start({
    CONTEXTPILOT_ENABLE_AUTH: 'true',
    CONTEXTPILOT_API_KEY: API_KEY,
    CONTEXTPILOT_MCP_ENABLED: 'true',
  });
});
afterAll(async () => {
  await main.app.close();
});
beforeEach(() => {
  // Fresh windows for every rate limit and the failed-auth counter.
  main.time.advance(11 * 60_000);
});

describe('API key coverage', () => {
  it.each(PROTECTED)(
    '$method $path is 401 without a key and with a wrong key',
    async ({ method, path, body, headers }) => {
      for (const key of [undefined, 'wrong-key']) {
        const res = await call(main, method, path, { key, body, headers: { ...headers } });
        expect(res.status, `${method} ${path} key=${String(key)}`).toBe(401);
        expect(res.json.error_code).toBe('HTTP_ERROR');
        expect(res.headers.get('www-authenticate')).toMatch(/X-API-Key/);
      }
    },
  );

  // Rotation with the key is covered below, on its own app (it would change this app's key).
  it.each(PROTECTED.filter((r) => r.path !== '/security/api-key/rotate'))(
    '$method $path passes authentication with the key',
    async ({ method, path, body, headers }) => {
      const res = await call(main, method, path, { key: API_KEY, body, headers: { ...headers } });
      expect(res.status, res.text).not.toBe(401);
      expect(res.status).toBeLessThan(500);
    },
  );

  it('every route in the OpenAPI document other than GET / and GET /health needs the key', async () => {
    const doc = (await call(main, 'GET', '/openapi.json')).json as { paths: Record<string, Record<string, unknown>> };
    const routes = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops)
        .filter((m) => ['get', 'post', 'put', 'delete', 'patch'].includes(m))
        .map((m) => ({ method: m.toUpperCase(), path: path.replace(/\{[^}]+\}/g, CONTEXT_ID) })),
    );
    expect(routes.length).toBeGreaterThanOrEqual(PROTECTED.length);
    for (const { method, path } of routes) {
      const res = await call(main, method, path, { body: method === 'GET' || method === 'DELETE' ? undefined : '{}' });
      if ((path === '/' || path === '/health') && method === 'GET') {
        expect(res.status, `${method} ${path}`).toBe(200);
      } else {
        expect(res.status, `${method} ${path}`).toBe(401);
      }
    }
  });

  it('takes the key as a bearer token on /mcp only: other routes read X-API-Key alone', async () => {
    const bearer = { authorization: `Bearer ${API_KEY}` };
    expect((await call(main, 'GET', '/contexts', { key: null, headers: bearer })).status).toBe(401);
    expect(
      (await call(main, 'POST', '/generate-prompt', { key: null, headers: bearer, body: '{"task":"a"}' })).status,
    ).toBe(401);
    // Past authentication, /mcp refuses a request that does not start a session (400), never 401.
    expect((await call(main, 'GET', '/mcp', { key: null, headers: bearer })).status).toBe(400);
    for (const authorization of ['Bearer wrong-key', `Basic ${API_KEY}`, `Bearer ${API_KEY} extra`, 'Bearer']) {
      expect((await call(main, 'GET', '/mcp', { key: null, headers: { authorization } })).status).toBe(401);
    }
  });

  it.each(['/contexts', '/contexts/export', '/stats', '/metrics', '/security/events', `/contexts/${CONTEXT_ID}`])(
    'HEAD %s needs the key too',
    async (path) => {
      expect((await call(main, 'HEAD', path)).status).toBe(401);
      expect((await call(main, 'HEAD', path, { key: 'wrong' })).status).toBe(401);
      expect((await call(main, 'HEAD', path, { key: API_KEY })).status).not.toBe(401);
    },
  );

  it.each(['/', '/health', '/openapi.json', '/docs', '/docs/'])('GET %s stays open', async (path) => {
    const res = await call(main, 'GET', path);
    expect(res.status).toBeLessThan(400);
  });
});

describe('API key checks', () => {
  it('answers a missing and a wrong key with the same body, and records missing_key vs invalid_key', async () => {
    const missing = await call(main, 'GET', '/contexts');
    const wrong = await call(main, 'GET', '/contexts', { key: 'definitely-not-the-key' });
    const empty = await call(main, 'GET', '/contexts', { key: '' });
    expect(missing.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(empty.status).toBe(401);
    expect(wrong.text).toBe(missing.text);
    expect(empty.text).toBe(missing.text);
    expect(missing.json).toEqual({
      error_code: 'HTTP_ERROR',
      message: missing.json.message,
      detail: missing.json.message,
      details: {},
    });
    expect(wrong.headers.get('www-authenticate')).toBe(missing.headers.get('www-authenticate'));

    const [m] = await auditEventsOf(main, missing.headers.get('x-request-id'));
    const [w] = await auditEventsOf(main, wrong.headers.get('x-request-id'));
    const [e] = await auditEventsOf(main, empty.headers.get('x-request-id'));
    expect(m).toMatchObject({ event: 'api_key_auth', outcome: 'missing_key', actor: null });
    expect(e).toMatchObject({ event: 'api_key_auth', outcome: 'missing_key' });
    expect(w).toMatchObject({
      event: 'api_key_auth',
      outcome: 'invalid_key',
      actor: `api_key:${sha256('definitely-not-the-key').slice(0, 8)}`,
    });
  });

  it('accepts the key and records valid_key with its fingerprint', async () => {
    const res = await call(main, 'GET', '/contexts', { key: API_KEY });
    expect(res.status).toBe(200);
    const [event] = await auditEventsOf(main, res.headers.get('x-request-id'));
    expect(event).toMatchObject({
      event: 'api_key_auth',
      outcome: 'valid_key',
      actor: `api_key:${sha256(API_KEY).slice(0, 8)}`,
    });
  });

  it.each(['api_key', 'x-api-key', 'X-API-Key', 'apikey', 'key'])(
    'ignores a valid key in the query string (?%s=)',
    async (name) => {
      const res = await call(main, 'GET', `/contexts?${name}=${encodeURIComponent(API_KEY)}`);
      expect(res.status).toBe(401);
    },
  );

  it('refuses two X-API-Key headers, even when both carry the valid key', async () => {
    for (const values of [
      [API_KEY, API_KEY],
      [API_KEY, 'wrong'],
      ['wrong', API_KEY],
    ]) {
      const res = await rawCall(main, 'GET', '/contexts', { 'x-api-key': values });
      expect(res.status).toBe(401);
      expect(JSON.parse(res.text).error_code).toBe('HTTP_ERROR');
    }
  });

  it('refuses other spellings of the key (case, prefix, suffix, bearer)', async () => {
    for (const key of [
      API_KEY.toLowerCase(),
      API_KEY.toUpperCase(),
      API_KEY.slice(0, -1),
      `${API_KEY}x`,
      `Bearer ${API_KEY}`,
    ]) {
      const res = await call(main, 'GET', '/contexts', { key });
      expect(res.status, key).toBe(401);
    }
    const viaAuthorization = await call(main, 'GET', '/contexts', { headers: { authorization: `Bearer ${API_KEY}` } });
    expect(viaAuthorization.status).toBe(401);
  });

  it('answers 401, never 500, to odd, long and non-ASCII keys', async () => {
    const keys = [
      'a',
      'abc',
      'x'.repeat(63),
      'x'.repeat(65),
      'k'.repeat(10_000),
      'clé-\u00ff\u00e9',
      sha256(API_KEY),
      '\t',
      '%00',
      '"quoted"',
    ];
    for (const key of keys) {
      const res = await call(main, 'GET', '/contexts', { key });
      expect(res.status, JSON.stringify(key.slice(0, 20))).toBe(401);
    }
    // Raw UTF-8 bytes in the header (sent as latin1 code units so that node:http writes them unchanged).
    for (const key of ['ключ-🔑', `${API_KEY}\u00e9`, '\u200b' + API_KEY]) {
      const res = await rawCall(main, 'GET', '/contexts', { 'x-api-key': Buffer.from(key, 'utf8').toString('latin1') });
      expect(res.status).toBe(401);
    }
    expect((await call(main, 'GET', '/contexts', { key: API_KEY })).status).toBe(200);
  });

  it('answers an unknown route with 404 or 401, never leaking whether it exists behind auth', async () => {
    const res = await call(main, 'GET', '/nope');
    expect([401, 404]).toContain(res.status);
  });
});

describe('other key configurations', () => {
  it('accepts a key configured only by its SHA-256 hash (any case)', async () => {
    const key = 'hash-only-key-9f8e7d6c5b4a';
    for (const hash of [sha256(key), sha256(key).toUpperCase()]) {
      const server = await start({ CONTEXTPILOT_ENABLE_AUTH: 'true', CONTEXTPILOT_API_KEY_HASH: hash });
      try {
        expect((await call(server, 'GET', '/contexts', { key })).status).toBe(200);
        expect((await call(server, 'GET', '/contexts', { key: hash })).status).toBe(401);
        expect((await call(server, 'GET', '/contexts')).status).toBe(401);
        const created = await call(server, 'POST', '/contexts', { key, body: JSON_BODY });
        expect(created.status).toBe(201);
      } finally {
        await server.app.close();
      }
    }
  });

  it('refuses everything when auth is enabled with no key configured', async () => {
    const server = await start({ CONTEXTPILOT_ENABLE_AUTH: 'true' });
    try {
      for (const key of [undefined, '', 'anything', sha256('')]) {
        expect((await call(server, 'GET', '/contexts', { key })).status).toBe(401);
      }
    } finally {
      await server.app.close();
    }
  });
});

describe('key rotation', () => {
  let rot: Server;
  beforeAll(async () => {
    rot = await start({ CONTEXTPILOT_ENABLE_AUTH: 'true', CONTEXTPILOT_API_KEY: API_KEY });
  });
  afterAll(async () => {
    await rot.app.close();
  });
  beforeEach(() => {
    rot.time.advance(11 * 60_000);
  });

  it('returns a new 43-character key once, no-store, and only the new key works afterwards', async () => {
    const res = await call(rot, 'POST', '/security/api-key/rotate', { key: API_KEY });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.json).toMatchObject({
      message: 'API key rotated successfully',
      note: 'Store this key securely now; it will not be shown again',
      rotated_at: new Date(rot.time.ms()).toISOString(),
    });
    const newKey = res.json.api_key as string;
    expect(newKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(newKey, 'base64url')).toHaveLength(32);

    expect((await call(rot, 'GET', '/contexts', { key: API_KEY })).status).toBe(401);
    expect((await call(rot, 'GET', '/contexts', { key: newKey })).status).toBe(200);
    expect((await call(rot, 'POST', '/contexts', { key: newKey, body: JSON_BODY })).status).toBe(201);

    // The settings store keeps the hash and lifecycle times only.
    const settings = await rot.app.parts.storage.settings.getAll();
    expect(settings.get('api_key_hash')).toBe(sha256(newKey));
    expect(settings.get('api_key_last_rotated_at')).toBe(res.json.rotated_at);
    expect(settings.get('api_key_created_at')).toBeTruthy();
    expect(settings.get('api_key_last_used_at')).toBeTruthy();
    expect(settings.has('api_key')).toBe(false);
    for (const [name, value] of settings) {
      expect(value, name).not.toContain(newKey);
      expect(value, name).not.toContain(API_KEY);
    }

    // The rotation event names both keys by fingerprint only.
    const [event] = (await auditEventsOf(rot, res.headers.get('x-request-id'))).filter(
      (e) => e.event === 'api_key_rotation',
    );
    expect(event).toMatchObject({ outcome: 'success', actor: `api_key:${sha256(API_KEY).slice(0, 8)}` });
    expect(JSON.stringify(event)).not.toContain(newKey.slice(0, 8));
    expect(JSON.stringify(event)).not.toContain(API_KEY.slice(0, 8));

    // A second rotation with the new key; the first rotated key dies with it; created_at stays.
    rot.time.advance(120_000);
    const again = await call(rot, 'POST', '/security/api-key/rotate', { key: newKey });
    expect(again.status).toBe(200);
    const third = again.json.api_key as string;
    expect(third).not.toBe(newKey);
    expect((await call(rot, 'GET', '/contexts', { key: newKey })).status).toBe(401);
    expect((await call(rot, 'GET', '/contexts', { key: API_KEY })).status).toBe(401);
    expect((await call(rot, 'GET', '/contexts', { key: third })).status).toBe(200);
    const after = await rot.app.parts.storage.settings.getAll();
    expect(after.get('api_key_created_at')).toBe(settings.get('api_key_created_at'));
    expect(after.get('api_key_last_rotated_at')).toBe(again.json.rotated_at);
  });

  it('writes api_key_last_used_at at most once a minute', async () => {
    const server = await start({ CONTEXTPILOT_ENABLE_AUTH: 'true', CONTEXTPILOT_API_KEY: API_KEY });
    try {
      const lastUsed = async () => (await server.app.parts.storage.settings.getAll()).get('api_key_last_used_at');
      expect(await lastUsed()).toBeUndefined();
      const t0 = new Date(server.time.ms()).toISOString();
      expect((await call(server, 'GET', '/contexts', { key: API_KEY })).status).toBe(200);
      expect(await lastUsed()).toBe(t0);
      expect((await server.app.parts.storage.settings.getAll()).get('api_key_created_at')).toBe(t0);
      for (let i = 0; i < 5; i++) {
        server.time.advance(10_000);
        expect((await call(server, 'GET', '/contexts', { key: API_KEY })).status).toBe(200);
        expect(await lastUsed()).toBe(t0);
      }
      server.time.advance(10_000); // t0 + 60 s
      expect((await call(server, 'GET', '/contexts', { key: API_KEY })).status).toBe(200);
      expect(await lastUsed()).toBe(new Date(server.time.ms()).toISOString());
      // Failed attempts never touch it.
      server.time.advance(120_000);
      const before = await lastUsed();
      expect((await call(server, 'GET', '/contexts', { key: 'wrong' })).status).toBe(401);
      expect(await lastUsed()).toBe(before);
    } finally {
      await server.app.close();
    }
  });

  it('refuses to rotate with 400 and records auth_disabled when authentication is off', async () => {
    const server = await start({ CONTEXTPILOT_ENABLE_AUTH: 'false' });
    try {
      const res = await call(server, 'POST', '/security/api-key/rotate');
      expect(res.status).toBe(400);
      expect(res.json).toEqual({
        error_code: 'HTTP_ERROR',
        message: 'Enable authentication before rotating API keys',
        detail: 'Enable authentication before rotating API keys',
        details: {},
      });
      const events = await auditEventsOf(server, res.headers.get('x-request-id'));
      expect(events.map((e) => `${e.event}/${e.outcome}`)).toContain('api_key_rotation/auth_disabled');
      const settings = await server.app.parts.storage.settings.getAll();
      expect(settings.has('api_key_hash')).toBe(false);
    } finally {
      await server.app.close();
    }
  });

  it('two concurrent rotations leave exactly one valid key', async () => {
    const server = await start({ CONTEXTPILOT_ENABLE_AUTH: 'true', CONTEXTPILOT_API_KEY: API_KEY });
    try {
      // Different timestamps: two identical body-less requests in the same second would share a signature (a replay).
      const sign = (offset: number) =>
        signatureHeaders({
          secret: SECRET,
          method: 'POST',
          pathWithQuery: '/security/api-key/rotate',
          now: () => server.time.ms() + offset,
        });
      const [h1, h2] = await Promise.all([sign(0), sign(1000)]);
      const [r1, r2] = await Promise.all([
        call(server, 'POST', '/security/api-key/rotate', { key: API_KEY, sign: false, headers: h1 }),
        call(server, 'POST', '/security/api-key/rotate', { key: API_KEY, sign: false, headers: h2 }),
      ]);
      // Either both ran (the later write wins) or the second found the old key already gone (401).
      const succeeded = [r1, r2].filter((r) => r.status === 200);
      expect(succeeded.length).toBeGreaterThanOrEqual(1);
      for (const r of [r1, r2]) {
        expect([200, 401]).toContain(r.status);
      }
      const results = await Promise.all(
        succeeded.map(async (r) => (await call(server, 'GET', '/contexts', { key: r.json.api_key })).status),
      );
      expect(results.filter((s) => s === 200)).toHaveLength(1);
      expect((await call(server, 'GET', '/contexts', { key: API_KEY })).status).toBe(401);
    } finally {
      await server.app.close();
    }
  });

  it('rotation itself needs the current key', async () => {
    const server = await start({ CONTEXTPILOT_ENABLE_AUTH: 'true', CONTEXTPILOT_API_KEY: API_KEY });
    try {
      expect((await call(server, 'POST', '/security/api-key/rotate')).status).toBe(401);
      expect((await call(server, 'POST', '/security/api-key/rotate', { key: 'wrong' })).status).toBe(401);
      expect((await server.app.parts.storage.settings.getAll()).has('api_key_hash')).toBe(false);
      expect((await call(server, 'GET', '/contexts', { key: API_KEY })).status).toBe(200);
    } finally {
      await server.app.close();
    }
  });
});
