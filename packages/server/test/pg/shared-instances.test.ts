import { randomUUID } from 'node:crypto';
import { join } from 'node:path';

import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { signatureHeaders } from '../../../client/src/signing.js';
import { type CallOptions, signedCall } from '../api/security-helpers.js';
import { buildTestApp, listenOnLoopback, tempDir } from '../helpers.js';

/**
 * Two app instances sharing one database and one Redis : rate limits, replay protection, the
 * failed-auth lockout and key rotation hold across instances. Redis and PostgreSQL must be reachable: these tests
 * fail, never skip, without them.
 */

const REDIS_URL = process.env.CONTEXTPILOT_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const PG_URL = process.env.CONTEXTPILOT_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const API_KEY = 'shared-instances-api-key-0a1b2c3d4e';
const SECRET = 'shared-instances-secret-0123456789abcdef';
const FAILURE_LIMIT = 8;

interface Instance {
  app: FastifyInstance;
  base: string;
}

/** Sends a request with API_KEY (unless `key` is given) and signs non-GET requests at the real time. */
function call(instance: Instance, method: string, path: string, options: CallOptions = {}) {
  return signedCall({ secret: SECRET, key: API_KEY }, instance.base, method, path, options);
}

async function deleteKeys(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) {
      deleted += await redis.del(...keys);
    }
  } while (cursor !== '0');
  return deleted;
}

type Backend = { name: 'sqlite' } | { name: 'postgres' };

