import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { FastifyInstance } from 'fastify';

import { buildApp, type AppOverrides } from '../src/app.js';
import { loadConfig, type Config } from '../src/config.js';
import type { Embedder } from '../src/providers/embeddings/embedder.js';
import { createUseLiteEmbedder } from '../src/providers/embeddings/use-lite.js';

let shared: Promise<Embedder> | null = null;

/** The real USE-lite model, loaded once per test process and shared by every app the process builds. */
export function sharedEmbedder(): Promise<Embedder> {
  shared ??= (async () => {
    const embedder = createUseLiteEmbedder({ maxWorkers: 1 });
    await embedder.init();
    return embedder;
  })();
  return shared;
}

const tempDirs: string[] = [];

/** A fresh temporary directory, removed when the process exits. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'contextpilot-test-'));
  tempDirs.push(dir);
  return dir;
}
process.on('exit', () => {
  for (const dir of tempDirs) {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Configuration for tests: a temp SQLite file, quiet logs, everything else default unless overridden. */
export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    CONTEXTPILOT_DATABASE_URL: `sqlite:${join(tempDir(), 'test.db')}`,
    CONTEXTPILOT_LOG_LEVEL: 'silent',
    CONTEXTPILOT_EMBEDDING_WORKERS: '1',
    ...env,
  });
}

/** The real app over a temp SQLite database and the shared real embedding model. */
export async function buildTestApp(
  env: Record<string, string> = {},
  overrides: AppOverrides = {},
): Promise<FastifyInstance> {
  const embedder = overrides.embedder ?? (await sharedEmbedder());
  const app = await buildApp(testConfig(env), { ...overrides, embedder });
  await app.ready();
  return app;
}

/** Builds a multipart/form-data body with one file field. */
export function multipartFile(
  field: string,
  filename: string,
  content: string | Uint8Array,
  contentType = 'application/octet-stream',
) {
  const boundary = `----contextpilot${Math.random().toString(16).slice(2)}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\nContent-Type: ${contentType}\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const body = Buffer.concat([head, typeof content === 'string' ? Buffer.from(content) : Buffer.from(content), tail]);
  return { body, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}
