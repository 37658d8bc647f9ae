import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { signatureHeaders, signRequest } from '../../../client/src/signing.js';
import { type HttpTestApp, multipartFile, startHttpTestApp, tempDir } from '../helpers.js';
import { auditEventsOf, fetchText, rawCall } from './security-helpers.js';

/** HMAC request signing over real HTTP, with auth on and an injected clock. */

const API_KEY = 'signing-test-api-key-4f3e2d1c0b';
const SECRET = 'signing-test-secret-0123456789abcdef0123';
const MAX_AGE = 300;

type Server = HttpTestApp;

function start(env: Record<string, string>): Promise<Server> {
  return startHttpTestApp(
    {
      CONTEXTPILOT_ENABLE_AUTH: 'true',
      CONTEXTPILOT_API_KEY: API_KEY,
      CONTEXTPILOT_ENABLE_REQUEST_SIGNING: 'true',
      CONTEXTPILOT_REQUEST_SIGNING_SECRET: SECRET,
      CONTEXTPILOT_REQUEST_SIGNING_MAX_AGE_SECONDS: String(MAX_AGE),
      CONTEXTPILOT_REQUEST_SIGNING_METHODS: '["POST","PUT","PATCH","DELETE"]',
      CONTEXTPILOT_AUTH_FAILURE_LIMIT: '100000',
      ...env,
    },
    Date.UTC(2026, 2, 4, 5, 6, 7, 0),
  );
}

/** Sends exactly what it is given (no automatic signing); the API key unless `key: null`. */
async function send(
  server: Server,
  method: string,
  path: string,
  options: { body?: string | Uint8Array; headers?: Record<string, string>; key?: string | null } = {},
) {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key !== null) {
    headers['x-api-key'] = options.key ?? API_KEY;
  }
  if (typeof options.body === 'string' && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
    headers['content-type'] = 'application/json';
  }
  return fetchText(server.base + path, { method, headers, body: options.body });
}

/** Signature headers for `method path body` at `offsetSeconds` from the server's clock. */
function sign(server: Server, method: string, pathWithQuery: string, body?: string | Uint8Array, offsetSeconds = 0) {
  return signatureHeaders({
    secret: SECRET,
    method,
    pathWithQuery,
    body,
    now: () => server.time.ms() + offsetSeconds * 1000,
  });
}

async function signedSend(
  server: Server,
  method: string,
  path: string,
  options: { body?: string | Uint8Array; headers?: Record<string, string> } = {},
) {
  return send(server, method, path, {
    ...options,
    headers: { ...options.headers, ...(await sign(server, method, path, options.body)) },
  });
}

/** The `request_signing` outcomes recorded for one request. */
async function outcomesFor(server: Server, requestId: string | null) {
  const events = await auditEventsOf(server, requestId);
  return events.filter((e) => e.event === 'request_signing').map((e) => e.outcome);
}

async function contentsOf(server: Server): Promise<string[]> {
  const res = await send(server, 'GET', '/contexts?limit=1000');
  expect(res.status).toBe(200);
  return (res.json as { content: string }[]).map((c) => c.content);
}

let server: Server;
beforeAll(async () => {
  server = await start({});
});
afterAll(async () => {
  await server.app.close();
});
beforeEach(() => {
  server.time.advance(11 * 60_000);
});

