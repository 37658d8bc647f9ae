import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';

import { computeSignature } from '../../domain/signing.js';
import { createAuditService } from '../../services/audit-service.js';
import { createKeyService } from '../../services/key-service.js';
import { createReplayGuard } from '../../services/replay-guard.js';
import { createMemoryCounters } from '../../storage/counters/memory-counters.js';
import { openStorage } from '../../storage/open-storage.js';
import type { Storage } from '../../storage/store.js';
import { createFailedAuthLimit } from '../failed-auth-limit.js';
import { authPlugin } from './auth.js';
import { errorsPlugin } from './errors.js';
import { rateLimitPlugin } from './rate-limit.js';
import { rawBodyPlugin } from './raw-body.js';
import { signingPlugin } from './signing.js';

/** Each protection plugin in a tiny app of its own: real stores in memory, the plugins registered as app.ts does. */

const KEY = 'plugin-test-key-0123456789abcdef';
const SECRET = 'plugin-test-secret-0123456789abcdef';
const T0 = Date.UTC(2026, 2, 4, 5, 6, 7);

interface Tiny {
  app: FastifyInstance;
  storage: Storage;
}
const opened: Tiny[] = [];
afterEach(async () => {
  for (const { app, storage } of opened.splice(0)) {
    await app.close();
    await storage.close();
  }
});

/** An app with the protected context of app.ts around three routes; `on` picks the checks that are enabled. */
async function tinyApp(on: { auth?: boolean; signing?: boolean; rateLimits?: boolean }): Promise<Tiny> {
  const storage = await openStorage({ kind: 'memory' });
  const clock = { now: () => new Date(T0) };
  const audit = createAuditService({
    store: storage.events,
    clock,
    log: { warn: () => undefined, error: () => undefined },
    retentionDays: 30,
  });
  const counters = createMemoryCounters(() => T0);
  const failedAuth = createFailedAuthLimit({ limit: 2, windowMs: 60_000, counters, audit });
  const keys = createKeyService({
    settings: storage.settings,
    clock,
    audit,
    authEnabled: on.auth === true,
    env: { apiKey: KEY, apiKeyHash: '', rotationBytes: 32 },
  });
  const app = Fastify();
  await app.register(errorsPlugin);
  await app.register(rawBodyPlugin, { defaultLimit: 1024 });
  await app.register(async (api) => {
    await api.register(authPlugin, { enabled: on.auth === true, keys, audit, failedAuth });
    await api.register(signingPlugin, {
      enabled: on.signing === true,
      secret: SECRET,
      maxAgeSeconds: 300,
      methods: ['POST'],
      authEnabled: on.auth === true,
      audit,
      failedAuth,
      replay: createReplayGuard({ store: storage.signatures, maxAgeSeconds: 300 }),
      now: () => T0,
    });
    await api.register(rateLimitPlugin, { enabled: on.rateLimits === true, counters });
    api.get('/limited', { config: { rateLimit: 2 } }, () => ({ ok: true }));
    api.get('/open', () => ({ ok: true }));
    api.post('/write', () => ({ ok: true }));
  });
  await app.ready();
  const tiny = { app, storage };
  opened.push(tiny);
  return tiny;
}

function signed(body: string, timestamp = String(Math.floor(T0 / 1000))) {
  return {
    'content-type': 'application/json',
    'x-request-timestamp': timestamp,
    'x-request-signature': computeSignature(SECRET, 'POST', '/write', timestamp, Buffer.from(body)),
  };
}

describe('auth plugin', () => {
  it('lets the key through and refuses a missing or wrong one with 401 and a challenge', async () => {
    const { app } = await tinyApp({ auth: true });
    expect((await app.inject({ method: 'GET', url: '/open', headers: { 'x-api-key': KEY } })).statusCode).toBe(200);
    for (const headers of [{}, { 'x-api-key': 'not-the-key' }]) {
      const res = await app.inject({ method: 'GET', url: '/open', headers });
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toBe('ApiKey header="X-API-Key"');
      expect(res.json()).toMatchObject({
        error_code: 'HTTP_ERROR',
        message: 'API key required: missing or invalid X-API-Key header',
      });
    }
  });

  it('checks the failed-authentication limit before the key', async () => {
    const { app } = await tinyApp({ auth: true });
    for (let i = 0; i < 2; i++) {
      expect((await app.inject({ method: 'GET', url: '/open', headers: { 'x-api-key': 'wrong' } })).statusCode).toBe(
        401,
      );
    }
    const locked = await app.inject({ method: 'GET', url: '/open', headers: { 'x-api-key': KEY } });
    expect(locked.statusCode).toBe(429);
    expect(locked.headers['retry-after']).toBe('60');
    expect(locked.json()).toMatchObject({ message: 'Too many failed authentication attempts' });
  });
});

