import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { signatureHeaders } from '../../../client/src/signing.js';
import { createLogger } from '../../src/logger.js';
import { type HttpTestApp, multipartFile, startHttpTestApp, tempDir } from '../helpers.js';
import { callHeaders, type CallOptions, fetchText } from './security-helpers.js';

/**
 * Canary test: a wrong API key, the signing secret, the real key,
 * signatures and context content are sent or configured, then every log line, response, security event, setting
 * and the database file are searched for them.
 */

const CANARY_WRONG_KEY = 'pcn_canary_WRONGKEY_7d1f0b2e9c4a';
const CANARY_SECRET = 'pcn_canary_SIGNSECRET_3e8a6c1d5b7f0925';
const CANARY_REAL_KEY = 'pcn_canary_REALKEY_b4c2e0a8f6d1';
const CANARY_CONTENT = 'pcn_canary_CONTENT_91ab2cd3ef';
const CANARY_TASK = 'pcn_canary_TASK_5f6e7d8c';

function memoryStream() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString('utf8'));
      callback();
    },
  });
  return { stream, text: () => lines.join('') };
}

interface Server extends HttpTestApp {
  logs: () => string;
  dbPath: string;
  responses: string[];
}

async function start(format: 'json' | 'text'): Promise<Server> {
  const sink = memoryStream();
  const logger = createLogger({ log: { level: 'debug', format } }, sink.stream);
  const dbPath = join(tempDir(), 'canary.db');
  const server = await startHttpTestApp(
    {
      CONTEXTPILOT_DATABASE_URL: `sqlite:${dbPath}`,
      CONTEXTPILOT_LOG_LEVEL: 'debug',
      CONTEXTPILOT_LOG_FORMAT: format,
      CONTEXTPILOT_ENABLE_AUTH: 'true',
      CONTEXTPILOT_API_KEY: CANARY_REAL_KEY,
      CONTEXTPILOT_ENABLE_REQUEST_SIGNING: 'true',
      CONTEXTPILOT_REQUEST_SIGNING_SECRET: CANARY_SECRET,
      CONTEXTPILOT_AUTH_FAILURE_LIMIT: '5',
    },
    Date.UTC(2026, 7, 9, 10, 11, 12, 0),
    { logger },
  );
  return { ...server, logs: sink.text, dbPath, responses: [] };
}

/** Sends a request and keeps the whole response (status line, headers, body) for the final search. */
async function call(server: Server, method: string, path: string, options: CallOptions = {}) {
  const config = { secret: CANARY_SECRET, key: CANARY_REAL_KEY, now: server.time.ms };
  const { headers, signature } = await callHeaders(config, method, path, options);
  const res = await fetchText(server.base + path, { method, headers, body: options.body });
  server.responses.push(`${res.status}\n${JSON.stringify([...res.headers])}\n${res.text}`);
  return { ...res, json: res.json as Record<string, unknown> | null, signature };
}