describe('signed requests that must work', () => {
  it('accepts a signed JSON POST and records valid_signature', async () => {
    const body = JSON.stringify({ type: 'fact', content: 'signed create works' });
    const res = await signedSend(server, 'POST', '/contexts', { body });
    expect(res.status, res.text).toBe(201);
    expect(await outcomesFor(server, res.headers.get('x-request-id'))).toEqual(['valid_signature']);
  });

  it('accepts a signed non-ASCII JSON body sent as application/json; charset=UTF-8', async () => {
    const body = JSON.stringify({ type: 'fact', content: 'signé, 日本語 😀' });
    const res = await signedSend(server, 'POST', '/contexts', {
      body,
      headers: { 'content-type': 'application/json; charset=UTF-8' },
    });
    expect(res.status, res.text).toBe(201);
    expect(res.json.content).toBe('signé, 日本語 😀');
  });

  it('accepts signed PUT and DELETE, and an empty-body DELETE', async () => {
    const created = await signedSend(server, 'POST', '/contexts', {
      body: JSON.stringify({ type: 'goal', content: 'to be changed' }),
    });
    expect(created.status).toBe(201);
    const id = created.json.id as string;
    const updated = await signedSend(server, 'PUT', `/contexts/${id}`, {
      body: JSON.stringify({ content: 'changed by a signed PUT' }),
    });
    expect(updated.status, updated.text).toBe(200);
    expect(updated.json.content).toBe('changed by a signed PUT');
    const deleted = await signedSend(server, 'DELETE', `/contexts/${id}`);
    expect(deleted.status).toBe(204);
  });

  it('accepts a signed multipart import (the exact multipart bytes are signed)', async () => {
    const items = [{ type: 'fact', content: 'imported through a signed multipart upload', tags: ['signed'] }];
    const { body, headers } = multipartFile('file', 'export.json', JSON.stringify(items), 'application/json');
    const path = '/contexts/import?replace_existing=false';
    const res = await send(server, 'POST', path, {
      body,
      headers: { ...headers, ...(await sign(server, 'POST', path, body)) },
    });
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({ imported: 1, skipped: 0 });
    expect(await contentsOf(server)).toContain('imported through a signed multipart upload');
  });

  it('does not sign GET requests', async () => {
    const res = await send(server, 'GET', '/contexts');
    expect(res.status).toBe(200);
    expect(await outcomesFor(server, res.headers.get('x-request-id'))).toEqual([]);
    expect((await send(server, 'GET', '/stats')).status).toBe(200);
    expect((await send(server, 'GET', '/security/events')).status).toBe(200);
  });

  it('treats POST with X-HTTP-Method-Override: DELETE as a POST', async () => {
    const body = JSON.stringify({ type: 'fact', content: 'method override ignored' });
    const res = await signedSend(server, 'POST', '/contexts', {
      body,
      headers: { 'x-http-method-override': 'DELETE' },
    });
    expect(res.status).toBe(201);
  });
});