describe.each<Backend>([{ name: 'sqlite' }, { name: 'postgres' }])(
  'two instances sharing $name and Redis',
  (backend) => {
    const prefix = `cp-test:${randomUUID()}:`;
    const pgSchema = `cp_shared_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
    let redis: Redis;
    let a: Instance;
    let b: Instance;
    let currentKey = API_KEY;
    let env: Record<string, string> = {};

    async function start(env: Record<string, string>): Promise<Instance> {
      const app = await buildTestApp(env, backend.name === 'postgres' ? { pgSchema } : {});
      return { app, base: await listenOnLoopback(app) };
    }

    beforeAll(async () => {
      redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
      await redis.connect();
      const database = backend.name === 'sqlite' ? `sqlite:${join(tempDir(), 'shared.db')}` : PG_URL;
      env = {
        CONTEXTPILOT_DATABASE_URL: database,
        CONTEXTPILOT_REDIS_URL: REDIS_URL,
        CONTEXTPILOT_REDIS_KEY_PREFIX: prefix,
        CONTEXTPILOT_ENABLE_AUTH: 'true',
        CONTEXTPILOT_API_KEY: API_KEY,
        CONTEXTPILOT_ENABLE_REQUEST_SIGNING: 'true',
        CONTEXTPILOT_REQUEST_SIGNING_SECRET: SECRET,
        CONTEXTPILOT_AUTH_FAILURE_LIMIT: String(FAILURE_LIMIT),
      };
      a = await start(env);
      b = await start(env);
    });

    afterAll(async () => {
      await a?.app.close();
      await b?.app.close();
      if (redis) {
        await deleteKeys(redis, prefix);
        expect(await redis.keys(`${prefix}*`)).toEqual([]);
        await redis.quit();
      }
      if (backend.name === 'postgres') {
        const client = new pg.Client({ connectionString: PG_URL });
        await client.connect();
        await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(pgSchema)} CASCADE`);
        await client.end();
      }
    });

    beforeEach(async () => {
      // Replays and old keys count as failed authentications; each test starts with a clean failure counter.
      await redis.del(`${prefix}authfail:127.0.0.1`, `${prefix}authfail-logged:127.0.0.1`);
    });

    it('uses the shared store and Redis', async () => {
      expect(await redis.ping()).toBe('PONG');
      expect(a.app.parts.storage.kind).toBe(backend.name);
      expect(b.app.parts.storage.kind).toBe(backend.name);
      const created = await call(a, 'POST', '/contexts', {
        body: JSON.stringify({ type: 'fact', content: `shared store ${backend.name}` }),
      });
      expect(created.status).toBe(201);
      const read = await call(b, 'GET', `/contexts/${created.json.id as string}`);
      expect(read.status).toBe(200);
      // The counters are in Redis under this run's prefix.
      expect((await redis.keys(`${prefix}*`)).length).toBeGreaterThan(0);
    });

    it('shares a rate limit: alternating instances, the limit+1-th request gets 429', async () => {
      const limit = 30; // GET /security/events
      for (let i = 1; i <= limit; i++) {
        const res = await call(i % 2 === 0 ? a : b, 'GET', '/security/events?limit=1', { key: currentKey });
        expect(res.status, `request ${i}`).toBe(200);
        expect(res.headers.get('x-ratelimit-remaining')).toBe(String(limit - i));
      }
      const refusedOnA = await call(a, 'GET', '/security/events?limit=1', { key: currentKey });
      const refusedOnB = await call(b, 'GET', '/security/events?limit=1', { key: currentKey });
      for (const res of [refusedOnA, refusedOnB]) {
        expect(res.status).toBe(429);
        expect(res.json.error_code).toBe('RATE_LIMIT_EXCEEDED');
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        expect(Number(res.headers.get('retry-after'))).toBeLessThanOrEqual(60);
      }
    });

    it('refuses on B, as a replay, a signature that A accepted', async () => {
      const body = JSON.stringify({ type: 'fact', content: `replayed across instances ${randomUUID()}` });
      const signed = await signatureHeaders({ secret: SECRET, method: 'POST', pathWithQuery: '/contexts', body });
      const first = await call(a, 'POST', '/contexts', { key: currentKey, body, sign: false, headers: signed });
      expect(first.status).toBe(201);
      const replay = await call(b, 'POST', '/contexts', { key: currentKey, body, sign: false, headers: signed });
      expect(replay.status).toBe(401);
      const replayOnA = await call(a, 'POST', '/contexts', { key: currentKey, body, sign: false, headers: signed });
      expect(replayOnA.status).toBe(401);
      await b.app.parts.audit.flush();
      const [event] = await b.app.parts.audit.list({
        limit: 5,
        offset: 0,
        requestId: replay.headers.get('x-request-id')!,
        event: 'request_signing',
      });
      expect(event?.outcome).toBe('replayed');
      // Both instances write the same audit table.
      await a.app.parts.audit.flush();
      const fromA = await b.app.parts.audit.list({
        limit: 5,
        offset: 0,
        requestId: first.headers.get('x-request-id')!,
        event: 'request_signing',
      });
      expect(fromA.map((e) => e.outcome)).toEqual(['valid_signature']);
    });

    it('a key rotated on A stops working on B at once, and the new key works on both', async () => {
      const rotated = await call(a, 'POST', '/security/api-key/rotate', { key: currentKey });
      expect(rotated.status).toBe(200);
      const newKey = rotated.json.api_key as string;
      expect((await call(b, 'GET', '/contexts?limit=1', { key: currentKey })).status).toBe(401);
      expect((await call(a, 'GET', '/contexts?limit=1', { key: currentKey })).status).toBe(401);
      expect((await call(b, 'GET', '/contexts?limit=1', { key: newKey })).status).toBe(200);
      expect((await call(a, 'GET', '/contexts?limit=1', { key: newKey })).status).toBe(200);
      // The environment key (the one before rotation) is refused by both as well.
      expect((await call(b, 'GET', '/contexts?limit=1', { key: API_KEY })).status).toBe(401);
      currentKey = newKey;
      // B can rotate again; A follows.
      // Signed one second later: the same body-less request within the same second has the same signature (a replay).
      const later = await signatureHeaders({
        secret: SECRET,
        method: 'POST',
        pathWithQuery: '/security/api-key/rotate',
        now: () => Date.now() + 1000,
      });
      const again = await call(b, 'POST', '/security/api-key/rotate', { key: currentKey, sign: false, headers: later });
      expect(again.status).toBe(200);
      expect((await call(a, 'GET', '/contexts?limit=1', { key: currentKey })).status).toBe(401);
      currentKey = again.json.api_key as string;
      expect((await call(a, 'GET', '/contexts?limit=1', { key: currentKey })).status).toBe(200);
    });

    it('shares the failed-authentication lockout, with one lockout event per window', async () => {
      const requestIds: string[] = [];
      const track = (res: Awaited<ReturnType<typeof call>>) => {
        requestIds.push(res.headers.get('x-request-id')!);
        return res;
      };
      for (let i = 0; i < FAILURE_LIMIT; i++) {
        expect(track(await call(i % 2 === 0 ? a : b, 'GET', '/contexts', { key: `wrong-${i}` })).status).toBe(401);
      }
      expect(track(await call(a, 'GET', '/contexts', { key: currentKey })).status).toBe(429);
      expect(track(await call(b, 'GET', '/contexts', { key: currentKey })).status).toBe(429);
      for (let i = 0; i < 10; i++) {
        expect(track(await call(i % 2 === 0 ? a : b, 'GET', '/contexts', { key: 'wrong' })).status).toBe(429);
      }
      await a.app.parts.audit.flush();
      await b.app.parts.audit.flush();
      const lockouts = (await a.app.parts.audit.list({ limit: 1000, offset: 0, outcome: 'rate_limited' })).filter((e) =>
        requestIds.includes(e.requestId ?? ''),
      );
      expect(lockouts).toHaveLength(1);
    });

    it('fails closed when Redis goes away: protected requests get 503, never 500', async () => {
      // A third instance with its own Redis connection, so A and B keep theirs.
      const c = await start({ ...env, CONTEXTPILOT_REDIS_KEY_PREFIX: `${prefix}gone:` });
      try {
        expect((await call(c, 'GET', '/contexts?limit=1', { key: currentKey })).status).toBe(200);
        await c.app.parts.counters.close();
        const res = await call(c, 'GET', '/contexts?limit=1', { key: currentKey });
        expect(res.status).toBe(503);
        expect(res.json).toMatchObject({ error_code: 'SERVICE_UNAVAILABLE' });
        expect(JSON.stringify(res.json)).not.toContain('6379');
        expect((await fetch(`${c.base}/health`)).status).toBe(200);
      } finally {
        await c.app.close();
      }
    });
  },
);
