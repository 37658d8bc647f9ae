import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';

import { buildApp, type AppOverrides } from '../src/app.js';
import { loadConfig, type Config } from '../src/config.js';
import type { Clock } from '../src/domain/types.js';
import type { Embedder } from '../src/providers/embeddings/embedder.js';
import { createUseLiteEmbedder } from '../src/providers/embeddings/use-lite.js';

let shared: Promise<Embedder> | null = null;

/** The real USE-lite model, loaded once per test process and shared by every app the process builds. */
export function sharedEmbedder(): Promise<Embedder> {
  shared ??= (async () => {
    const embedder = createUseLiteEmbedder({ maxWorkers: 1, maxChunks: 20, deadlineMs: 60_000 });
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

/** A built web UI in a fresh directory: `index.html`, one script under `assets/` and a favicon. */
export function fakeWebUi(): string {
  const dir = tempDir();
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>UI</title><script src="/assets/app.js"></script>');
  writeFileSync(join(dir, 'assets', 'app.js'), 'void 0;');
  writeFileSync(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  return dir;
}

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

/** A clock that moves only when the test moves it, starting at `startMs` (epoch milliseconds). */
export function manualClock(startMs: number) {
  let t = startMs;
  const clock: Clock = { now: () => new Date(t) };
  return { clock, advance: (ms: number) => void (t += ms), ms: () => t };
}

export type ManualClock = ReturnType<typeof manualClock>;

/** Starts `app` listening on a random loopback port; resolves to its base URL (`http://127.0.0.1:PORT`). */
export async function listenOnLoopback(app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (typeof address !== 'object' || address === null) {
    throw new Error('no address');
  }
  return `http://127.0.0.1:${address.port}`;
}

/** An app listening on real HTTP, with the manual clock it runs on. */
export interface HttpTestApp {
  app: FastifyInstance;
  base: string;
  time: ManualClock;
}

/** `buildTestApp(env, overrides)` on a manual clock that starts at `clockStartMs`, listening on loopback. */
export async function startHttpTestApp(
  env: Record<string, string>,
  clockStartMs: number,
  overrides: AppOverrides = {},
): Promise<HttpTestApp> {
  const time = manualClock(clockStartMs);
  const app = await buildTestApp(env, { ...overrides, clock: time.clock });
  return { app, base: await listenOnLoopback(app), time };
}

let clientCount = 0;
/**
 * `app.inject` from a client address of its own: the per-IP rate limits of the v1 API (100 creates and 50 prompts
 * a minute) are not what these tests are about, and they send more requests than that.
 */
export function inject(target: FastifyInstance, options: InjectOptions): Promise<LightMyRequestResponse> {
  clientCount++;
  return target.inject({
    remoteAddress: `10.${(clientCount >> 16) & 255}.${(clientCount >> 8) & 255}.${clientCount & 255}`,
    ...options,
  });
}

/** A word no other test uses: letters and digits only, so it is one full-text term and a valid tag. */
export function token(): string {
  return `tok${randomUUID().replace(/-/g, '')}`;
}

/** A loopback URL nothing listens on. */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
