import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildTestApp } from '../helpers.js';

let app: FastifyInstance;
beforeAll(async () => {
  app = await buildTestApp();
});
afterAll(async () => {
  await app.close();
});

describe('smoke', () => {
  it('creates a context and ranks it for a task', async () => {
    const created = await app.inject({
      method: 'POST',
      url: '/contexts',
      payload: { type: 'preference', content: 'I prefer Python for data processing', tags: ['python'] },
    });
    expect(created.statusCode).toBe(201);
    await app.inject({
      method: 'POST',
      url: '/contexts',
      payload: { type: 'fact', content: 'JavaScript runs in the browser' },
    });
    const prompt = await app.inject({
      method: 'POST',
      url: '/generate-prompt',
      payload: { task: 'Write a Python function for data processing', max_context_units: 2 },
    });
    expect(prompt.statusCode).toBe(200);
    const body = prompt.json();
    expect(body.relevant_context[0].context_unit.content).toBe('I prefer Python for data processing');
    expect(prompt.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});
