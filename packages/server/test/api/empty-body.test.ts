import { request as httpRequest } from 'node:http';

import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildTestApp, listenOnLoopback } from '../helpers.js';

/*
 * A request that names a media type but carries no bytes (`Content-Type: application/json`, `Content-Length: 0`, as
 * axios and many scripts send) has no body: routes whose body is optional or absent run as usual, and a route that
 * needs a body refuses it through its schema.
 */

let app: FastifyInstance;

beforeAll(async () => {
  app = await buildTestApp({ CONTEXTPILOT_RATE_LIMIT_ENABLED: 'false', CONTEXTPILOT_OLLAMA_BASE_URL: '' });
});

afterAll(async () => {
  await app.close();
});

/** No body bytes; `inject` sends no Content-Length for an empty payload, so every other request states `0`. */
let sent = 0;
function empty(method: 'POST' | 'DELETE', url: string) {
  const length = sent++ % 2 === 0 ? {} : { 'content-length': '0' };
  return app.inject({ method, url, headers: { 'content-type': 'application/json', ...length }, payload: '' });
}

describe('an empty body with a JSON content type', () => {
  it.each([
    ['POST', '/providers/openai/validate', 200, 'OpenAI API key is not configured.'],
    ['POST', '/security/api-key/rotate', 400, 'Enable authentication before rotating API keys'],
    ['DELETE', '/ai/conversations/00000000-0000-4000-8000-000000000000', 404, null],
    ['DELETE', '/contexts/00000000-0000-4000-8000-000000000000', 404, null],
  ] as const)('%s %s runs the route as without a body', async (method, url, status, message) => {
    for (let i = 0; i < 2; i++) {
      const res = await empty(method, url);
      expect(res.statusCode, res.body).toBe(status);
      if (message !== null) {
        expect(res.json<{ message: string }>().message).toBe(message);
      }
    }
  });

  it('is the same when the empty body comes chunked (Transfer-Encoding: chunked, no bytes) over HTTP', async () => {
    const base = await listenOnLoopback(app);
    const send = (url: string) =>
      new Promise<{ status: number; json: () => Promise<unknown> }>((resolve, reject) => {
        const req = httpRequest(`${base}${url}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
        });
        req.on('response', (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, json: () => Promise.resolve(JSON.parse(text)) }));
        });
        req.on('error', reject);
        req.end();
      });
    const validate = await send('/providers/openai/validate');
    expect(validate.status).toBe(200);
    expect(((await validate.json()) as { message: string }).message).toBe('OpenAI API key is not configured.');
    const create = await send('/contexts');
    expect(create.status).toBe(422);
    expect(((await create.json()) as { error_code: string }).error_code).toBe('VALIDATION_ERROR');
  });

  it('is refused by the schema of a route that needs a body, with 422 naming the body', async () => {
    const res = await empty('POST', '/contexts');
    expect(res.statusCode).toBe(422);
    const body = res.json<{ error_code: string; details: { errors: { loc: string[] }[] } }>();
    expect(body.error_code).toBe('VALIDATION_ERROR');
    expect(body.details.errors[0]?.loc[0]).toBe('body');
  });
});
