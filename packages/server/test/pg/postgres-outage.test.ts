import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { signatureHeaders } from '../../../client/src/signing.js';
import { type CallResult, fetchText } from '../api/security-helpers.js';
import { type HttpTestApp, startHttpTestApp } from '../helpers.js';
import { type OwnPostgres, startOwnPostgres } from '../servers.js';

/**
 * Apps on a PostgreSQL server of this test's own that stops and starts again: while it is down, every request that
 * needs the database gets 503 in the error envelope (never 500), `/health` says the storage is down, and service
 * resumes by itself once the server is back. `secured` checks key and signature (which need the database); `open`
 * runs without them, so its requests reach the routes' own storage calls.
 */

const API_KEY = 'postgres-outage-api-key-9f8e7d6c5b';
const SECRET = 'postgres-outage-secret-0123456789abcdef';
const START_MS = Date.UTC(2026, 6, 8, 9, 10, 11, 0);
const UNAVAILABLE = 'Storage unavailable, try again later';

let database: OwnPostgres;
let secured: HttpTestApp;
let open: HttpTestApp;

beforeAll(async () => {
  database = await startOwnPostgres();
  const env = { CONTEXTPILOT_DATABASE_URL: database.url };
  secured = await startHttpTestApp(
    {
      ...env,
      CONTEXTPILOT_ENABLE_AUTH: 'true',
      CONTEXTPILOT_API_KEY: API_KEY,
      CONTEXTPILOT_ENABLE_REQUEST_SIGNING: 'true',
      CONTEXTPILOT_REQUEST_SIGNING_SECRET: SECRET,
    },
    START_MS,
  );
  open = await startHttpTestApp(env, START_MS);
});

afterAll(async () => {
  await secured?.app.close();
  await open?.app.close();
  database?.destroy();
});

interface Call {
  key?: string;
  body?: unknown;
  /** Sign the request (on `secured`). */
  sign?: boolean;
}

async function call(server: HttpTestApp, method: string, path: string, options: Call = {}): Promise<CallResult> {
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  const headers: Record<string, string> = { 'x-api-key': options.key ?? API_KEY };
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
  }
  if (options.sign) {
    const now = () => server.time.ms();
    Object.assign(headers, await signatureHeaders({ secret: SECRET, method, pathWithQuery: path, body, now }));
  }
  return fetchText(server.base + path, { method, headers, body });
}

interface HealthBody {
  status: string;
  components: Record<string, Record<string, unknown>>;
}

async function health(server: HttpTestApp): Promise<HealthBody> {
  const res = await fetchText(`${server.base}/health`, {});
  expect(res.status).toBe(200);
  return res.json as HealthBody;
}

function expectUnavailable(res: CallResult, what: string): void {
  expect(res.status, `${what}: ${res.text}`).toBe(503);
  expect(res.json).toEqual({
    error_code: 'SERVICE_UNAVAILABLE',
    message: UNAVAILABLE,
    detail: UNAVAILABLE,
    details: {},
  });
  expect(res.text).not.toContain(new URL(database.url).port);
}

describe('a PostgreSQL outage', () => {
  it('answers 503 to every request that needs the database, for right and wrong keys, and recovers', async () => {
    const unit = { type: 'fact', content: `before the outage ${randomUUID()}` };
    const created = await call(secured, 'POST', '/contexts', { body: unit, sign: true });
    expect(created.status).toBe(201);
    const id = created.json.id as string;
    expect((await health(secured)).status).toBe('healthy');

    database.stop();
    // Telling a right key from a wrong one needs the database (a rotated key lives there): both get 503.
    expectUnavailable(await call(secured, 'GET', '/contexts'), 'right key');
    expectUnavailable(await call(secured, 'GET', '/contexts', { key: 'a-wrong-key' }), 'wrong key');
    const late = { type: 'fact', content: `sent during the outage ${randomUUID()}` };
    const lateHeaders = {
      'x-api-key': API_KEY,
      'content-type': 'application/json',
      ...(await signatureHeaders({
        secret: SECRET,
        method: 'POST',
        pathWithQuery: '/contexts',
        body: JSON.stringify(late),
        now: () => secured.time.ms(),
      })),
    };
    const sendLate = () =>
      fetchText(`${secured.base}/contexts`, { method: 'POST', headers: lateHeaders, body: JSON.stringify(late) });
    expectUnavailable(await sendLate(), 'signed create');

    expectUnavailable(await call(open, 'GET', '/contexts'), 'list');
    expectUnavailable(await call(open, 'GET', `/contexts/${id}`), 'get');
    expectUnavailable(await call(open, 'GET', '/stats'), 'stats');
    expectUnavailable(await call(open, 'POST', '/contexts', { body: unit }), 'create');
    expectUnavailable(await call(open, 'PUT', `/contexts/${id}`, { body: { content: 'changed' } }), 'update');
    expectUnavailable(await call(open, 'DELETE', `/contexts/${id}`), 'delete');
    expectUnavailable(await call(open, 'GET', '/ai/conversations'), 'conversations');
    expectUnavailable(await call(open, 'GET', '/settings'), 'settings');

    for (const server of [secured, open]) {
      const body = await health(server);
      expect(body.status).toBe('unhealthy');
      expect(body.components.storage).toEqual({
        status: 'unhealthy',
        backend: 'postgres',
        error: 'storage unavailable',
      });
    }

    database.start();
    expect((await call(secured, 'GET', `/contexts/${id}`)).status).toBe(200);
    expect((await call(open, 'GET', `/contexts/${id}`)).status).toBe(200);
    expect((await health(secured)).status).toBe('healthy');
    // The create refused during the outage did not use up its signature.
    expect((await sendLate()).status).toBe(201);
  });
});
