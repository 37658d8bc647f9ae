import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { type HttpTestApp, multipartFile, startHttpTestApp, token } from '../helpers.js';
import { auditEventsOf, fetchText, rawCall } from './security-helpers.js';

/**
 * Cross-site writes over real HTTP: a page on another origin can send a form or a `no-cors`
 * fetch without any preflight. With authentication off (the default) nothing but the origin check stands between
 * such a page and every unit.
 */

const CONFIGURED = 'https://app.example.com';
const EVIL = 'https://evil.test';

let server: HttpTestApp;
beforeAll(async () => {
  server = await startHttpTestApp(
    { CONTEXTPILOT_CORS_ORIGINS: JSON.stringify([CONFIGURED]) },
    Date.UTC(2026, 5, 7, 8, 9, 10, 0),
  );
});
afterAll(async () => {
  await server.app.close();
});
beforeEach(() => {
  // A fresh audit summary window for each test.
  server.time.advance(5 * 60_000);
});

async function createUnit(content: string): Promise<void> {
  const res = await fetchText(`${server.base}/contexts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'fact', content }),
  });
  expect(res.status).toBe(201);
}

async function contents(): Promise<string[]> {
  const res = await fetchText(`${server.base}/contexts?limit=1000&include_superseded=true`, { method: 'GET' });
  expect(res.status).toBe(200);
  return (res.json as { content: string }[]).map((u) => u.content);
}

/** A JSON create as a browser page sends it, with the given browser headers. */
function createFrom(headers: Record<string, string>, content: string, path = '/contexts') {
  return rawCall(
    server,
    'POST',
    path,
    { 'content-type': 'application/json', ...headers },
    JSON.stringify({ type: 'fact', content }),
  );
}

function expectRefused(res: { status: number; text: string; headers: Record<string, string | string[] | undefined> }) {
  expect(res.status).toBe(403);
  expect(JSON.parse(res.text)).toEqual({
    error_code: 'HTTP_ERROR',
    message: 'Cross-origin request refused',
    detail: 'Cross-origin request refused',
    details: {},
  });
  expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  expect(res.headers['x-content-type-options']).toBe('nosniff');
  expect(res.headers['content-security-policy']).toMatch(/default-src 'none'/);
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.headers['access-control-allow-origin']).toBeUndefined();
}

describe('a write a browser sends for another origin', () => {
  it('refuses a cross-site multipart import with replace_existing=true and keeps every unit', async () => {
    const kept = `kept ${token()}`;
    await createUnit(kept);
    const form = multipartFile(
      'file',
      'contexts.json',
      JSON.stringify({ contexts: [{ type: 'fact', content: `planted ${token()}` }] }),
      'application/json',
    );
    const res = await rawCall(
      server,
      'POST',
      '/contexts/import?replace_existing=true',
      { ...form.headers, origin: EVIL, 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate' },
      form.body.toString('utf8'),
    );
    expectRefused(res);
    expect(await contents()).toContain(kept);
    expect((await contents()).some((c) => c.startsWith('planted'))).toBe(false);

    const [event, ...others] = await auditEventsOf(server, res.headers['x-request-id'] as string);
    expect(others).toEqual([]);
    expect(event).toMatchObject({
      event: 'origin_check',
      outcome: 'cross_site',
      method: 'POST',
      path: '/contexts/import',
      details: { origin: EVIL },
    });
  });

  it.each([
    ['another site', { origin: EVIL }, 'disallowed_origin'],
    ['another site, as Chromium marks it', { origin: EVIL, 'sec-fetch-site': 'cross-site' }, 'cross_site'],
    [
      'the same host on another port',
      { origin: 'http://127.0.0.1:1', 'sec-fetch-site': 'same-site' },
      'disallowed_origin',
    ],
    ['localhost under another scheme', { origin: 'https://127.0.0.1' }, 'disallowed_origin'],
    ['a sandboxed frame or file:// page (Origin: null)', { origin: 'null' }, 'null_origin'],
    ['a browser that marks the request cross-site without an Origin', { 'sec-fetch-site': 'cross-site' }, 'cross_site'],
  ])('refuses a create from %s', async (_label, headers, outcome) => {
    const content = `refused ${token()}`;
    const res = await createFrom(headers, content);
    expectRefused(res);
    expect(await contents()).not.toContain(content);
    const [event] = await auditEventsOf(server, res.headers['x-request-id'] as string);
    expect(event).toMatchObject({ event: 'origin_check', outcome });
  });

  it('refuses a text/plain no-cors create before the body is looked at', async () => {
    const content = `plain ${token()}`;
    const res = await rawCall(
      server,
      'POST',
      '/contexts',
      { 'content-type': 'text/plain', origin: EVIL, 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' },
      JSON.stringify({ type: 'fact', content }),
    );
    expectRefused(res);
    expect(await contents()).not.toContain(content);
  });

  it('answers every state-changing method on every path alike: known, unknown or with another method', async () => {
    const unit = `target ${token()}`;
    await createUnit(unit);
    const id = (await fetchText(`${server.base}/contexts?search=${encodeURIComponent(unit)}`, { method: 'GET' }))
      .json[0].id as string;
    const headers = { origin: EVIL, 'sec-fetch-site': 'cross-site' };
    for (const [method, path] of [
      ['DELETE', `/contexts/${id}`],
      ['PUT', `/contexts/${id}`],
      ['POST', '/security/api-key/rotate'],
      ['POST', '/settings'],
      ['POST', '/no/such/route'],
      ['DELETE', '/health'],
      ['PATCH', '/contexts'],
    ] as const) {
      expectRefused(await rawCall(server, method, path, headers, method === 'DELETE' ? undefined : '{}'));
    }
    expect(await contents()).toContain(unit);
  });

  it('summarizes a flood of refusals from one client into one audit row, whatever paths and origins it varies', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      // The first is the sample the row keeps; the rest vary what a client controls.
      const origin = i === 0 ? 'https://flood.test' : `https://flood${i}.test`;
      const path = i === 0 ? '/contexts' : `/x${i}${'a'.repeat(i * 100)}`;
      const res = await createFrom({ origin, 'sec-fetch-site': 'cross-site' }, `flood ${i}`, path);
      expectRefused(res);
      ids.push(res.headers['x-request-id'] as string);
    }
    const [row, ...others] = await auditEventsOf(server, ids[0]!);
    expect(others).toEqual([]);
    expect(row?.path).toBe('/contexts');
    expect(row?.details).toMatchObject({ origin: 'https://flood.test', requests: 5, last_request_id: ids[4] });
    for (const id of ids.slice(1)) {
      expect(await auditEventsOf(server, id)).toEqual([]);
    }
  });
});

