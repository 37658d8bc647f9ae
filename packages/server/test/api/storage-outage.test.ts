import { join } from 'node:path';

import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { FastifyInstance } from 'fastify';

import { buildTestApp, inject, tempDir } from '../helpers.js';

/** A SQLite database another process keeps locked: writes get 503 in the envelope, never 500. */

const file = join(tempDir(), 'locked.db');
let app: FastifyInstance;

beforeAll(async () => {
  app = await buildTestApp({ CONTEXTPILOT_DATABASE_URL: `sqlite:${file}` });
});
afterAll(async () => {
  await app.close();
});

const create = (content: string) =>
  inject(app, { method: 'POST', url: '/contexts', payload: { type: 'fact', content } });

describe('a locked SQLite database', () => {
  it('answers a write with 503 once the busy timeout has passed, serves reads, and recovers', async () => {
    const holder = new Database(file);
    holder.exec('BEGIN IMMEDIATE');
    try {
      const res = await create('written while the database is locked');
      expect(res.statusCode, res.body).toBe(503);
      expect(res.json()).toEqual({
        error_code: 'SERVICE_UNAVAILABLE',
        message: 'Storage unavailable, try again later',
        detail: 'Storage unavailable, try again later',
        details: {},
      });
      // Readers are not blocked by a writer (WAL).
      expect((await inject(app, { method: 'GET', url: '/contexts' })).statusCode).toBe(200);
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    expect((await create('written once the lock is gone')).statusCode).toBe(201);
  });
});
