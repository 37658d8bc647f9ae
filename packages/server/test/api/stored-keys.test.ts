import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { generateApiKey, hashApiKey } from '../../src/domain/api-key.js';
import { toTimestamp } from '../../src/domain/types.js';
import type { Person } from '../../src/storage/store.js';
import type { HttpTestApp } from '../helpers.js';
import { startHttpTestApp, tempDir } from '../helpers.js';
import { auditEventsOf } from './security-helpers.js';

/**
 * Keys stored with a person and scopes (the store's rows, as the key API will write them), presented over HTTP: the
 * principal they make, the scope check that follows, and every reason a found key is refused.
 */
const V1_KEY = 'stored-keys-test-v1-key-0123456789abcdef0123';
const START = Date.UTC(2026, 11, 7, 12, 0, 0);

let server: HttpTestApp;
let person: Person;
const database = `sqlite:${join(tempDir(), 'stored-keys.db')}`;
const env = { CONTEXTPILOT_ENABLE_AUTH: 'true', CONTEXTPILOT_API_KEY: V1_KEY, CONTEXTPILOT_DATABASE_URL: database };

async function storeKey(options: {
  scopes: string[];
  expiresAt?: string;
  allowedNetworks?: string[];
  personId?: string;
}): Promise<{ key: string; id: string }> {
  const key = `cp_${generateApiKey(32)}`;
  const stored = await server.app.parts.storage.apiKeys.create({
    personId: options.personId ?? person.id,
    name: 'test key',
    scopes: options.scopes,
    digest: hashApiKey(key),
    createdAt: toTimestamp(new Date(server.time.ms())),
    expiresAt: options.expiresAt ?? null,
    allowedNetworks: options.allowedNetworks ?? [],
  });
  return { key, id: stored.id };
}

async function call(key: string, method = 'GET', path = '/contexts', body?: unknown) {
  const response = await fetch(`${server.base}${path}`, {
    method,
    headers: { 'x-api-key': key, ...(body !== undefined && { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const events = await auditEventsOf(server, response.headers.get('x-request-id'));
  return { status: response.status, json: (await response.json()) as Record<string, unknown>, events };
}

beforeAll(async () => {
  server = await startHttpTestApp(env, START);
  person = await server.app.parts.storage.people.ensureFirst('Owner', toTimestamp(new Date(START)));
});
afterAll(async () => {
  await server.app.close();
});

describe('stored API keys', () => {
  it('act as their person with their scopes: a read-only key reads and is refused a write (403)', async () => {
    const { key, id } = await storeKey({ scopes: ['contexts:read'] });
    const read = await call(key);
    expect(read.status).toBe(200);
    expect(read.events.map((e) => `${e.event}/${e.outcome}/${e.actor}`)).toEqual([
      `api_key_auth/valid_key/api_key:${hashApiKey(key).slice(0, 8)}`,
    ]);
    const write = await call(key, 'POST', '/contexts', { type: 'fact', content: 'written by a read-only key' });
    expect(write.status).toBe(403);
    expect(write.json).toMatchObject({ message: 'This API key lacks the "contexts:write" scope' });
    expect(write.events.map((e) => `${e.event}/${e.outcome}`)).toContain('forbidden/missing_scope');
    const units = (await call(V1_KEY)).json as unknown as Array<{ content: string }>;
    expect(units.map((u) => u.content)).not.toContain('written by a read-only key');
    // The use is recorded on the key.
    expect((await server.app.parts.storage.apiKeys.get(id))?.lastUsedAt).not.toBeNull();
  });

  it('leave the v1 key as it was: every scope', async () => {
    const created = await call(V1_KEY, 'POST', '/contexts', { type: 'fact', content: 'written with the v1 key' });
    expect(created.status).toBe(201);
  });

  it('refuse a revoked key (revoked_used), an expired one, one from another network, one of a disabled person', async () => {
    const revoked = await storeKey({ scopes: ['admin'] });
    expect((await call(revoked.key)).status).toBe(200);
    await server.app.parts.storage.apiKeys.revoke(revoked.id, toTimestamp(new Date(server.time.ms())));
    const afterRevoke = await call(revoked.key);
    expect(afterRevoke.status).toBe(401);
    expect(afterRevoke.json).toMatchObject({ message: 'API key required: missing or invalid X-API-Key header' });
    expect(afterRevoke.events.map((e) => e.outcome)).toEqual(['revoked_used']);

    const expiring = await storeKey({ scopes: ['admin'], expiresAt: toTimestamp(new Date(server.time.ms() + 60_000)) });
    expect((await call(expiring.key)).status).toBe(200);
    server.time.advance(61_000);
    expect((await call(expiring.key)).events.map((e) => e.outcome)).toEqual(['expired_key']);

    const elsewhere = await storeKey({ scopes: ['admin'], allowedNetworks: ['10.0.0.0/8'] });
    expect((await call(elsewhere.key)).events.map((e) => e.outcome)).toEqual(['network_refused']);
    const here = await storeKey({ scopes: ['admin'], allowedNetworks: ['127.0.0.0/8', '::1'] });
    expect((await call(here.key)).status).toBe(200);

    const other = await server.app.parts.storage.people.create({
      name: 'Someone',
      createdAt: toTimestamp(new Date(server.time.ms())),
    });
    const theirs = await storeKey({ scopes: ['admin'], personId: other.id });
    expect((await call(theirs.key)).status).toBe(200);
    await server.app.parts.storage.people.update(other.id, { disabled: true });
    expect((await call(theirs.key)).events.map((e) => e.outcome)).toEqual(['person_disabled']);
  });

  it('keep the digest from before a rotation valid for its grace period (grace_used), then refuse it', async () => {
    const { key, id } = await storeKey({ scopes: ['contexts:read'] });
    const next = `cp_${generateApiKey(32)}`;
    await server.app.parts.storage.apiKeys.rotate(id, {
      digest: hashApiKey(next),
      previousValidUntil: toTimestamp(new Date(server.time.ms() + 30_000)),
    });
    expect((await call(next)).status).toBe(200);
    const old = await call(key);
    expect(old.status).toBe(200);
    expect(old.events.map((e) => e.outcome)).toEqual(['grace_used']);
    server.time.advance(31_000);
    expect((await call(key)).events.map((e) => e.outcome)).toEqual(['grace_expired']);
    expect((await call(next)).status).toBe(200);
  });

  it('apply a revocation made through another instance on the same database at once', async () => {
    const { key, id } = await storeKey({ scopes: ['contexts:read'] });
    expect((await call(key)).status).toBe(200);
    const second = await startHttpTestApp(env, START);
    try {
      await second.app.parts.storage.apiKeys.revoke(id, toTimestamp(new Date(START)));
    } finally {
      await second.app.close();
    }
    expect((await call(key)).events.map((e) => e.outcome)).toEqual(['revoked_used']);
  });
});
