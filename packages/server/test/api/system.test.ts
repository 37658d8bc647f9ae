import { randomUUID } from 'node:crypto';

import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildTestApp, inject, token } from '../helpers.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** `app` is the main app; `noMetrics` runs with CONTEXTPILOT_ENABLE_METRICS=false. */
let app: FastifyInstance;
let noMetrics: FastifyInstance;
beforeAll(async () => {
  [app, noMetrics] = await Promise.all([buildTestApp(), buildTestApp({ CONTEXTPILOT_ENABLE_METRICS: 'false' })]);
});
afterAll(async () => {
  await Promise.all([app.close(), noMetrics.close()]);
});

async function metricsText(): Promise<string> {
  const res = await inject(app, { method: 'GET', url: '/metrics' });
  expect(res.statusCode).toBe(200);
  return res.body;
}

/** The value of one counter series, 0 when it is absent. */
function counter(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

function expectEnvelope(res: LightMyRequestResponse, errorCode: string, message: string) {
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.json()).toEqual({ error_code: errorCode, message, detail: message, details: {} });
}

describe('GET /', () => {
  it('returns the v1 API information', async () => {
    const res = await inject(app, { method: 'GET', url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json()).toEqual({ message: 'ContextPilot API', version: '1.0.0', docs: '/docs' });
  });
});

describe('GET /health', () => {
  it('returns 200, status healthy, the model id and dimension 512, healthy storage and rate-limit store', async () => {
    const res = await inject(app, { method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(200);
    const body = res.json<{
      status: string;
      timestamp: string;
      components: {
        embedding_model: { status: string; dimension: number; model: string };
        storage: { status: string };
        rate_limit_store: { status: string; backend: string };
      };
    }>();
    expect(body.status).toBe('healthy');
    expect(body.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(body.components.embedding_model.status).toBe('healthy');
    expect(body.components.embedding_model.dimension).toBe(512);
    expect(body.components.embedding_model.model).toBe(app.parts.embedder.modelId);
    expect(body.components.embedding_model.model).toMatch(/use-lite/);
    expect(body.components.storage.status).toBe('healthy');
    expect(body.components.rate_limit_store).toEqual({ status: 'healthy', backend: 'memory' });
  });
});

describe('GET /metrics', () => {
  it('serves Prometheus text with the /health series after a /health call', async () => {
    const series = 'contextpilot_http_requests_total{method="GET",path="/health",status="200"}';
    const before = counter(await metricsText(), series);
    await inject(app, { method: 'GET', url: '/health' });
    const res = await inject(app, { method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toContain(series);
    expect(counter(res.body, series)).toBe(before + 1);
    expect(res.body).toContain('# TYPE contextpilot_http_request_duration_seconds histogram');
    expect(res.body).toContain('# TYPE contextpilot_http_active_requests gauge');
  });

  it('labels requests with route templates, not raw paths or /:id', async () => {
    const created = await inject(app, {
      method: 'POST',
      url: '/contexts',
      payload: { type: 'fact', content: `Metric ${token()}` },
    });
    const { id } = created.json<{ id: string }>();
    await inject(app, { method: 'GET', url: `/contexts/${id}` });
    await inject(app, { method: 'GET', url: `/contexts/${randomUUID()}` });
    await inject(app, { method: 'POST', url: '/generate-prompt', payload: { task: 'metrics labels' } });
    await inject(app, { method: 'POST', url: '/generate-prompt/compact', payload: { task: 'metrics labels' } });
    const text = await metricsText();
    expect(
      counter(text, 'contextpilot_http_requests_total{method="POST",path="/contexts",status="201"}'),
    ).toBeGreaterThan(0);
    expect(
      counter(text, 'contextpilot_http_requests_total{method="GET",path="/contexts/:context_id",status="200"}'),
    ).toBeGreaterThan(0);
    expect(
      counter(text, 'contextpilot_http_requests_total{method="GET",path="/contexts/:context_id",status="404"}'),
    ).toBeGreaterThan(0);
    expect(
      counter(text, 'contextpilot_http_requests_total{method="POST",path="/generate-prompt",status="200"}'),
    ).toBeGreaterThan(0);
    expect(
      counter(text, 'contextpilot_http_requests_total{method="POST",path="/generate-prompt/compact",status="200"}'),
    ).toBeGreaterThan(0);
    expect(text).not.toContain(id);
    expect(text).not.toContain('path="/:id');
  });

  it('does not create a series per unknown URL', async () => {
    const junk = token();
    await inject(app, { method: 'GET', url: `/no/such/${junk}` });
    expect(await metricsText()).not.toContain(junk);
  });

  it('returns 404 "Metrics are disabled" when CONTEXTPILOT_ENABLE_METRICS=false', async () => {
    const res = await inject(noMetrics, { method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(404);
    expectEnvelope(res, 'HTTP_ERROR', 'Metrics are disabled');
  });
});

describe('headers on every response', () => {
  const cases: [string, number, () => Promise<LightMyRequestResponse>][] = [
    ['200', 200, () => inject(app, { method: 'GET', url: '/health' })],
    [
      '201',
      201,
      () => inject(app, { method: 'POST', url: '/contexts', payload: { type: 'fact', content: `Headers ${token()}` } }),
    ],
    [
      '204',
      204,
      async () => {
        const created = await inject(app, {
          method: 'POST',
          url: '/contexts',
          payload: { type: 'fact', content: `Gone ${token()}` },
        });
        return inject(app, { method: 'DELETE', url: `/contexts/${created.json<{ id: string }>().id}` });
      },
    ],
    ['400', 400, () => inject(app, { method: 'GET', url: '/contexts?type=opinion' })],
    ['404', 404, () => inject(app, { method: 'GET', url: '/definitely/not/here' })],
    ['405', 405, () => inject(app, { method: 'PATCH', url: '/contexts' })],
    [
      '413',
      413,
      () =>
        inject(app, {
          method: 'POST',
          url: '/contexts',
          payload: JSON.stringify({ type: 'fact', content: 'z'.repeat(300 * 1024) }),
          headers: { 'content-type': 'application/json' },
        }),
    ],
    [
      '415',
      415,
      () =>
        inject(app, { method: 'POST', url: '/contexts', payload: 'hello', headers: { 'content-type': 'text/plain' } }),
    ],
    ['422', 422, () => inject(app, { method: 'POST', url: '/contexts', payload: { type: 'opinion', content: 'x' } })],
  ];

  it.each(cases)(
    'a %s response carries x-request-id, x-response-time and the security headers',
    async (_name, status, send) => {
      const res = await send();
      expect(res.statusCode).toBe(status);
      expect(res.headers['x-request-id']).toMatch(UUID);
      expect(res.headers['x-response-time']).toMatch(/^\d+\.\d{2}ms$/);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['referrer-policy']).toBe('strict-origin-when-cross-origin');
      expect(res.headers['content-security-policy']).toEqual(expect.any(String));
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['x-powered-by']).toBeUndefined();
      if (status >= 400) {
        const body = res.json<Record<string, unknown>>();
        expect(Object.keys(body).sort()).toEqual(['detail', 'details', 'error_code', 'message']);
        expect(body.detail).toBe(body.message);
      }
    },
  );

  it('generates a fresh x-request-id for every request, ignoring the one the client sends', async () => {
    const sent = randomUUID();
    const ids = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const res = await inject(app, { method: 'GET', url: '/health', headers: { 'x-request-id': sent } });
      const id = res.headers['x-request-id'] as string;
      expect(id).toMatch(UUID);
      expect(id).not.toBe(sent);
      ids.add(id);
    }
    expect(ids.size).toBe(3);
  });

  it('sends HSTS only for HTTPS requests', async () => {
    const plain = await inject(app, { method: 'GET', url: '/health' });
    expect(plain.headers['strict-transport-security']).toBeUndefined();
  });
});

describe('unknown routes and methods', () => {
  it('answers an unknown route with 404 in the envelope', async () => {
    const res = await inject(app, { method: 'GET', url: '/nope' });
    expect(res.statusCode).toBe(404);
    expectEnvelope(res, 'NOT_FOUND', 'Not Found');
  });

  it('answers a wrong method with 405, an Allow header and the envelope', async () => {
    const res = await inject(app, { method: 'PATCH', url: '/contexts' });
    expect(res.statusCode).toBe(405);
    const allow = String(res.headers.allow).split(/,\s*/);
    expect(allow).toEqual(expect.arrayContaining(['GET', 'POST']));
    expect(allow).not.toContain('PATCH');
    expectEnvelope(res, 'METHOD_NOT_ALLOWED', 'Method Not Allowed');
  });

  it('answers a wrong method on a parameterised route with 405', async () => {
    const res = await inject(app, { method: 'POST', url: `/contexts/${randomUUID()}` });
    expect(res.statusCode).toBe(405);
    expect(String(res.headers.allow).split(/,\s*/)).toEqual(expect.arrayContaining(['GET', 'PUT', 'DELETE']));
  });

  it('answers a wrong method with a query string with 405', async () => {
    const res = await inject(app, { method: 'DELETE', url: '/stats?x=1' });
    expect(res.statusCode).toBe(405);
    expect(String(res.headers.allow)).toContain('GET');
  });
});

describe('API documentation', () => {
  it('serves an OpenAPI 3 document that lists the context paths', async () => {
    const res = await inject(app, { method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json<{
      openapi: string;
      info: { title: string; version: string };
      paths: Record<string, Record<string, unknown>>;
    }>();
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.info.title).toBe('ContextPilot API');
    expect(doc.info.version).toBe('1.0.0');
    expect(Object.keys(doc.paths['/contexts'] ?? {})).toEqual(expect.arrayContaining(['get', 'post']));
    expect(Object.keys(doc.paths['/contexts/{context_id}'] ?? {})).toEqual(
      expect.arrayContaining(['get', 'put', 'delete']),
    );
    for (const path of [
      '/contexts/export',
      '/contexts/import',
      '/generate-prompt',
      '/generate-prompt/compact',
      '/stats',
      '/health',
    ]) {
      expect(doc.paths).toHaveProperty([path]);
    }
  });

  it('names the contract schemas in components.schemas and references them from the operations', async () => {
    const doc = (await inject(app, { method: 'GET', url: '/openapi.json' })).json<{
      paths: Record<string, Record<string, { requestBody?: unknown; responses: Record<string, unknown> }>>;
      components: { schemas: Record<string, unknown> };
    }>();
    const json = (schema: string) => ({
      content: { 'application/json': { schema: { $ref: `#/components/schemas/${schema}` } } },
    });
    const create = doc.paths['/contexts']?.post;
    expect(create?.requestBody).toMatchObject(json('ContextUnitCreateInput'));
    expect(create?.responses['201']).toMatchObject(json('ContextUnit'));
    expect(create?.responses['422']).toMatchObject(json('ErrorEnvelope'));
    expect(doc.paths['/ai/chat']?.post?.responses['200']).toMatchObject(json('AIResponse'));
    expect(doc.components.schemas).toHaveProperty(['ContextUnit', 'properties', 'superseded_by']);
    expect(Object.keys(doc.components.schemas)).toEqual([...Object.keys(doc.components.schemas)].sort());
    // Every reference resolves, and every component is referenced somewhere else in the document.
    const text = JSON.stringify(doc);
    const referenced = new Set([...text.matchAll(/"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]));
    expect([...referenced].sort()).toEqual(Object.keys(doc.components.schemas));
  });

  it('serves the docs page as HTML', async () => {
    const res = await inject(app, { method: 'GET', url: '/docs' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body.toLowerCase()).toContain('<html');
  });
});