/** Exercises every path a secret could leak through. Returns the signatures that were sent. */
async function exercise(server: Server): Promise<{ signatures: string[]; rotatedKey: string }> {
  const signatures: string[] = [];
  const keep = (s: string | undefined) => s && signatures.push(s);

  // The wrong canary key, in every place a client might put it.
  expect((await call(server, 'GET', '/contexts', { key: CANARY_WRONG_KEY })).status).toBe(401);
  expect(
    (
      await call(server, 'POST', '/contexts', {
        key: CANARY_WRONG_KEY,
        body: JSON.stringify({ type: 'fact', content: CANARY_CONTENT }),
      })
    ).status,
  ).toBe(401);
  expect((await call(server, 'GET', `/contexts?api_key=${CANARY_WRONG_KEY}`, { key: null })).status).toBe(401);
  expect(
    (await call(server, 'GET', '/stats', { key: null, headers: { authorization: `Bearer ${CANARY_WRONG_KEY}` } }))
      .status,
  ).toBe(401);
  expect(
    (
      await call(server, 'GET', '/contexts', {
        key: `${CANARY_WRONG_KEY}`,
        headers: { 'x-request-id': CANARY_WRONG_KEY },
      })
    ).status,
  ).toBe(401);
  expect((await call(server, 'GET', `/nope/${CANARY_WRONG_KEY}`, { key: CANARY_WRONG_KEY })).status).toBe(404);
  server.time.advance(11 * 60_000); // past the failed-auth window

  // Content, through create, update, validation errors, search, prompts, export and import.
  const created = await call(server, 'POST', '/contexts', {
    body: JSON.stringify({ type: 'fact', content: CANARY_CONTENT, tags: ['canary'] }),
  });
  expect(created.status).toBe(201);
  keep(created.signature);
  const id = created.json!.id as string;
  const updated = await call(server, 'PUT', `/contexts/${id}`, {
    body: JSON.stringify({ content: `${CANARY_CONTENT} updated` }),
  });
  expect(updated.status).toBe(200);
  keep(updated.signature);
  const invalid = await call(server, 'POST', '/contexts', {
    body: JSON.stringify({ type: 'nope', content: CANARY_CONTENT }),
  });
  expect(invalid.status).toBe(422);
  keep(invalid.signature);
  const malformed = await call(server, 'POST', '/contexts', { body: `{"content":"${CANARY_CONTENT}"` });
  expect([400, 422]).toContain(malformed.status);
  expect((await call(server, 'GET', `/contexts?search=${CANARY_CONTENT}`)).status).toBe(200);
  const prompt = await call(server, 'POST', '/generate-prompt', { body: JSON.stringify({ task: CANARY_TASK }) });
  expect(prompt.status).toBe(200);
  keep(prompt.signature);
  expect((await call(server, 'GET', '/contexts/export?format=csv')).status).toBe(200);
  const upload = multipartFile(
    'file',
    'canary.json',
    JSON.stringify([{ type: 'goal', content: `${CANARY_CONTENT} imported` }]),
    'application/json',
  );
  const imported = await call(server, 'POST', '/contexts/import', { body: upload.body, headers: upload.headers });
  expect(imported.status).toBe(200);
  keep(imported.signature);

  // A replay, a bad signature, and a signature made with the wrong secret.
  const replayBody = JSON.stringify({ type: 'fact', content: `${CANARY_CONTENT} replayed` });
  const replayHeaders = await signatureHeaders({
    secret: CANARY_SECRET,
    method: 'POST',
    pathWithQuery: '/contexts',
    body: replayBody,
    now: () => server.time.ms(),
  });
  expect(
    (await call(server, 'POST', '/contexts', { sign: false, body: replayBody, headers: replayHeaders })).status,
  ).toBe(201);
  expect(
    (await call(server, 'POST', '/contexts', { sign: false, body: replayBody, headers: replayHeaders })).status,
  ).toBe(401);
  keep(replayHeaders['X-Request-Signature']);
  const bad = await call(server, 'DELETE', `/contexts/${id}`, {
    sign: false,
    headers: {
      'x-request-timestamp': String(Math.floor(server.time.ms() / 1000)),
      'x-request-signature': 'c'.repeat(64),
    },
  });
  expect(bad.status).toBe(401);
  expect(
    (
      await call(server, 'PUT', `/contexts/${id}`, {
        sign: false,
        body: '{"content":"x"}',
        headers: await signatureHeaders({
          secret: CANARY_WRONG_KEY,
          method: 'PUT',
          pathWithQuery: `/contexts/${id}`,
          body: '{"content":"x"}',
          now: () => server.time.ms(),
        }),
      })
    ).status,
  ).toBe(401);

  // Lock-out (the limit is 5 failures) and its recovery.
  for (let i = 0; i < 6; i++) {
    await call(server, 'GET', '/contexts', { key: CANARY_WRONG_KEY });
  }
  expect((await call(server, 'GET', '/contexts')).status).toBe(429);
  server.time.advance(11 * 60_000);

  // Metrics and the audit log through the API.
  expect((await call(server, 'GET', '/metrics')).status).toBe(200);
  expect((await call(server, 'GET', '/security/events?limit=200')).status).toBe(200);

  // Rotation: the new key is in that one response only.
  const rotated = await call(server, 'POST', '/security/api-key/rotate');
  expect(rotated.status).toBe(200);
  keep(rotated.signature);
  const rotatedKey = rotated.json!.api_key as string;
  server.responses.pop(); // the one response allowed to carry the new key
  expect((await call(server, 'GET', '/contexts', { key: rotatedKey })).status).toBe(200);
  expect((await call(server, 'GET', '/contexts', { key: CANARY_REAL_KEY })).status).toBe(401);
  await server.app.parts.audit.flush();
  return { signatures, rotatedKey };
}

describe.each(['json', 'text'] as const)('secrets canary (%s logs)', (format) => {
  let server: Server;
  let sent: { signatures: string[]; rotatedKey: string };
  let logs: string;
  let events: string;
  let settings: string;
  let database: string;

  beforeAll(async () => {
    server = await start(format);
    sent = await exercise(server);
    events = JSON.stringify(await server.app.parts.audit.list({ limit: 100_000, offset: 0 }));
    settings = JSON.stringify([...(await server.app.parts.storage.settings.getAll())]);
    await server.app.close();
    logs = server.logs();
    database = ['', '-wal', '-shm', '-journal']
      .map((suffix) => `${server.dbPath}${suffix}`)
      .filter((file) => existsSync(file))
      .map((file) => readFileSync(file).toString('latin1'))
      .join('\n');
  });
  afterAll(async () => {
    await server.app.close();
  });

  it('captured a meaningful amount of output', () => {
    expect(logs.split('\n').length).toBeGreaterThan(20);
    expect(logs).toContain('request completed');
    expect(events).toContain('invalid_key');
    expect(events).toContain('replayed');
    expect(server.responses.length).toBeGreaterThan(20);
    expect(database.length).toBeGreaterThan(0);
  });

  it.each([
    ['the wrong canary key', CANARY_WRONG_KEY],
    ['the signing secret', CANARY_SECRET],
    ['the configured key', CANARY_REAL_KEY],
  ])('%s appears in no log line, response, event, setting or database page', (_name, canary) => {
    expect(logs).not.toContain(canary);
    for (const response of server.responses) {
      expect(response).not.toContain(canary);
    }
    expect(events).not.toContain(canary);
    expect(settings).not.toContain(canary);
    expect(database).not.toContain(canary);
    // Not even the start of it.
    expect(events).not.toContain(canary.slice(0, 16));
    expect(logs).not.toContain(canary.slice(0, 16));
  });

  it('the rotated key appears only in its one response, never in logs, events, settings or the database', () => {
    expect(logs).not.toContain(sent.rotatedKey);
    expect(events).not.toContain(sent.rotatedKey);
    expect(settings).not.toContain(sent.rotatedKey);
    expect(database).not.toContain(sent.rotatedKey);
    for (const response of server.responses) {
      expect(response).not.toContain(sent.rotatedKey);
    }
  });

  it('signatures and context content never reach the logs or the audit log', () => {
    expect(sent.signatures.length).toBeGreaterThan(4);
    for (const signature of sent.signatures) {
      expect(logs).not.toContain(signature);
      expect(events).not.toContain(signature);
    }
    expect(logs).not.toContain('c'.repeat(64));
    for (const text of [CANARY_CONTENT, CANARY_TASK]) {
      expect(logs).not.toContain(text);
      expect(events).not.toContain(text);
      expect(settings).not.toContain(text);
    }
  });
});
