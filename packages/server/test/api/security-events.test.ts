import { createHash } from 'node:crypto';

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { signatureHeaders } from '../../../client/src/signing.js';
import type { SecurityEvent } from '../../src/storage/store.js';
import { type HttpTestApp, startHttpTestApp } from '../helpers.js';
import { type CallOptions, type CallResult, signedCall } from './security-helpers.js';

/** The persisted security audit log over real HTTP. */

const API_KEY = 'EVT7-events-test-api-key-a1b2c3d4e5';
const WRONG_KEY = 'WRNG-events-wrong-key-f6e5d4c3b2';
const SECRET = 'events-test-secret-0123456789abcdef0123';
const fingerprint = (key: string) => createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 8);

type Server = HttpTestApp;

function start(env: Record<string, string> = {}): Promise<Server> {
  return startHttpTestApp(
    {
      CONTEXTPILOT_ENABLE_AUTH: 'true',
      CONTEXTPILOT_API_KEY: API_KEY,
      CONTEXTPILOT_ENABLE_REQUEST_SIGNING: 'true',
      CONTEXTPILOT_REQUEST_SIGNING_SECRET: SECRET,
      CONTEXTPILOT_AUTH_FAILURE_LIMIT: '3',
      CONTEXTPILOT_AUTH_FAILURE_WINDOW_SECONDS: '600',
      // A row per request, as v1 wrote them: most tests look an event up by its request id. Summaries of successful
      // reads (the default) have their own tests below.
      CONTEXTPILOT_SECURITY_EVENT_AGGREGATE_SECONDS: '0',
      ...env,
    },
    Date.UTC(2026, 6, 8, 9, 10, 11, 0),
  );
}

/** Sends a request with API_KEY (unless `key` is given) and signs non-GET requests. */
function call(server: Server, method: string, path: string, options: CallOptions = {}) {
  return signedCall({ secret: SECRET, key: API_KEY, now: server.time.ms }, server.base, method, path, options);
}

/** The events of one response's request, read back through the API. */
async function eventsOf(server: Server, res: CallResult): Promise<Record<string, unknown>[]> {
  const id = res.headers.get('x-request-id');
  expect(id).toMatch(/^[0-9a-f-]{36}$/);
  const list = await call(server, 'GET', `/security/events?request_id=${id}&limit=200`);
  expect(list.status).toBe(200);
  return list.json.events as Record<string, unknown>[];
}

