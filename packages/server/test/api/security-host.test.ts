import { connect } from 'node:net';
import { Writable } from 'node:stream';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createLogger } from '../../src/logger.js';
import { fakeWebUi, type HttpTestApp, startHttpTestApp, token } from '../helpers.js';
import { auditEventsOf, fetchText, rawCall } from './security-helpers.js';

/**
 * DNS rebinding over real HTTP: a page whose own name an attacker points at 127.0.0.1 talks to
 * a loopback server as same-origin, so CORS does not stop it from reading everything. Only the Host gives it away.
 */

const START = Date.UTC(2026, 5, 7, 8, 9, 10, 0);
const REBIND = 'rebind.attacker.test';

type Response = Awaited<ReturnType<typeof rawCall>>;

function expectMisdirected(res: Response, label: string) {
  expect(res.status, label).toBe(421);
  expect(JSON.parse(res.text), label).toEqual({
    error_code: 'HTTP_ERROR',
    message: 'Misdirected request: this server does not answer to that host name',
    detail: 'Misdirected request: this server does not answer to that host name',
    details: {},
  });
  expect(res.headers['x-request-id'], label).toMatch(/^[0-9a-f-]{36}$/);
  expect(res.headers['x-content-type-options'], label).toBe('nosniff');
  expect(res.headers['x-frame-options'], label).toBe('DENY');
  expect(res.headers['content-security-policy'], label).toMatch(/frame-ancestors 'none'/);
  expect(res.headers['cache-control'], label).toBe('no-store');
  expect(res.headers['access-control-allow-origin'], label).toBeUndefined();
  expect(res.headers.vary, label).toMatch(/\bOrigin\b/);
}

let server: HttpTestApp;
let port: string;
const logLines: string[] = [];
beforeAll(async () => {
  const logs = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  const logger = createLogger({ log: { level: 'info', format: 'json' } }, logs);
  // Bound to 127.0.0.1 (the default) with authentication off (the default), the set-up DNS rebinding aims at.
  server = await startHttpTestApp({ CONTEXTPILOT_WEB_DIR: fakeWebUi() }, START, { logger });
  port = new URL(server.base).port;
  const created = await fetchText(`${server.base}/contexts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'fact', content: `secret ${token()}` }),
  });
  expect(created.status).toBe(201);
});
afterAll(async () => {
  await server.app.close();
});

describe('a server listening on loopback', () => {
  it('refuses a foreign Host with 421 before any route runs: export, health, docs, UI, unknown paths, preflights', async () => {
    for (const host of [REBIND, `${REBIND}:${port}`, `localhost.${REBIND}`, `127.0.0.1.${REBIND}`, '192.168.1.20']) {
      for (const [method, path, headers] of [
        ['GET', '/contexts/export', {}],
        ['GET', '/contexts', {}],
        ['GET', '/health', {}],
        ['GET', '/', { accept: 'text/html' }],
        ['GET', '/assets/app.js', {}],
        ['GET', '/favicon.svg', {}],
        ['GET', '/docs/', {}],
        ['GET', '/openapi.json', {}],
        ['GET', '/no/such/route', {}],
        ['POST', '/contexts', { 'content-type': 'application/json', origin: `http://${host}` }],
        ['OPTIONS', '/contexts', { origin: `http://${host}`, 'access-control-request-method': 'POST' }],
      ] as const) {
        const res = await rawCall(server, method, path, { host, ...headers }, method === 'POST' ? '{}' : undefined);
        expectMisdirected(res, `${method} ${path} Host: ${host}`);
        expect(res.text).not.toContain('secret');
      }
    }
  });

  it('tells the operator once per refused name which setting would admit it', () => {
    const warnings = logLines
      .map((line) => JSON.parse(line) as { level: number; msg: string; host?: string })
      .filter((r) => r.level === 40 && r.msg.includes('CONTEXTPILOT_ALLOWED_HOSTS'));
    const hosts = warnings.map((w) => w.host);
    expect(hosts).toContain(REBIND);
    expect(hosts).toContain('192.168.1.20');
    expect(new Set(hosts).size).toBe(hosts.length);
  });

  it('records the refusal in the audit log with the host it named', async () => {
    server.time.advance(5 * 60_000); // past the summary window of the refusals above
    const res = await rawCall(server, 'GET', '/contexts/export', { host: `${REBIND.toUpperCase()}:${port}` });
    expectMisdirected(res, 'export');
    const [event, ...others] = await auditEventsOf(server, res.headers['x-request-id'] as string);
    expect(others).toEqual([]);
    expect(event).toMatchObject({
      event: 'host_check',
      outcome: 'disallowed_host',
      method: 'GET',
      path: '/contexts/export',
      details: { host: `${REBIND}:${port}` },
    });
  });

  it('serves the UI and its files under a loopback name', async () => {
    for (const path of ['/', '/assets/app.js', '/favicon.svg', '/docs/']) {
      const res = await rawCall(server, 'GET', path, { host: `localhost:${port}`, accept: 'text/html' });
      expect(res.status, path).toBe(200);
    }
  });

  it('answers the loopback names, on any port', async () => {
    for (const host of [
      `localhost:${port}`,
      'localhost',
      `LOCALHOST:${port}`,
      `127.0.0.1:${port}`,
      '127.0.0.1',
      `127.1.2.3:${port}`,
      `[::1]:${port}`,
      `app.localhost:${port}`,
      'localhost.:1',
    ]) {
      const res = await rawCall(server, 'GET', '/contexts/export', { host });
      expect(res.status, host).toBe(200);
      expect(res.text, host).toContain('secret');
    }
  });

  it('answers a request without Host (HTTP/1.0: not a browser)', async () => {
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => socket.end('GET /health HTTP/1.0\r\n\r\n'));
      const chunks: Buffer[] = [];
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      socket.on('error', reject);
    });
    expect(reply).toMatch(/^HTTP\/1\.1 200 /);
  });
});

