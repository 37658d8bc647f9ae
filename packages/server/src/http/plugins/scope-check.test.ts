import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance } from 'fastify';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

import { SCOPES, isScope, type Scope } from '@contextpilot/contract';

import { keyFingerprint } from '../../domain/api-key.js';
import { OWNER_PRINCIPAL } from '../../domain/principal.js';
import { createAuditService, type AuditService } from '../../services/audit-service.js';
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
import { publicPluginContext, routeScopesPlugin, scopeCheckPlugin, type RouteScope } from './scope-check.js';
import { signingPlugin } from './signing.js';

/** The scope check in a tiny app laid out as app.ts lays out the real one, around a few routes. */

const KEY = 'scope-test-key-0123456789abcdef';
const T0 = Date.UTC(2026, 2, 4, 5, 6, 7);

interface Tiny {
  app: FastifyInstance;
  storage: Storage;
  audit: AuditService;
  /** Handlers that ran, by route. */
  ran: string[];
}
const opened: { app: FastifyInstance; storage: Storage }[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const { app, storage } of opened.splice(0)) {
    await app.close();
    await storage.close();
  }
  for (const dir of dirs.splice(0)) {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * The protected context with auth (the v1 key, which is the owner's) and the scope check, and a test hook between
 * them: a request with `x-test-scopes` acts for a principal holding just those (comma-separated) scopes.
 */
async function tinyApp(on: { auth?: boolean; rateLimits?: boolean } = { auth: true }): Promise<Tiny> {
  const storage = await openStorage({ kind: 'memory' });
  const clock = { now: () => new Date(T0) };
  const audit = createAuditService({
    store: storage.events,
    clock,
    log: { warn: () => undefined, error: () => undefined },
    retentionDays: 30,
  });
  const counters = createMemoryCounters(() => T0);
  const failedAuth = createFailedAuthLimit({ limit: 5, windowMs: 60_000, counters, audit });
  const auth = on.auth === true;
  const keys = createKeyService({
    settings: storage.settings,
    clock,
    audit,
    authEnabled: auth,
    env: { apiKey: KEY, apiKeyHash: '', rotationBytes: 32 },
  });
  const ran: string[] = [];
  const app = Fastify();
  await app.register(routeScopesPlugin);
  await app.register(errorsPlugin);
  await app.register(rawBodyPlugin, { defaultLimit: 1024 });
  await app.register((pub, _options, done) => {
    pub.get('/about', { config: { scope: 'public' } }, () => ({ public: true }));
    done();
  });
  await app.register(async (api) => {
    await api.register(authPlugin, { enabled: auth, keys, audit, failedAuth });
    api.addHook('onRequest', (request, _reply, done) => {
      const header = request.headers['x-test-scopes'];
      if (typeof header === 'string') {
        const scopes = header.split(',').filter(isScope);
        request.principal = { keyId: 'key-1', personId: 'person-1', scopes: new Set(scopes) };
      }
      done();
    });
    await api.register(signingPlugin, {
      enabled: false,
      secret: '',
      maxAgeSeconds: 300,
      methods: ['POST'],
      authEnabled: auth,
      audit,
      failedAuth,
      replay: createReplayGuard({ store: storage.signatures, maxAgeSeconds: 300 }),
      now: () => T0,
    });
    await api.register(rateLimitPlugin, { enabled: on.rateLimits === true, counters });
    await api.register(scopeCheckPlugin, { audit });
    api.get('/units', { config: { scope: 'contexts:read' } }, () => {
      ran.push('read');
      return { read: true };
    });
    api.post('/units', { config: { scope: 'contexts:write', rateLimit: 2 } }, () => {
      ran.push('write');
      return { written: true };
    });
    api.post('/tools', { config: { scope: 'per-tool' } }, () => {
      ran.push('tools');
      return { tools: true };
    });
  });
  await app.ready();
  opened.push({ app, storage });
  return { app, storage, audit, ran };
}

const withKey = (scopes?: string) => ({
  'x-api-key': KEY,
  'content-type': 'application/json',
  ...(scopes === undefined ? {} : { 'x-test-scopes': scopes }),
});

describe('scope check', () => {
  it('refuses a key without the route’s scope with 403 in the envelope and a forbidden event, before the handler', async () => {
    const { app, audit, ran } = await tinyApp();
    const refused = await app.inject({
      method: 'POST',
      url: '/units',
      payload: '{}',
      headers: withKey('contexts:read'),
    });
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toEqual({
      error_code: 'HTTP_ERROR',
      message: 'This API key lacks the "contexts:write" scope',
      detail: 'This API key lacks the "contexts:write" scope',
      details: { scope: 'contexts:write' },
    });
    expect(ran).toEqual([]);
    const events = await audit.list({ limit: 10, offset: 0, event: 'forbidden' });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      event: 'forbidden',
      outcome: 'missing_scope',
      method: 'POST',
      path: '/units',
      actor: `api_key:${keyFingerprint(KEY)}`,
      details: { scope: 'contexts:write' },
    });

    const read = await app.inject({ method: 'GET', url: '/units', headers: withKey('contexts:read') });
    expect(read.statusCode).toBe(200);
    expect(ran).toEqual(['read']);
  });

  it('refuses before the body is parsed: a malformed body to a route the key may not use gets 403', async () => {
    const { app, ran } = await tinyApp();
    const res = await app.inject({ method: 'POST', url: '/units', payload: '{"not json', headers: withKey('chat') });
    expect(res.statusCode).toBe(403);
    const allowed = await app.inject({ method: 'POST', url: '/units', payload: '{"not json', headers: withKey() });
    // A key that may write gets the parser's refusal.
    expect(allowed.statusCode).toBe(422);
    expect(ran).toEqual([]);
  });

  it('lets the v1 key (the owner: admin) use every route, and admin imply each scope', async () => {
    const { app, audit, ran } = await tinyApp();
    for (const headers of [withKey(), withKey('admin')]) {
      expect((await app.inject({ method: 'GET', url: '/units', headers })).statusCode).toBe(200);
      expect((await app.inject({ method: 'POST', url: '/units', payload: '{}', headers })).statusCode).toBe(200);
      expect((await app.inject({ method: 'POST', url: '/tools', payload: '{}', headers })).statusCode).toBe(200);
    }
    expect(ran).toEqual(['read', 'write', 'tools', 'read', 'write', 'tools']);
    expect(await audit.list({ limit: 10, offset: 0, event: 'forbidden' })).toEqual([]);
  });

  it('lets any principal reach a per-tool route, with no scope at all', async () => {
    const { app, ran } = await tinyApp();
    const res = await app.inject({ method: 'POST', url: '/tools', payload: '{}', headers: withKey('') });
    expect(res.statusCode).toBe(200);
    expect(ran).toEqual(['tools']);
  });

  it('checks the key before the scope: no key is 401, whatever the route needs', async () => {
    const { app } = await tinyApp();
    const res = await app.inject({ method: 'POST', url: '/units', payload: '{}', headers: { 'x-test-scopes': '' } });
    expect(res.statusCode).toBe(401);
  });

  it('counts a refused request against the route’s rate limit, so refusals cannot flood the audit log', async () => {
    const { app } = await tinyApp({ auth: true, rateLimits: true });
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      const res = await app.inject({ method: 'POST', url: '/units', payload: '{}', headers: withKey('prompts') });
      statuses.push(res.statusCode);
    }
    expect(statuses).toEqual([403, 403, 429]);
  });

  it('makes every request the owner’s while authentication is off', async () => {
    const { app, ran } = await tinyApp({ auth: false });
    const json = { 'content-type': 'application/json' };
    expect((await app.inject({ method: 'POST', url: '/units', payload: '{}', headers: json })).statusCode).toBe(200);
    expect(ran).toEqual(['write']);
    // A narrower principal (set by the test hook) is still checked.
    const narrowed = await app.inject({ method: 'POST', url: '/units', payload: '{}', headers: withKey('chat') });
    expect(narrowed.statusCode).toBe(403);
    expect(OWNER_PRINCIPAL.scopes).toEqual(new Set(['admin']));
  });

  it('refuses each scope but the one needed and admin', async () => {
    const { app } = await tinyApp();
    for (const scope of SCOPES) {
      const res = await app.inject({ method: 'GET', url: '/units', headers: withKey(scope) });
      expect(res.statusCode, scope).toBe(scope === 'contexts:read' || scope === 'admin' ? 200 : 403);
    }
  });
});