describe('writes that keep working', () => {
  it('reads from any origin are not refused', async () => {
    const res = await rawCall(server, 'GET', '/contexts?limit=1', { origin: EVIL, 'sec-fetch-site': 'cross-site' });
    expect(res.status).toBe(200);
  });

  it('accepts a non-browser client (no Origin, no Sec-Fetch-Site)', async () => {
    const content = `curl ${token()}`;
    expect((await createFrom({}, content)).status).toBe(201);
    expect(await contents()).toContain(content);
  });

  it('accepts the server’s own pages (same origin), whichever way the browser marks them', async () => {
    const port = new URL(server.base).port;
    const cases: Record<string, string>[] = [
      { origin: server.base, 'sec-fetch-site': 'same-origin' },
      { origin: server.base },
      { origin: `http://localhost:${port}`, host: `localhost:${port}` },
      { 'sec-fetch-site': 'same-origin' },
      { 'sec-fetch-site': 'none' },
    ];
    for (const headers of cases) {
      const content = `own ${token()}`;
      const res = await createFrom(headers, content);
      expect(res.status, JSON.stringify(headers)).toBe(201);
      expect(await contents()).toContain(content);
    }
  });

  it('accepts a configured CORS origin, even from another site', async () => {
    const content = `configured ${token()}`;
    const res = await createFrom({ origin: CONFIGURED, 'sec-fetch-site': 'cross-site' }, content);
    expect(res.status).toBe(201);
    expect(res.headers['access-control-allow-origin']).toBe(CONFIGURED);
    expect(await contents()).toContain(content);
  });
});

describe('behind a reverse proxy', () => {
  it('takes the own origin from X-Forwarded-Proto and X-Forwarded-Host only when the proxy is trusted', async () => {
    const env = { CONTEXTPILOT_ALLOWED_HOSTS: '["notes.example.com"]' };
    const proxied = await startHttpTestApp({ ...env, CONTEXTPILOT_TRUST_PROXY: 'true' }, Date.UTC(2026, 5, 7));
    const direct = await startHttpTestApp(env, Date.UTC(2026, 5, 7));
    try {
      const headers = {
        origin: 'https://notes.example.com',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'notes.example.com',
        'content-type': 'application/json',
      };
      const body = JSON.stringify({ type: 'fact', content: `proxied ${token()}` });
      expect((await rawCall(proxied, 'POST', '/contexts', headers, body)).status).toBe(201);
      // Without a trusted proxy, forwarded headers are the client's own word: the Origin is not the server's.
      expectRefused(await rawCall(direct, 'POST', '/contexts', headers, body));
    } finally {
      await Promise.all([proxied.app.close(), direct.app.close()]);
    }
  });
});

describe('with authentication and signing on', () => {
  it('refuses a cross-site write before the key is checked (403, not 401)', async () => {
    const secured = await startHttpTestApp(
      {
        CONTEXTPILOT_ENABLE_AUTH: 'true',
        CONTEXTPILOT_API_KEY: 'origin-test-api-key-3f2a1b0c9d',
        CONTEXTPILOT_ENABLE_REQUEST_SIGNING: 'true',
        CONTEXTPILOT_REQUEST_SIGNING_SECRET: 'origin-test-secret-0123456789abcdef',
      },
      Date.UTC(2026, 5, 7),
    );
    try {
      const res = await rawCall(
        secured,
        'POST',
        '/contexts',
        { origin: EVIL, 'content-type': 'application/json' },
        '{}',
      );
      expectRefused(res);
      const events = await auditEventsOf(secured, res.headers['x-request-id'] as string);
      expect(events.map((e) => e.event)).toEqual(['origin_check']);
    } finally {
      await secured.app.close();
    }
  });
});