function expectEvent(
  events: Record<string, unknown>[],
  res: CallResult,
  expected: { event: string; outcome: string; method: string; path: string; actor: string | null },
) {
  const found = events.find((e) => e.event === expected.event && e.outcome === expected.outcome);
  expect(found, `${expected.event}/${expected.outcome} in ${JSON.stringify(events)}`).toBeDefined();
  expect(found).toMatchObject({
    request_id: res.headers.get('x-request-id'),
    method: expected.method,
    path: expected.path,
    client_ip: '127.0.0.1',
    actor: expected.actor,
  });
  expect(found!.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  expect(found!.id).toEqual(expect.any(String));
  expect(found!.details).toEqual(expect.any(Object));
  if (found!.actor !== null) {
    expect(found!.actor).toMatch(/^api_key:[0-9a-f]{8}$/);
  }
  return found!;
}

/** No part of a key (its first 8 characters, or the whole) ever appears in an event. */
function expectNoKeyMaterial(events: readonly (SecurityEvent | Record<string, unknown>)[], keys: string[]) {
  const dump = JSON.stringify(events);
  for (const key of keys) {
    expect(dump).not.toContain(key);
    expect(dump).not.toContain(key.slice(0, 8));
  }
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

describe('every outcome is persisted with its request metadata', () => {
  it('api_key_auth: missing_key, invalid_key, valid_key (path without the query)', async () => {
    const missing = await call(server, 'GET', '/contexts?search=secret-query&limit=5', { key: null });
    expect(missing.status).toBe(401);
    expectEvent(await eventsOf(server, missing), missing, {
      event: 'api_key_auth',
      outcome: 'missing_key',
      method: 'GET',
      path: '/contexts',
      actor: null,
    });

    const invalid = await call(server, 'GET', '/stats?x=1', { key: WRONG_KEY });
    expect(invalid.status).toBe(401);
    expectEvent(await eventsOf(server, invalid), invalid, {
      event: 'api_key_auth',
      outcome: 'invalid_key',
      method: 'GET',
      path: '/stats',
      actor: `api_key:${fingerprint(WRONG_KEY)}`,
    });

    const valid = await call(server, 'GET', '/contexts?limit=1');
    expect(valid.status).toBe(200);
    expectEvent(await eventsOf(server, valid), valid, {
      event: 'api_key_auth',
      outcome: 'valid_key',
      method: 'GET',
      path: '/contexts',
      actor: `api_key:${fingerprint(API_KEY)}`,
    });
  });

  it('api_key_auth: rate_limited (failed-auth lockout)', async () => {
    for (let i = 0; i < 3; i++) {
      expect((await call(server, 'GET', '/contexts', { key: WRONG_KEY })).status).toBe(401);
    }
    const locked = await call(server, 'GET', '/contexts');
    expect(locked.status).toBe(429);
    const [event] = await server.app.parts.audit.list({
      limit: 5,
      offset: 0,
      requestId: locked.headers.get('x-request-id')!,
    });
    expect(event).toMatchObject({
      event: 'api_key_auth',
      outcome: 'rate_limited',
      method: 'GET',
      path: '/contexts',
      clientIp: '127.0.0.1',
    });
  });

  it('request_signing: valid_signature, missing_headers, invalid_timestamp, invalid_signature, replayed', async () => {
    const actor = `api_key:${fingerprint(API_KEY)}`;
    const body = JSON.stringify({ type: 'fact', content: 'signed event probe' });
    const signed = await signatureHeaders({
      secret: SECRET,
      method: 'POST',
      pathWithQuery: '/contexts',
      body,
      now: () => server.time.ms(),
    });

    const ok = await call(server, 'POST', '/contexts', { body, sign: false, headers: signed });
    expect(ok.status).toBe(201);
    expectEvent(await eventsOf(server, ok), ok, {
      event: 'request_signing',
      outcome: 'valid_signature',
      method: 'POST',
      path: '/contexts',
      actor,
    });

    const replay = await call(server, 'POST', '/contexts', { body, sign: false, headers: signed });
    expect(replay.status).toBe(401);
    expectEvent(await eventsOf(server, replay), replay, {
      event: 'request_signing',
      outcome: 'replayed',
      method: 'POST',
      path: '/contexts',
      actor,
    });

    const missing = await call(server, 'POST', '/contexts', { body, sign: false });
    expect(missing.status).toBe(401);
    expectEvent(await eventsOf(server, missing), missing, {
      event: 'request_signing',
      outcome: 'missing_headers',
      method: 'POST',
      path: '/contexts',
      actor,
    });

    // A fresh window for the failed-auth counter (limit 3).
    server.time.advance(11 * 60_000);
    const stale = await call(server, 'POST', '/contexts', {
      body,
      sign: false,
      headers: { ...signed, 'X-Request-Timestamp': '1000' },
    });
    expect(stale.status).toBe(401);
    expectEvent(await eventsOf(server, stale), stale, {
      event: 'request_signing',
      outcome: 'invalid_timestamp',
      method: 'POST',
      path: '/contexts',
      actor,
    });

    const now = String(Math.floor(server.time.ms() / 1000));
    const bad = await call(server, 'DELETE', '/contexts/00000000-0000-4000-8000-000000000000?force=1', {
      sign: false,
      headers: { 'X-Request-Timestamp': now, 'X-Request-Signature': 'ab'.repeat(32) },
    });
    expect(bad.status).toBe(401);
    const badEvent = expectEvent(await eventsOf(server, bad), bad, {
      event: 'request_signing',
      outcome: 'invalid_signature',
      method: 'DELETE',
      path: '/contexts/00000000-0000-4000-8000-000000000000',
      actor,
    });
    expect(JSON.stringify(badEvent)).not.toContain('ab'.repeat(32));
  });

  it('request_signing: misconfigured', async () => {
    const broken = await start({ CONTEXTPILOT_REQUEST_SIGNING_SECRET: '' });
    try {
      const res = await call(broken, 'PUT', '/contexts/00000000-0000-4000-8000-000000000000', {
        body: '{"content":"x"}',
        sign: false,
      });
      expect(res.status).toBe(503);
      expectEvent(await eventsOf(broken, res), res, {
        event: 'request_signing',
        outcome: 'misconfigured',
        method: 'PUT',
        path: '/contexts/00000000-0000-4000-8000-000000000000',
        actor: null,
      });
    } finally {
      await broken.app.close();
    }
  });

  it('api_key_rotation: success and auth_disabled', async () => {
    const own = await start();
    try {
      const res = await call(own, 'POST', '/security/api-key/rotate');
      expect(res.status).toBe(200);
      const newKey = res.json.api_key as string;
      const list = await call(own, 'GET', `/security/events?request_id=${res.headers.get('x-request-id')}`, {
        key: newKey,
      });
      const event = expectEvent(list.json.events, res, {
        event: 'api_key_rotation',
        outcome: 'success',
        method: 'POST',
        path: '/security/api-key/rotate',
        actor: `api_key:${fingerprint(API_KEY)}`,
      });
      expect(event.details).toMatchObject({ rotated_at: res.json.rotated_at });
      expectNoKeyMaterial(list.json.events, [newKey, API_KEY]);
    } finally {
      await own.app.close();
    }
    const open = await start({ CONTEXTPILOT_ENABLE_AUTH: 'false' });
    try {
      const res = await call(open, 'POST', '/security/api-key/rotate', { key: null });
      expect(res.status).toBe(400);
      expectEvent(await eventsOf(open, res), res, {
        event: 'api_key_rotation',
        outcome: 'auth_disabled',
        method: 'POST',
        path: '/security/api-key/rotate',
        actor: null,
      });
    } finally {
      await open.app.close();
    }
  });

  it('the event list request itself is audited before the query runs', async () => {
    const res = await call(server, 'GET', '/security/events?limit=5');
    expect(res.status).toBe(200);
    expect(res.json.events[0]).toMatchObject({
      event: 'api_key_auth',
      outcome: 'valid_key',
      request_id: res.headers.get('x-request-id'),
    });
  });

  it('no event ever carries a key or part of one', async () => {
    const all = await server.app.parts.audit.list({ limit: 100_000, offset: 0 });
    expect(all.length).toBeGreaterThan(10);
    expectNoKeyMaterial(all, [API_KEY, WRONG_KEY, SECRET]);
  });
});

describe('GET /security/events', () => {
  it('clamps limit and offset and echoes the clamped values', async () => {
    for (const [query, limit, offset] of [
      ['limit=500', 200, 0],
      ['limit=0', 1, 0],
      ['limit=-3', 1, 0],
      ['offset=-7', 50, 0],
      ['limit=2&offset=1', 2, 1],
      ['', 50, 0],
    ] as const) {
      const res = await call(server, 'GET', `/security/events?${query}`);
      expect(res.status, query).toBe(200);
      expect(res.json.limit, query).toBe(limit);
      expect(res.json.offset, query).toBe(offset);
      expect(res.json.count).toBe(res.json.events.length);
      expect(res.json.events.length).toBeLessThanOrEqual(limit);
    }
  });

  it('refuses non-integer paging with 422, never 500', async () => {
    for (const query of ['limit=abc', 'limit=1.5', 'offset=1e3', 'limit=99999999999', "limit=1'--"]) {
      const res = await call(server, 'GET', `/security/events?${query}`);
      expect(res.status, query).toBe(422);
      expect(res.json.error_code).toBe('VALIDATION_ERROR');
    }
  });

  it('filters by event, outcome and request_id, newest first', async () => {
    const marker = await call(server, 'GET', '/contexts', { key: WRONG_KEY });
    server.time.advance(1000);
    await call(server, 'GET', '/contexts', { key: null });
    server.time.advance(1000);

    const byRequest = await call(server, 'GET', `/security/events?request_id=${marker.headers.get('x-request-id')}`);
    expect(byRequest.json.count).toBe(1);
    expect(byRequest.json.events[0]).toMatchObject({ event: 'api_key_auth', outcome: 'invalid_key' });

    const invalid = await call(server, 'GET', '/security/events?event=api_key_auth&outcome=invalid_key&limit=200');
    expect(invalid.json.count).toBeGreaterThan(0);
    for (const e of invalid.json.events) {
      expect(e).toMatchObject({ event: 'api_key_auth', outcome: 'invalid_key' });
    }
    const signing = await call(server, 'GET', '/security/events?event=request_signing&limit=200');
    for (const e of signing.json.events) {
      expect(e.event).toBe('request_signing');
    }
    const none = await call(server, 'GET', `/security/events?outcome=${encodeURIComponent("' OR 1=1--")}`);
    expect(none.status).toBe(200);
    expect(none.json.count).toBe(0);

    const all = await call(server, 'GET', '/security/events?limit=200');
    const times = (all.json.events as { created_at: string }[]).map((e) => e.created_at);
    expect([...times].sort().reverse()).toEqual(times);
    expect(all.json.events[0].request_id).toBe(all.headers.get('x-request-id'));

    // Paging: offset skips exactly.
    const page = await call(server, 'GET', '/security/events?limit=3&offset=2');
    const full = await call(server, 'GET', '/security/events?limit=6');
    // The second list call adds its own valid_key event at the top.
    const ids = (events: unknown) => (events as { id: string }[]).map((e) => e.id);
    expect(ids(page.json.events)).toEqual(ids(full.json.events).slice(3, 6));
  });

  it('needs the key', async () => {
    expect((await call(server, 'GET', '/security/events', { key: null })).status).toBe(401);
    expect((await call(server, 'GET', '/security/events', { key: WRONG_KEY })).status).toBe(401);
  });
});

describe('metrics', () => {
  it('counts security events by event and outcome', async () => {
    await call(server, 'GET', '/contexts', { key: WRONG_KEY });
    const metrics = await call(server, 'GET', '/metrics');
    expect(metrics.status).toBe(200);
    const line = metrics.text
      .split('\n')
      .find((l) => l.startsWith('contextpilot_security_events_total{event="api_key_auth",outcome="invalid_key"}'));
    expect(line).toBeDefined();
    expect(Number(line!.split(' ').pop())).toBeGreaterThanOrEqual(1);
    expect(metrics.text).toMatch(/contextpilot_security_events_total\{event="api_key_auth",outcome="valid_key"\} \d+/);
    expect(metrics.text).not.toContain(WRONG_KEY);
    expect(metrics.text).not.toContain(fingerprint(WRONG_KEY));
  });

  it('keeps counting across scrapes: two more refusals add exactly two', async () => {
    const invalidCount = async () => {
      const text = (await call(server, 'GET', '/metrics')).text;
      const line = text
        .split('\n')
        .find((l) => l.startsWith('contextpilot_security_events_total{event="api_key_auth",outcome="invalid_key"}'));
      return Number(line?.split(' ').pop());
    };
    await call(server, 'GET', '/contexts', { key: WRONG_KEY });
    const before = await invalidCount();
    expect(before).toBeGreaterThanOrEqual(1);
    expect(await invalidCount()).toBe(before);
    server.time.advance(700_000); // past the failed-authentication window, so both are refused as invalid keys
    await call(server, 'GET', '/contexts', { key: WRONG_KEY });
    await call(server, 'GET', '/stats', { key: WRONG_KEY });
    expect(await invalidCount()).toBe(before + 2);
  });
});

describe('successful reads', () => {
  const idOf = (res: CallResult) => res.headers.get('x-request-id');

  it('are summarized by default: one row per key, client, method and path, naming the first and last request', async () => {
    const own = await start({ CONTEXTPILOT_SECURITY_EVENT_AGGREGATE_SECONDS: '60' });
    try {
      const reads = [];
      let lastReadAt = 0;
      for (let i = 0; i < 5; i++) {
        lastReadAt = own.time.ms();
        reads.push(await call(own, 'GET', '/contexts?limit=1'));
        own.time.advance(1_000);
      }
      const stats = await call(own, 'GET', '/stats');
      const created = await call(own, 'POST', '/contexts', {
        body: JSON.stringify({ type: 'fact', content: 'A write keeps a row of its own.' }),
      });
      expect([...reads, stats].map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
      expect(created.status).toBe(201);
      // Requests to the audit log through an escaped path, refused by validation (so no list closes a summary): the
      // matched route, not the spelling, keeps each in a row of its own.
      const escaped = [];
      for (let i = 0; i < 2; i++) {
        escaped.push(await call(own, 'GET', '/%73ecurity/events?limit=many'));
      }
      expect(escaped.map((r) => r.status)).toEqual([422, 422]);
      own.time.advance(1);

      const list = await call(own, 'GET', '/security/events?event=api_key_auth&outcome=valid_key&limit=100');
      const events = list.json.events as Record<string, unknown>[];
      const contexts = events.filter((e) => e.path === '/contexts' && e.method === 'GET');
      expect(contexts).toHaveLength(1);
      expect(contexts[0]).toMatchObject({
        request_id: idOf(reads[0]!),
        client_ip: '127.0.0.1',
        actor: `api_key:${fingerprint(API_KEY)}`,
        details: {
          requests: 5,
          last_request_id: idOf(reads[4]!),
          last_at: new Date(lastReadAt).toISOString(),
        },
      });
      expect(events.filter((e) => e.path === '/stats')).toMatchObject([{ request_id: idOf(stats), details: {} }]);
      expect(events.filter((e) => e.method === 'POST')).toMatchObject([
        { request_id: idOf(created), path: '/contexts' },
      ]);
      const escapedRows = events.filter((e) => e.path === '/%73ecurity/events');
      expect(escapedRows.map((e) => e.request_id).sort()).toEqual(escaped.map(idOf).sort());
      expect(escapedRows.map((e) => e.details)).toEqual([{}, {}]);
      // Reading the audit log is never folded: this very request has its own row.
      expect(events[0]).toMatchObject({ request_id: idOf(list), path: '/security/events' });
    } finally {
      await own.app.close();
    }
  });

  it('each get a row with CONTEXTPILOT_SECURITY_EVENT_AGGREGATE_SECONDS=0', async () => {
    const own = await start();
    try {
      const reads = [];
      for (let i = 0; i < 3; i++) {
        reads.push(await call(own, 'GET', '/contexts?limit=1'));
      }
      const list = await call(own, 'GET', '/security/events?event=api_key_auth&outcome=valid_key&limit=100');
      const rows = (list.json.events as Record<string, unknown>[]).filter((e) => e.path === '/contexts');
      expect(rows.map((e) => e.request_id).sort()).toEqual(reads.map(idOf).sort());
      expect(rows.map((e) => e.details)).toEqual([{}, {}, {}]);
    } finally {
      await own.app.close();
    }
  });
});

describe('retention', () => {
  it('prune() removes only events older than the retention period', async () => {
    const short = await start({ CONTEXTPILOT_SECURITY_EVENT_RETENTION_DAYS: '1' });
    try {
      const old = await call(short, 'GET', '/contexts', { key: WRONG_KEY });
      const oldOk = await call(short, 'GET', '/contexts');
      await short.app.parts.audit.flush();
      short.time.advance(2 * 86_400_000);
      const recent = await call(short, 'GET', '/contexts', { key: WRONG_KEY });
      short.time.advance(12 * 3_600_000); // recent is now 12 h old: kept
      await short.app.parts.audit.flush();
      const before = await short.app.parts.audit.list({ limit: 1000, offset: 0 });
      const removed = await short.app.parts.audit.prune();
      expect(removed).toBe(2);
      const after = await short.app.parts.audit.list({ limit: 1000, offset: 0 });
      expect(after).toHaveLength(before.length - 2);
      const ids = after.map((e) => e.requestId);
      expect(ids).not.toContain(old.headers.get('x-request-id'));
      expect(ids).not.toContain(oldOk.headers.get('x-request-id'));
      expect(ids).toContain(recent.headers.get('x-request-id'));
      // Pruning again removes nothing.
      expect(await short.app.parts.audit.prune()).toBe(0);
    } finally {
      await short.app.close();
    }
  });
});
