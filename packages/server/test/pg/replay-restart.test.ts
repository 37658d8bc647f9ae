import { randomUUID } from 'node:crypto';

import pg from 'pg';
import { afterAll, describe, expect, it, vi } from 'vitest';

import { signatureHeaders } from '../../../client/src/signing.js';
import { auditEventsOf, fetchText } from '../api/security-helpers.js';
import { type HttpTestApp, startHttpTestApp } from '../helpers.js';
import { type OwnRedis, startOwnRedis } from '../servers.js';

/**
 * A signature accepted before a restart is refused after it, for as long as its timestamp is inside the window:
 * restarting the app on the same PostgreSQL schema, or restarting a Redis that keeps nothing, forgets no signature.
 */

const PG_URL = process.env.CONTEXTPILOT_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const API_KEY = 'replay-restart-api-key-5e6f7a8b9c';
const SECRET = 'replay-restart-secret-0123456789abcdef';
const START_MS = Date.UTC(2026, 4, 6, 7, 8, 9, 0);

const schemas: string[] = [];
let ownRedis: OwnRedis | undefined;

afterAll(async () => {
  await ownRedis?.kill();
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  for (const schema of schemas) {
    await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
  }
  await client.end();
});

function newSchema(): string {
  const schema = `cp_replay_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  schemas.push(schema);
  return schema;
}

function start(env: Record<string, string>, pgSchema?: string): Promise<HttpTestApp> {
  return startHttpTestApp(
    {
      CONTEXTPILOT_ENABLE_AUTH: 'true',
      CONTEXTPILOT_API_KEY: API_KEY,
      CONTEXTPILOT_ENABLE_REQUEST_SIGNING: 'true',
      CONTEXTPILOT_REQUEST_SIGNING_SECRET: SECRET,
      ...env,
    },
    START_MS,
    pgSchema === undefined ? {} : { pgSchema },
  );
}

function send(server: HttpTestApp, method: string, path: string, headers: Record<string, string>, body?: string) {
  return fetchText(server.base + path, {
    method,
    headers: { 'x-api-key': API_KEY, 'content-type': 'application/json', ...headers },
    body,
  });
}

/** A signed `POST /contexts` made at the servers' start time, to be sent several times. */
async function signedCreate(content: string) {
  const body = JSON.stringify({ type: 'fact', content });
  const headers = await signatureHeaders({
    secret: SECRET,
    method: 'POST',
    pathWithQuery: '/contexts',
    body,
    now: () => START_MS,
  });
  return { body, headers };
}

async function expectReplayRefused(server: HttpTestApp, request: { body: string; headers: Record<string, string> }) {
  const replay = await send(server, 'POST', '/contexts', request.headers, request.body);
  expect(replay.status).toBe(401);
  expect(replay.json).toMatchObject({ error_code: 'HTTP_ERROR', message: 'Request signature has already been used' });
  const events = await auditEventsOf(server, replay.headers.get('x-request-id'));
  expect(events.filter((e) => e.event === 'request_signing').map((e) => e.outcome)).toEqual(['replayed']);
}

async function countOf(server: HttpTestApp, content: string): Promise<number> {
  const res = await send(server, 'GET', '/contexts?limit=1000', {});
  expect(res.status).toBe(200);
  return (res.json as { content: string }[]).filter((c) => c.content === content).length;
}

describe('replay protection across restarts', () => {
  it('refuses a replay after the app restarts on the same PostgreSQL schema', async () => {
    const schema = newSchema();
    const env = { CONTEXTPILOT_DATABASE_URL: PG_URL };
    const content = `accepted before a restart on postgres ${randomUUID()}`;
    const request = await signedCreate(content);
    const before = await start(env, schema);
    try {
      expect((await send(before, 'POST', '/contexts', request.headers, request.body)).status).toBe(201);
    } finally {
      await before.app.close();
    }
    const after = await start(env, schema);
    try {
      after.time.advance(120_000);
      await expectReplayRefused(after, request);
      expect(await countOf(after, content)).toBe(1);
    } finally {
      await after.app.close();
    }
  });

  it('refuses a replay on either instance after their Redis restarts empty', async () => {
    ownRedis = await startOwnRedis();
    const env = {
      CONTEXTPILOT_DATABASE_URL: PG_URL,
      CONTEXTPILOT_REDIS_URL: ownRedis.url,
      CONTEXTPILOT_REDIS_KEY_PREFIX: `cp-test:${randomUUID()}:`,
    };
    const schema = newSchema();
    const a = await start(env, schema);
    const b = await start(env, schema);
    try {
      const content = `accepted before a Redis restart ${randomUUID()}`;
      const request = await signedCreate(content);
      expect((await send(a, 'POST', '/contexts', request.headers, request.body)).status).toBe(201);

      await ownRedis.kill();
      await ownRedis.start();
      // Both instances reconnect on their own.
      for (const server of [a, b]) {
        await vi.waitFor(async () => expect((await send(server, 'GET', '/contexts?limit=1', {})).status).toBe(200), {
          timeout: 15_000,
          interval: 100,
        });
      }
      for (const server of [a, b]) {
        server.time.advance(60_000);
        await expectReplayRefused(server, request);
      }
      expect(await countOf(b, content)).toBe(1);
    } finally {
      await a.app.close();
      await b.app.close();
    }
  });
});