describe('CONTEXTPILOT_ALLOWED_HOSTS', () => {
  let named: HttpTestApp;
  beforeAll(async () => {
    named = await startHttpTestApp({ CONTEXTPILOT_ALLOWED_HOSTS: '["notes.example.com",".example.org"]' }, START);
  });
  afterAll(async () => {
    await named.app.close();
  });

  it('adds names, with or without a port, and subdomains for a leading dot', async () => {
    for (const host of [
      'notes.example.com',
      'notes.example.com:8443',
      'example.org',
      'a.b.example.org:80',
      'localhost',
    ]) {
      expect((await rawCall(named, 'GET', '/health', { host })).status, host).toBe(200);
    }
    for (const host of [
      'example.com',
      'evil-notes.example.com',
      'notes.example.com.attacker.test',
      'evilexample.org',
    ]) {
      expectMisdirected(await rawCall(named, 'GET', '/health', { host }), host);
    }
  });

  it('behind a trusted proxy, the forwarded host must be allowed too', async () => {
    const proxied = await startHttpTestApp(
      { CONTEXTPILOT_ALLOWED_HOSTS: '["notes.example.com"]', CONTEXTPILOT_TRUST_PROXY: 'true' },
      START,
    );
    try {
      const upstream = `127.0.0.1:${new URL(proxied.base).port}`;
      const ok = await rawCall(proxied, 'GET', '/health', { host: upstream, 'x-forwarded-host': 'notes.example.com' });
      expect(ok.status).toBe(200);
      expectMisdirected(
        await rawCall(proxied, 'GET', '/health', { host: upstream, 'x-forwarded-host': REBIND }),
        'forwarded',
      );
      // A rebinding page can add X-Forwarded-Host itself: the Host it sends is checked regardless.
      expectMisdirected(
        await rawCall(proxied, 'GET', '/health', { host: REBIND, 'x-forwarded-host': 'localhost' }),
        'sent',
      );
    } finally {
      await proxied.app.close();
    }
  });

  it('without a trusted proxy, X-Forwarded-Host is ignored', async () => {
    const res = await rawCall(named, 'GET', '/health', { host: 'localhost', 'x-forwarded-host': REBIND });
    expect(res.status).toBe(200);
  });
});

describe('a server listening on all addresses', () => {
  it('answers any Host when no names are configured, and only the configured ones otherwise', async () => {
    const open = await startHttpTestApp({ CONTEXTPILOT_HOST: '0.0.0.0' }, START);
    const named = await startHttpTestApp(
      { CONTEXTPILOT_HOST: '0.0.0.0', CONTEXTPILOT_ALLOWED_HOSTS: '["notes.example.com"]' },
      START,
    );
    try {
      expect((await rawCall(open, 'GET', '/health', { host: REBIND })).status).toBe(200);
      expect((await rawCall(named, 'GET', '/health', { host: 'notes.example.com' })).status).toBe(200);
      expect((await rawCall(named, 'GET', '/health', { host: 'localhost:8000' })).status).toBe(200);
      expectMisdirected(await rawCall(named, 'GET', '/health', { host: REBIND }), '0.0.0.0 with names');
    } finally {
      await Promise.all([open.app.close(), named.app.close()]);
    }
  });
});
