import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { ApiKeyCreated, ApiKeyInfo, ApiKeyList } from '@contextpilot/contract';

import { toTimestamp } from '../../src/domain/types.js';
import type { HttpTestApp } from '../helpers.js';
import { startHttpTestApp } from '../helpers.js';
import { auditEventsOf } from './security-helpers.js';

/** `/security/keys`: creating, listing, revoking and rotating stored keys, and who may do what to whose key. */
const V1_KEY = 'key-admin-test-v1-key-0123456789abcdef012345';
const START = Date.UTC(2026, 11, 7, 12, 0, 0);
let server: HttpTestApp;

async function call(key: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${server.base}${path}`, {
    method,
    headers: { 'x-api-key': key, ...(body !== undefined && { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    json: (text === '' ? null : JSON.parse(text)) as Record<string, unknown>,
    requestId: response.headers.get('x-request-id'),
    cacheControl: response.headers.get('cache-control'),
  };
}

const create = async (key: string, body: Record<string, unknown>) => {
  const res = await call(key, 'POST', '/security/keys', body);
  return { ...res, made: res.json as unknown as ApiKeyCreated };
};
const keyCount = async () => ((await call(V1_KEY, 'GET', '/security/keys')).json as unknown as ApiKeyList).keys.length;

beforeAll(async () => {
  server = await startHttpTestApp(
    { CONTEXTPILOT_ENABLE_AUTH: 'true', CONTEXTPILOT_API_KEY: V1_KEY, CONTEXTPILOT_RATE_LIMIT_ENABLED: 'false' },
    START,
  );
});
afterAll(async () => {
  await server.app.close();
});

describe('/security/keys', () => {
  it('creates a key shown once, which then works with exactly its scopes', async () => {
    const { status, made, cacheControl, requestId } = await create(V1_KEY, {
      name: 'assistant',
      scopes: ['contexts:read', 'prompts'],
    });
    expect(status).toBe(201);
    expect(cacheControl).toBe('no-store');
    expect(made).toMatchObject({ name: 'assistant', scopes: ['contexts:read', 'prompts'], revoked_at: null });
    expect(made.key).toMatch(/^cp_[A-Za-z0-9_-]{43}$/);
    expect((await call(made.key, 'GET', '/contexts')).status).toBe(200);
    expect((await call(made.key, 'POST', '/contexts', { type: 'fact', content: 'x' })).status).toBe(403);
    // Listed without the key or its hash.
    const listed = (await call(V1_KEY, 'GET', '/security/keys')).json as unknown as ApiKeyList;
    const entry = listed.keys.find((k) => k.id === made.id) as ApiKeyInfo;
    expect(entry).toMatchObject({ name: 'assistant', person_id: made.person_id });
    expect(JSON.stringify(listed)).not.toContain(made.key);
    const events = await auditEventsOf(server, requestId);
    expect(events.map((e) => `${e.event}/${e.outcome}`)).toContain('api_key_management/created');
  });

  it('lets a key grant only what it holds, and only for its own person (403); nothing is created', async () => {
    const { made: reader } = await create(V1_KEY, { name: 'reader', scopes: ['contexts:read'] });
    const before = await keyCount();
    const escalate = await create(reader.key, { name: 'sneaky', scopes: ['admin'] });
    expect(escalate.status).toBe(403);
    expect(escalate.json).toMatchObject({ message: expect.stringContaining('"admin" scope') });
    expect((await create(reader.key, { name: 'sneaky', scopes: ['contexts:read', 'chat'] })).status).toBe(403);
    const person = await server.app.parts.storage.people.create({
      name: 'Other',
      createdAt: toTimestamp(new Date(START)),
    });
    expect((await create(reader.key, { name: 'theirs', scopes: ['contexts:read'], person_id: person.id })).status).toBe(
      403,
    );
    expect(await keyCount()).toBe(before);
    // What it holds, for itself: allowed.
    const own = await create(reader.key, { name: 'own copy', scopes: ['contexts:read'] });
    expect(own.status).toBe(201);
    expect(own.made.person_id).toBe(reader.person_id);
    // An admin creates keys for anyone.
    const forOther = await create(V1_KEY, { name: 'theirs', scopes: ['chat'], person_id: person.id });
    expect(forOther.made.person_id).toBe(person.id);
    // A non-admin sees its person's keys only; another person's key is "not found".
    const seen = (await call(reader.key, 'GET', '/security/keys')).json as unknown as ApiKeyList;
    expect(new Set(seen.keys.map((k) => k.person_id))).toEqual(new Set([reader.person_id]));
    expect((await call(reader.key, 'DELETE', `/security/keys/${forOther.made.id}`)).status).toBe(404);
    expect((await call(reader.key, 'POST', `/security/keys/${forOther.made.id}/rotate`, {})).status).toBe(404);
    expect((await call(forOther.made.key, 'GET', '/ai/conversations')).status).toBe(200);
  });

  it('refuses bad input with a clear error and writes nothing', async () => {
    const before = await keyCount();
    const cases: Array<[Record<string, unknown>, number, RegExp]> = [
      [{ name: '', scopes: ['chat'] }, 422, /name/i],
      [{ name: 'x', scopes: [] }, 422, /scopes/i],
      [{ name: 'x', scopes: ['root'] }, 422, /scopes/i],
      [{ name: 'x', scopes: ['chat'], allowed_networks: ['10.0.0.0/33', 'example.com'] }, 400, /10\.0\.0\.0\/33/],
      [{ name: 'x', scopes: ['chat'], expires_at: 'tomorrow' }, 400, /RFC 3339/],
      [{ name: 'x', scopes: ['chat'], expires_at: '2020-01-01T00:00:00Z' }, 400, /future/],
      [{ name: 'x', scopes: ['chat'], person_id: 'nobody' }, 404, /Person nobody not found/],
      [{ name: 'x', scopes: ['chat'], extra: true }, 422, /extra|Unrecognized/i],
    ];
    for (const [body, status, message] of cases) {
      const res = await create(V1_KEY, body);
      expect({ body, status: res.status }).toEqual({ body, status });
      expect(String(res.json.message)).toMatch(message);
    }
    expect(await keyCount()).toBe(before);
  });

  it('revokes a key at once (204; a later use is revoked_used)', async () => {
    const { made } = await create(V1_KEY, { name: 'short-lived', scopes: ['contexts:read'] });
    expect((await call(made.key, 'GET', '/contexts')).status).toBe(200);
    expect((await call(made.key, 'DELETE', `/security/keys/${made.id}`)).status).toBe(204);
    const refused = await call(made.key, 'GET', '/contexts');
    expect(refused.status).toBe(401);
    expect((await auditEventsOf(server, refused.requestId)).map((e) => e.outcome)).toEqual(['revoked_used']);
    expect((await call(V1_KEY, 'DELETE', '/security/keys/no-such-key')).status).toBe(404);
  });

  it('rotates a key with a grace period for the previous one', async () => {
    const { made } = await create(V1_KEY, { name: 'rotating', scopes: ['contexts:read'] });
    const rotated = await call(V1_KEY, 'POST', `/security/keys/${made.id}/rotate`, { grace_seconds: 60 });
    expect(rotated.status).toBe(200);
    const next = rotated.json as unknown as ApiKeyCreated;
    expect(next.key).not.toBe(made.key);
    expect(next.previous_valid_until).toBe(toTimestamp(new Date(server.time.ms() + 60_000)));
    expect((await call(next.key, 'GET', '/contexts')).status).toBe(200);
    const old = await call(made.key, 'GET', '/contexts');
    expect(old.status).toBe(200);
    expect((await auditEventsOf(server, old.requestId)).map((e) => e.outcome)).toEqual(['grace_used']);
    server.time.advance(61_000);
    expect((await call(made.key, 'GET', '/contexts')).status).toBe(401);
    expect((await call(V1_KEY, 'POST', `/security/keys/${made.id}/rotate`, { grace_seconds: -1 })).status).toBe(422);
  });
});

describe('/security/keys with authentication off', () => {
  it('refuses to create a key that nothing would check', async () => {
    const open = await startHttpTestApp({}, START);
    try {
      const res = await fetch(`${open.base}/security/keys`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'x', scopes: ['chat'] }),
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ message: 'Enable authentication before creating API keys' });
    } finally {
      await open.app.close();
    }
  });
});
