import { spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';

import { Writable } from 'node:stream';

import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createLogger } from '../../src/logger.js';
import type { Embedder } from '../../src/providers/embeddings/embedder.js';
import { createUseLiteEmbedder } from '../../src/providers/embeddings/use-lite.js';
import { HOSTILE_TEXTS } from '../hostile-texts.js';
import { buildTestApp, inject, listenOnLoopback, tempDir, testConfig } from '../helpers.js';

const REPO_ROOT = join(import.meta.dirname, '../../../..');

async function vectorCount(app: FastifyInstance, id: string): Promise<number> {
  let count = 0;
  for await (const row of app.parts.storage.contexts.readEmbeddings(app.parts.embedder.modelId, [id])) {
    count += row.vectors.length;
  }
  return count;
}

async function until(condition: () => Promise<boolean> | boolean, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await condition()) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('embedding cost of hostile content over the API', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestApp();
  });
  afterAll(async () => {
    await app.close();
  });

  for (const [name, content] of Object.entries(HOSTILE_TEXTS)) {
    it(`creates a unit of ${name} with at most the configured number of vectors, and ranks for it as a task`, async () => {
      const created = await inject(app, { method: 'POST', url: '/contexts', payload: { type: 'fact', content } });
      expect(created.statusCode, created.body).toBe(201);
      const count = await vectorCount(app, created.json<{ id: string }>().id);
      expect(count).toBeGreaterThan(0);
      expect(count).toBeLessThanOrEqual(testConfig().embedding.maxChunks);
      const prompt = await inject(app, { method: 'POST', url: '/generate-prompt', payload: { task: content } });
      expect(prompt.statusCode, prompt.body).toBe(200);
      expect(prompt.headers['server-timing']).toMatch(/embed;dur=/);
    });
  }
});

describe('a busy embedding model', () => {
  let embedder: Embedder;
  let app: FastifyInstance;
  let base: string;
  let logger: Logger;
  const logLines: string[] = [];
  const logs = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  beforeAll(async () => {
    embedder = createUseLiteEmbedder({ maxWorkers: 1, maxChunks: 20, deadlineMs: 60_000 });
    await embedder.init();
    logger = createLogger({ log: { level: 'info', format: 'json' } }, logs);
    app = await buildTestApp({}, { embedder, logger });
    base = await listenOnLoopback(app);
  });
  afterAll(async () => {
    await app.close();
    await embedder.close();
  });

  const idle = () => {
    const load = embedder.load?.();
    return load !== undefined && load.running === 0 && Object.values(load.queued).every((n) => n === 0);
  };

  it('gives up the embedding of a write whose client went away, and writes nothing', async () => {
    const content = `${'x'.repeat(9_980)} goneclient`;
    const logsBefore = logLines.length;
    await new Promise<void>((resolve, reject) => {
      const req = httpRequest(`${base}/contexts`, { method: 'POST', headers: { 'content-type': 'application/json' } });
      req.on('error', () => resolve());
      req.end(JSON.stringify({ type: 'fact', content }));
      // Gone while its embedding is queued or running.
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 100);
      req.on('response', (res) =>
        reject(new Error(`the request was answered (${res.statusCode}) before the client left`)),
      );
    });
    await until(idle, 'the embedding to be given up');
    const listed = await inject(app, { method: 'GET', url: '/contexts?search=goneclient' });
    expect(listed.json()).toEqual([]);
    // The client's doing, not a failure of the server: nothing logged as a warning or an error.
    const records = logLines.slice(logsBefore).map((line) => JSON.parse(line) as { level: number; msg: string });
    expect(records.filter((r) => r.level >= 40)).toEqual([]);
  });

  it('reports a saturated embedding model in /health, and healthy again once the work is done', async () => {
    const health = async () =>
      (await inject(app, { method: 'GET', url: '/health' })).json<{
        status: string;
        components: { embedding_model: { status: string; queued?: number; oldest_wait_ms?: number } };
      }>();
    expect((await health()).components.embedding_model).toMatchObject({ status: 'healthy', queued: 0 });
    const writes = Array.from({ length: 6 }, (_, i) =>
      inject(app, {
        method: 'POST',
        url: '/contexts',
        payload: { type: 'fact', content: `${HOSTILE_TEXTS['prose']?.slice(0, 6_000)} load${i}` },
      }),
    );
    await until(async () => (await health()).components.embedding_model.status === 'degraded', 'a degraded status');
    const busy = await health();
    // Still serving: the instance stays healthy, its embedding model reports the queue.
    expect(busy.status).toBe('healthy');
    expect(busy.components.embedding_model.queued).toBeGreaterThan(0);
    expect(busy.components.embedding_model.oldest_wait_ms).toBeGreaterThanOrEqual(1_000);
    expect((await Promise.all(writes)).map((r) => r.statusCode)).toEqual(writes.map(() => 201));
    expect((await health()).components.embedding_model).toMatchObject({ status: 'healthy', queued: 0 });
  });
});

describe('shutting down while embeddings run', () => {
  it('stops within seconds of SIGTERM, failing the writes it had not finished', async () => {
    const child = spawn(
      process.execPath,
      ['--conditions', 'development', '--import', 'tsx', 'packages/server/src/server.ts'],
      {
        cwd: REPO_ROOT,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '',
          CONTEXTPILOT_PORT: '0',
          CONTEXTPILOT_DATABASE_URL: `sqlite:${join(tempDir(), 'shutdown.db')}`,
          CONTEXTPILOT_LOG_LEVEL: 'info',
          CONTEXTPILOT_EMBEDDING_WORKERS: '1',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const base = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (c: Buffer) => {
        output += c.toString();
        const url = /"url":"(http:\/\/localhost:\d+)"/.exec(output)?.[1];
        if (url !== undefined) {
          resolve(url.replace('localhost', '127.0.0.1'));
        }
      });
      void exited.then(() => reject(new Error(`the server exited before listening: ${output}`)));
    });
    const writes = Array.from({ length: 6 }, () =>
      fetch(`${base}/contexts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'fact', content: HOSTILE_TEXTS["one word of 'x'"] }),
      }).then(
        (r) => r.status,
        () => 0,
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    const stopping = Date.now();
    child.kill('SIGTERM');
    const code = await exited;
    const seconds = (Date.now() - stopping) / 1000;
    expect(code, output).toBe(0);
    // The forced close of connections comes after 10 s; the workers must not hold the process that long.
    expect(seconds).toBeLessThan(5);
    for (const status of await Promise.all(writes)) {
      expect([0, 201, 503]).toContain(status);
    }
  });
});