describe('what the signature covers', () => {
  it('signs the path with its query: changing ?replace_existing breaks it and replaces nothing', async () => {
    const keep = await signedSend(server, 'POST', '/contexts', {
      body: JSON.stringify({ type: 'fact', content: 'must survive a tampered import' }),
    });
    expect(keep.status).toBe(201);
    const items = [{ type: 'fact', content: 'tampered import item' }];
    const { body, headers } = multipartFile('file', 'export.json', JSON.stringify(items), 'application/json');
    const signed = await sign(server, 'POST', '/contexts/import?replace_existing=false', body);
    for (const path of [
      '/contexts/import?replace_existing=true',
      '/contexts/import',
      '/contexts/import?replace_existing=false&x=1',
    ]) {
      const res = await send(server, 'POST', path, { body, headers: { ...headers, ...signed } });
      expect(res.status, path).toBe(401);
      expect(res.json.message).toBe('Invalid request signature');
    }
    // A signature made without the query does not cover a request with one.
    const noQuery = await sign(server, 'POST', '/contexts/import', body);
    const res = await send(server, 'POST', '/contexts/import?replace_existing=true', {
      body,
      headers: { ...headers, ...noQuery },
    });
    expect(res.status).toBe(401);
    const contents = await contentsOf(server);
    expect(contents).toContain('must survive a tampered import');
    expect(contents).not.toContain('tampered import item');
  });

  it('signs the raw path: a trailing slash, other case or percent-encoding does not verify', async () => {
    const created = await signedSend(server, 'POST', '/contexts', {
      body: JSON.stringify({ type: 'fact', content: 'path variants' }),
    });
    const id = created.json.id as string;
    const signed = await sign(server, 'DELETE', `/contexts/${id}`);
    for (const path of [
      `/contexts/${id}/`,
      `/contexts/${id.toUpperCase()}`,
      `/contexts/${encodeURIComponent(id).replace(/-/g, '%2D')}`,
      `/contexts/${id}?x=1`,
    ]) {
      const res = await send(server, 'DELETE', path, { headers: signed });
      expect([401, 404], path).toContain(res.status);
    }
    expect((await send(server, 'GET', `/contexts/${id}`)).status).toBe(200);
  });

  it('hashes the raw body: a re-serialized body (keys reordered, whitespace) is refused and writes nothing', async () => {
    const signedBody = '{"type":"fact","content":"reserialized body","tags":["a"]}';
    const signed = await sign(server, 'POST', '/contexts', signedBody);
    for (const body of [
      '{"content":"reserialized body","type":"fact","tags":["a"]}',
      '{"type": "fact", "content": "reserialized body", "tags": ["a"]}',
      `${signedBody}\n`,
      signedBody.replace('"a"', '"b"'),
    ]) {
      const res = await send(server, 'POST', '/contexts', { body, headers: signed });
      expect(res.status).toBe(401);
      expect(await outcomesFor(server, res.headers.get('x-request-id'))).toEqual(['invalid_signature']);
    }
    expect(await contentsOf(server)).not.toContain('reserialized body');
  });

  it('binds the method: a POST signature does not verify a PUT', async () => {
    const body = JSON.stringify({ content: 'x' });
    const signed = await sign(server, 'POST', '/contexts/00000000-0000-4000-8000-000000000000', body);
    const res = await send(server, 'PUT', '/contexts/00000000-0000-4000-8000-000000000000', { body, headers: signed });
    expect(res.status).toBe(401);
  });

  it('a gzip-encoded signed body is not a 5xx', async () => {
    const body = gzipSync(Buffer.from(JSON.stringify({ type: 'fact', content: 'gzipped' })));
    const res = await send(server, 'POST', '/contexts', {
      body,
      headers: {
        'content-type': 'application/json',
        'content-encoding': 'gzip',
        ...(await sign(server, 'POST', '/contexts', body)),
      },
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });
});

describe('the time window (both directions)', () => {
  it.each([0, -1, -MAX_AGE, 1, MAX_AGE])('accepts a timestamp %i s from the server clock', async (offset) => {
    const body = JSON.stringify({ type: 'fact', content: `window ${offset}` });
    const res = await send(server, 'POST', '/contexts', {
      body,
      headers: await sign(server, 'POST', '/contexts', body, offset),
    });
    expect(res.status).toBe(201);
  });

  it.each([-MAX_AGE - 1, MAX_AGE + 1, -3600, 3600, -30 * 86_400])(
    'refuses a timestamp %i s from the server clock',
    async (offset) => {
      const body = JSON.stringify({ type: 'fact', content: `window ${offset}` });
      const res = await send(server, 'POST', '/contexts', {
        body,
        headers: await sign(server, 'POST', '/contexts', body, offset),
      });
      expect(res.status).toBe(401);
      expect(res.json.message).toBe('Request signature timestamp is invalid or expired');
      expect(await outcomesFor(server, res.headers.get('x-request-id'))).toEqual(['invalid_timestamp']);
    },
  );

  it('a request signed now expires when the clock moves past max age', async () => {
    const body = JSON.stringify({ type: 'fact', content: 'expires later' });
    const signed = await sign(server, 'POST', '/contexts', body);
    server.time.advance((MAX_AGE + 1) * 1000);
    const res = await send(server, 'POST', '/contexts', { body, headers: signed });
    expect(res.status).toBe(401);
    expect(await outcomesFor(server, res.headers.get('x-request-id'))).toEqual(['invalid_timestamp']);
  });
});

describe('malformed and missing headers: 401, never 500', () => {
  const body = JSON.stringify({ type: 'fact', content: 'malformed header probe' });

  async function withHeaders(ts: string | undefined, sig: string | undefined) {
    const headers: Record<string, string> = {};
    if (ts !== undefined) {
      headers['x-request-timestamp'] = ts;
    }
    if (sig !== undefined) {
      headers['x-request-signature'] = sig;
    }
    return send(server, 'POST', '/contexts', { body, headers });
  }

  it('refuses missing headers with missing_headers', async () => {
    const good = await sign(server, 'POST', '/contexts', body);
    for (const [ts, sig] of [
      [undefined, undefined],
      [good['X-Request-Timestamp'], undefined],
      [undefined, good['X-Request-Signature']],
      ['', good['X-Request-Signature']],
      [good['X-Request-Timestamp'], ''],
    ] as const) {
      const res = await withHeaders(ts, sig);
      expect(res.status).toBe(401);
      expect(res.json.message).toBe('Missing request signature headers');
      expect(await outcomesFor(server, res.headers.get('x-request-id'))).toEqual(['missing_headers']);
    }
    expect(await contentsOf(server)).not.toContain('malformed header probe');
  });

  it.each([
    '1e9',
    '+1700000000',
    '-5',
    '0x6553F100',
    '1700000000.5',
    '1700000000.0',
    '1700000000000',
    'NaN',
    'Infinity',
    Buffer.from('١٧٠٠', 'utf8').toString('latin1'),
  ])('refuses timestamp %j (signed over exactly that string) as invalid_timestamp', async (ts) => {
    const sig = await signRequest({ secret: SECRET, method: 'POST', pathWithQuery: '/contexts', timestamp: ts, body });
    const res = await withHeaders(ts, sig);
    expect(res.status).toBe(401);
    expect(await outcomesFor(server, res.headers.get('x-request-id'))).toEqual(['invalid_timestamp']);
  });

  it('refuses a decimal or leading-zero rendering of the current time', async () => {
    const now = Math.floor(server.time.ms() / 1000);
    for (const ts of [`${now}.0`, `0${now}`.padStart(13, '0'), `${now}000`]) {
      const sig = await signRequest({
        secret: SECRET,
        method: 'POST',
        pathWithQuery: '/contexts',
        timestamp: ts,
        body,
      });
      const res = await withHeaders(ts, sig);
      expect(res.status, ts).toBe(401);
    }
  });

  it('refuses malformed signatures as invalid_signature', async () => {
    const good = await sign(server, 'POST', '/contexts', body);
    const ts = good['X-Request-Timestamp'];
    const sig = good['X-Request-Signature']!;
    for (const bad of [
      sig.slice(0, 63),
      `${sig}0`,
      `${sig.slice(0, 63)}z`,
      `sha256=${sig}`,
      Buffer.from(sig, 'hex').toString('base64'),
      '0'.repeat(64),
      `${sig}, ${sig}`,
      'x'.repeat(5000),
    ]) {
      const res = await withHeaders(ts, bad);
      expect(res.status, bad.slice(0, 20)).toBe(401);
      expect(await outcomesFor(server, res.headers.get('x-request-id'))).toEqual(['invalid_signature']);
    }
    // Non-ASCII bytes in the header.
    const raw = await rawCall(
      server,
      'POST',
      '/contexts',
      {
        'x-api-key': API_KEY,
        'content-type': 'application/json',
        'x-request-timestamp': ts!,
        'x-request-signature': Buffer.from(`${sig.slice(0, 60)}é🔑`, 'utf8').toString('latin1'),
      },
      body,
    );
    expect(raw.status).toBe(401);
  });

  it('refuses repeated signature or timestamp headers, even when each copy is valid', async () => {
    const good = await sign(server, 'POST', '/contexts', body);
    const base = { 'x-api-key': API_KEY, 'content-type': 'application/json' };
    const twiceSig = await rawCall(
      server,
      'POST',
      '/contexts',
      {
        ...base,
        'x-request-timestamp': good['X-Request-Timestamp']!,
        'x-request-signature': [good['X-Request-Signature']!, good['X-Request-Signature']!],
      },
      body,
    );
    expect(twiceSig.status).toBe(401);
    const twiceTs = await rawCall(
      server,
      'POST',
      '/contexts',
      {
        ...base,
        'x-request-timestamp': [good['X-Request-Timestamp']!, good['X-Request-Timestamp']!],
        'x-request-signature': good['X-Request-Signature']!,
      },
      body,
    );
    expect(twiceTs.status).toBe(401);
    expect(await contentsOf(server)).not.toContain('malformed header probe');
  });

  it('upper-case hex is accepted consistently (the decoded bytes are compared)', async () => {
    const b = JSON.stringify({ type: 'fact', content: 'upper-case hex signature' });
    const good = await sign(server, 'POST', '/contexts', b);
    const res = await send(server, 'POST', '/contexts', {
      body: b,
      headers: { ...good, 'X-Request-Signature': good['X-Request-Signature']!.toUpperCase() },
    });
    expect(res.status).toBe(201);
  });
});

describe('replay protection', () => {
  it('refuses a signature seen before, with event outcome replayed', async () => {
    const body = JSON.stringify({ type: 'fact', content: 'sent once only' });
    const signed = await sign(server, 'POST', '/contexts', body);
    const first = await send(server, 'POST', '/contexts', { body, headers: signed });
    expect(first.status).toBe(201);
    server.time.advance(5_000);
    const second = await send(server, 'POST', '/contexts', { body, headers: signed });
    expect(second.status).toBe(401);
    expect(await outcomesFor(server, second.headers.get('x-request-id'))).toEqual(['replayed']);
    // Upper-casing the hex does not make it a new signature.
    const third = await send(server, 'POST', '/contexts', {
      body,
      headers: { ...signed, 'X-Request-Signature': signed['X-Request-Signature']!.toUpperCase() },
    });
    expect(third.status).toBe(401);
    expect((await contentsOf(server)).filter((c) => c === 'sent once only')).toHaveLength(1);
    // Still refused at the very edge of the window, and once expired, refused as a timestamp.
    server.time.advance((MAX_AGE - 5) * 1000);
    expect((await send(server, 'POST', '/contexts', { body, headers: signed })).status).toBe(401);
    server.time.advance(2_000);
    const late = await send(server, 'POST', '/contexts', { body, headers: signed });
    expect(late.status).toBe(401);
    expect(await outcomesFor(server, late.headers.get('x-request-id'))).toEqual(['invalid_timestamp']);
  });

  it('does not count replays towards the failed-authentication lockout', async () => {
    const strict = await start({ CONTEXTPILOT_AUTH_FAILURE_LIMIT: '5' });
    try {
      const body = JSON.stringify({ type: 'fact', content: 'replayed many times' });
      const signed = await sign(strict, 'POST', '/contexts', body);
      expect((await send(strict, 'POST', '/contexts', { body, headers: signed })).status).toBe(201);
      // More replays than the lockout allows failures.
      for (let i = 0; i < 8; i++) {
        const replay = await send(strict, 'POST', '/contexts', { body, headers: signed });
        expect(replay.status).toBe(401);
        expect(replay.json).toMatchObject({ details: { reason: 'signature_replayed' } });
      }
      const fresh = JSON.stringify({ type: 'fact', content: 'after many replays' });
      const after = await send(strict, 'POST', '/contexts', {
        body: fresh,
        headers: await sign(strict, 'POST', '/contexts', fresh),
      });
      expect(after.status).toBe(201);
      // A wrong signature still counts: five of them lock the client out.
      for (let i = 0; i < 5; i++) {
        const bad = await send(strict, 'POST', '/contexts', {
          body: fresh,
          headers: { ...signed, 'X-Request-Signature': '0'.repeat(64) },
        });
        expect(bad.status).toBe(401);
      }
      expect((await send(strict, 'GET', '/contexts')).status).toBe(429);
    } finally {
      await strict.app.close();
    }
  });

  it('refuses a replay after a restart on the same database file, and stores nothing twice', async () => {
    const env = { CONTEXTPILOT_DATABASE_URL: `sqlite:${join(tempDir(), 'restarted.db')}` };
    const content = 'created once, before a restart';
    const body = JSON.stringify({ type: 'fact', content });
    const before = await start(env);
    const signed = await sign(before, 'POST', '/contexts', body);
    try {
      expect((await send(before, 'POST', '/contexts', { body, headers: signed })).status).toBe(201);
    } finally {
      await before.app.close();
    }
    const after = await start(env);
    try {
      after.time.advance(60_000);
      const replay = await send(after, 'POST', '/contexts', { body, headers: signed });
      expect(replay.status).toBe(401);
      expect(replay.json.message).toBe('Request signature has already been used');
      expect(await outcomesFor(after, replay.headers.get('x-request-id'))).toEqual(['replayed']);
      expect((await contentsOf(after)).filter((c) => c === content)).toHaveLength(1);
    } finally {
      await after.app.close();
    }
  });

  it('a request refused for another reason does not burn its signature', async () => {
    const body = JSON.stringify({ type: 'fact', content: 'first try had a bad key' });
    const signed = await sign(server, 'POST', '/contexts', body);
    const wrongKey = await send(server, 'POST', '/contexts', { body, headers: signed, key: 'wrong-key' });
    expect(wrongKey.status).toBe(401);
    const retry = await send(server, 'POST', '/contexts', { body, headers: signed });
    expect(retry.status).toBe(201);
  });
});

describe('misconfiguration', () => {
  it('answers 503 "Request signing is misconfigured" when signing is on without a secret', async () => {
    const broken = await start({ CONTEXTPILOT_REQUEST_SIGNING_SECRET: '' });
    try {
      const body = JSON.stringify({ type: 'fact', content: 'no secret' });
      const res = await send(broken, 'POST', '/contexts', {
        body,
        headers: await sign(broken, 'POST', '/contexts', body),
      });
      expect(res.status).toBe(503);
      expect(res.json).toMatchObject({
        message: 'Request signing is misconfigured',
        detail: 'Request signing is misconfigured',
      });
      expect(await outcomesFor(broken, res.headers.get('x-request-id'))).toEqual(['misconfigured']);
      // GET is unaffected.
      expect((await send(broken, 'GET', '/contexts')).status).toBe(200);
      // Authentication still comes first.
      expect((await send(broken, 'POST', '/contexts', { body, key: null })).status).toBe(401);
    } finally {
      await broken.app.close();
    }
  });

  it('signs only the configured methods', async () => {
    const postOnly = await start({ CONTEXTPILOT_REQUEST_SIGNING_METHODS: '["post"]' });
    try {
      const created = await send(postOnly, 'POST', '/contexts', {
        body: JSON.stringify({ type: 'fact', content: 'x' }),
      });
      expect(created.status).toBe(401);
      const ok = await signedSend(postOnly, 'POST', '/contexts', {
        body: JSON.stringify({ type: 'fact', content: 'y' }),
      });
      expect(ok.status).toBe(201);
      expect((await send(postOnly, 'DELETE', `/contexts/${ok.json.id as string}`)).status).toBe(204);
    } finally {
      await postOnly.app.close();
    }
  });
});