describe('signing plugin', () => {
  it('leaves methods it does not cover alone and refuses an unsigned covered request', async () => {
    const { app } = await tinyApp({ signing: true });
    expect((await app.inject({ method: 'GET', url: '/open' })).statusCode).toBe(200);
    const unsigned = await app.inject({
      method: 'POST',
      url: '/write',
      payload: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(unsigned.statusCode).toBe(401);
    expect(unsigned.json()).toMatchObject({ message: 'Missing request signature headers' });
  });

  it('accepts a signature once', async () => {
    const { app } = await tinyApp({ signing: true });
    const headers = signed('{"n":1}');
    expect((await app.inject({ method: 'POST', url: '/write', payload: '{"n":1}', headers })).statusCode).toBe(200);
    const replay = await app.inject({ method: 'POST', url: '/write', payload: '{"n":1}', headers });
    expect(replay.statusCode).toBe(401);
    expect(replay.json()).toMatchObject({ message: 'Request signature has already been used' });
  });

  it('counts bad signatures toward the failed-authentication limit when auth is off', async () => {
    const { app } = await tinyApp({ signing: true });
    const bad = { ...signed('{}'), 'x-request-signature': 'ab'.repeat(32) };
    for (let i = 0; i < 2; i++) {
      expect((await app.inject({ method: 'POST', url: '/write', payload: '{}', headers: bad })).statusCode).toBe(401);
    }
    const locked = await app.inject({ method: 'POST', url: '/write', payload: '{}', headers: signed('{}') });
    expect(locked.statusCode).toBe(429);
  });
});

describe('rate-limit plugin', () => {
  it('counts requests to a limited route per client, with its headers, and refuses the one over the limit', async () => {
    const { app } = await tinyApp({ rateLimits: true });
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      const res = await app.inject({ method: 'GET', url: '/limited' });
      statuses.push(res.statusCode);
      expect(res.headers['x-ratelimit-limit']).toBe('2');
      expect(res.headers['x-ratelimit-remaining']).toBe(String(Math.max(0, 1 - i)));
      expect(res.headers['x-ratelimit-reset']).toBe('60');
    }
    expect(statuses).toEqual([200, 200, 429]);
    const other = await app.inject({ method: 'GET', url: '/limited', remoteAddress: '10.1.2.3' });
    expect(other.statusCode).toBe(200);
  });

  it('leaves routes without a limit alone', async () => {
    const { app } = await tinyApp({ rateLimits: true });
    for (let i = 0; i < 5; i++) {
      const res = await app.inject({ method: 'GET', url: '/open' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['x-ratelimit-limit']).toBeUndefined();
    }
  });
});

describe('registration order', () => {
  it('refuses a signature check registered before auth, and a rate limit registered before the signature check', async () => {
    const storage = await openStorage({ kind: 'memory' });
    try {
      const counters = createMemoryCounters(() => T0);
      const early = Fastify();
      await early.register(rawBodyPlugin, { defaultLimit: 1024 });
      await expect(early.register(rateLimitPlugin, { enabled: true, counters })).rejects.toMatchObject({
        code: 'FST_ERR_PLUGIN_DEPENDENCY_NOT_REGISTERED',
      });
      await early.close();

      const audit = createAuditService({
        store: storage.events,
        clock: { now: () => new Date(T0) },
        log: { warn: () => undefined, error: () => undefined },
        retentionDays: 30,
      });
      const beforeAuth = Fastify();
      await beforeAuth.register(rawBodyPlugin, { defaultLimit: 1024 });
      await expect(
        beforeAuth.register(signingPlugin, {
          enabled: true,
          secret: SECRET,
          maxAgeSeconds: 300,
          methods: ['POST'],
          authEnabled: false,
          audit,
          failedAuth: createFailedAuthLimit({ limit: 2, windowMs: 60_000, counters, audit }),
          replay: createReplayGuard({ store: storage.signatures, maxAgeSeconds: 300 }),
          now: () => T0,
        }),
      ).rejects.toMatchObject({ code: 'FST_ERR_PLUGIN_DEPENDENCY_NOT_REGISTERED' });
      await beforeAuth.close();
    } finally {
      await storage.close();
    }
  });
});