describe('route scopes', () => {
  it('keeps the table of every route and the scope it declared', async () => {
    const { app } = await tinyApp();
    const table = app.routeScopes.map(({ method, url, scope }) => `${method} ${url} ${scope}`);
    expect(table).toEqual([
      'GET /about public',
      'HEAD /about public',
      'GET /units contexts:read',
      'HEAD /units contexts:read',
      'POST /units contexts:write',
      'POST /tools per-tool',
    ]);
  });

  /** An app with the root hook and a protected context, and `add` adding routes. */
  async function start(add: (pub: FastifyInstance, api: FastifyInstance) => void): Promise<FastifyInstance> {
    const storage = await openStorage({ kind: 'memory' });
    const audit = createAuditService({
      store: storage.events,
      clock: { now: () => new Date(T0) },
      log: { warn: () => undefined, error: () => undefined },
      retentionDays: 30,
    });
    const counters = createMemoryCounters(() => T0);
    const failedAuth = createFailedAuthLimit({ limit: 5, windowMs: 60_000, counters, audit });
    const keys = createKeyService({
      settings: storage.settings,
      clock: { now: () => new Date(T0) },
      audit,
      authEnabled: false,
      env: { apiKey: '', apiKeyHash: '', rotationBytes: 32 },
    });
    const app = Fastify();
    opened.push({ app, storage });
    await app.register(routeScopesPlugin);
    await app.register(rawBodyPlugin, { defaultLimit: 1024 });
    let pub: FastifyInstance | undefined;
    await app.register((context, _options, done) => {
      pub = context;
      done();
    });
    await app.register(async (api) => {
      await api.register(authPlugin, { enabled: false, keys, audit, failedAuth });
      await api.register(signingPlugin, {
        enabled: false,
        secret: '',
        maxAgeSeconds: 300,
        methods: [],
        authEnabled: false,
        audit,
        failedAuth,
        replay: createReplayGuard({ store: storage.signatures, maxAgeSeconds: 300 }),
        now: () => T0,
      });
      await api.register(rateLimitPlugin, { enabled: false, counters });
      await api.register(scopeCheckPlugin, { audit });
      add(pub as FastifyInstance, api);
    });
    await app.ready();
    return app;
  }

  it('refuses to start with a route that declares no scope, in either context', async () => {
    await expect(start((_pub, api) => api.get('/forgotten', () => ({})))).rejects.toThrow(
      'Route GET /forgotten: declare the scope it needs as config.scope next to its definition',
    );
    await expect(start((pub) => pub.get('/forgotten', () => ({})))).rejects.toThrow(
      'Route GET /forgotten: declare the scope it needs',
    );
  });

  it('refuses to start with an unknown scope, a public route in the protected context or a scope outside it', async () => {
    const unknown = { scope: 'contexts:delete' } as unknown as { scope: RouteScope };
    await expect(start((_pub, api) => api.get('/typo', { config: unknown }, () => ({})))).rejects.toThrow(
      'Route GET /typo: unknown scope "contexts:delete"',
    );
    await expect(start((_pub, api) => api.get('/leak', { config: { scope: 'public' } }, () => ({})))).rejects.toThrow(
      'Route GET /leak: a route in the protected context cannot be public',
    );
    await expect(
      start((pub) => pub.get('/unchecked', { config: { scope: 'contexts:read' } }, () => ({}))),
    ).rejects.toThrow(
      'Route GET /unchecked: scope "contexts:read" outside the protected context would never be checked',
    );
    const perTool: Scope | 'per-tool' = 'per-tool';
    await expect(start((pub) => pub.post('/mcp', { config: { scope: perTool } }, () => ({})))).rejects.toThrow(
      'outside the protected context',
    );
  });

  it('makes the routes of a third-party plugin in a public plugin context public, and only there', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'contextpilot-scope-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'app.js'), 'void 0;');
    const app = Fastify();
    opened.push({ app, storage: await openStorage({ kind: 'memory' }) });
    await app.register(routeScopesPlugin);
    await publicPluginContext(app, (files) => files.register(fastifyStatic, { root: dir, prefix: '/assets/' }));
    await app.ready();
    expect(app.routeScopes.map((r) => `${r.method} ${r.url} ${r.scope}`)).toEqual(
      expect.arrayContaining(['GET /assets/* public', 'HEAD /assets/* public']),
    );
    expect((await app.inject({ method: 'GET', url: '/assets/app.js' })).statusCode).toBe(200);

    const bare = Fastify();
    opened.push({ app: bare, storage: await openStorage({ kind: 'memory' }) });
    await bare.register(routeScopesPlugin);
    await expect(bare.register(fastifyStatic, { root: dir, prefix: '/assets/' })).rejects.toThrow(
      'declare the scope it needs',
    );
  });

  it('refuses a scope check registered before the rate limit', async () => {
    const storage = await openStorage({ kind: 'memory' });
    const app = Fastify();
    opened.push({ app, storage });
    const audit = createAuditService({
      store: storage.events,
      clock: { now: () => new Date(T0) },
      log: { warn: () => undefined, error: () => undefined },
      retentionDays: 30,
    });
    await expect(app.register(scopeCheckPlugin, { audit })).rejects.toMatchObject({
      code: 'FST_ERR_PLUGIN_DEPENDENCY_NOT_REGISTERED',
    });
  });
});
