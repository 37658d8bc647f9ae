/**
 * Security overhead: the same data (a seeded database copied twice) behind a plain server and one with API-key auth
 * and request signing. Both get byte-for-byte the same kind of requests (the plain one ignores the key and signature
 * headers), each signature used once with a fresh timestamp. Rounds alternate the order of the two servers so
 * drift (JIT, page cache, CPU frequency) does not favour one.
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { signatureHeaders } from '@contextpilot/client';

import { ROUTE_LIMITS, type BenchContext } from './context.js';
import { createGenerator } from './data.js';
import { failureRow, sample } from './endpoints.js';
import { combine, runConcurrent, runSequential, type RunResult } from './load.js';
import type { Row } from './report.js';
import { importBatch, waitIndexed } from './seed.js';
import { startServer, type ServerHandle } from './server-process.js';

interface Prepared {
  body: string;
  headers: Record<string, string>;
}

/** Seeds `size` units into a fresh database with a throw-away server; returns the database path (server stopped). */
async function seedDatabase(ctx: BenchContext, dir: string, size: number): Promise<string> {
  const path = join(dir, 'seed.db');
  const server = await startServer({ name: 'security-seed', mode: ctx.mode, workDir: dir, databasePath: path, env: ctx.rateLimits.env });
  try {
    const gen = createGenerator(ctx.seed + 7);
    for (let done = 0; done < size; done += 10_000) {
      await importBatch(server.client, Array.from({ length: Math.min(10_000, size - done) }, () => gen.unit()));
    }
    await waitIndexed(server.client, 30 * 60_000, (pending) => ctx.progress(`security seed: ${pending} units waiting for vectors`));
  } finally {
    await server.stop();
  }
  return path;
}

function copyDatabase(from: string, to: string): void {
  copyFileSync(from, to);
  for (const suffix of ['-wal', '-shm']) {
    if (existsSync(from + suffix)) {
      copyFileSync(from + suffix, to + suffix);
    }
  }
}

export async function runSecurity(ctx: BenchContext, size: number): Promise<void> {
  const dir = join(ctx.workRoot, 'security');
  mkdirSync(dir, { recursive: true });
  ctx.progress(`security: seeding ${size} units`);
  const seeded = await seedDatabase(ctx, dir, size);
  copyDatabase(seeded, join(dir, 'plain.db'));
  copyDatabase(seeded, join(dir, 'secured.db'));

  const apiKey = randomBytes(32).toString('base64url');
  const secret = randomBytes(32).toString('hex');
  const started: ServerHandle[] = [];
  try {
    const plain = await startServer({ name: 'security-plain', mode: ctx.mode, workDir: dir, databasePath: join(dir, 'plain.db'), env: ctx.rateLimits.env });
    started.push(plain);
    const secured = await startServer({
      name: 'security-secured',
      mode: ctx.mode,
      workDir: dir,
      databasePath: join(dir, 'secured.db'),
      env: {
        ...ctx.rateLimits.env,
        CONTEXTPILOT_ENABLE_AUTH: 'true',
        CONTEXTPILOT_API_KEY: apiKey,
        CONTEXTPILOT_ENABLE_REQUEST_SIGNING: 'true',
        CONTEXTPILOT_REQUEST_SIGNING_SECRET: secret,
      },
    });
    started.push(secured);
    const gen = createGenerator(ctx.seed + 11);

    /** Signed create requests, each with its own body and signature, made just before a run (outside its timing). */
    async function prepareCreates(count: number): Promise<Prepared[]> {
      const prepared: Prepared[] = [];
      for (let i = 0; i < count; i++) {
        const body = JSON.stringify(gen.createBody());
        const signature = await signatureHeaders({ secret, method: 'POST', pathWithQuery: '/contexts', body });
        prepared.push({ body, headers: { 'content-type': 'application/json', 'x-api-key': apiKey, ...signature } });
      }
      return prepared;
    }

    await checkSecurityIsOn(secured, apiKey, await prepareCreates(1));

    const getRequest = (server: ServerHandle) => () =>
      sample(() => server.client.send('/contexts?limit=10', { headers: { 'x-api-key': apiKey } }), 200);
    const postRequest = (server: ServerHandle, prepared: Prepared[]) => (i: number) => {
      const item = prepared[i];
      if (item === undefined) {
        return Promise.resolve({ ok: false, ms: 0, error: 'ran out of prepared requests' });
      }
      return sample(
        () =>
          server.client.send('/contexts', {
            method: 'POST',
            headers: { ...item.headers, ...ctx.rateLimits.headers('POST /contexts', ROUTE_LIMITS.createContext) },
            body: item.body,
          }),
        201,
      );
    };

    const runs = {
      plain: { get: [] as RunResult[], getC: [] as RunResult[], post: [] as RunResult[], postC: [] as RunResult[] },
      secured: { get: [] as RunResult[], getC: [] as RunResult[], post: [] as RunResult[], postC: [] as RunResult[] },
    };
    const c = ctx.counts;
    for (const server of [plain, secured]) {
      await runSequential(c.warmup * 2, 60_000, getRequest(server));
      const warm = await prepareCreates(c.warmup);
      await runSequential(warm.length, 60_000, postRequest(server, warm));
    }
    for (let round = 0; round < c.securityRounds; round++) {
      const order = round % 2 === 0 ? (['plain', 'secured'] as const) : (['secured', 'plain'] as const);
      for (const name of order) {
        const server = name === 'plain' ? plain : secured;
        ctx.progress(`security: round ${round + 1}/${c.securityRounds}, ${name}`);
        runs[name].get.push(await runSequential(c.securityGetSequential, 120_000, getRequest(server)));
        runs[name].getC.push(await runConcurrent(c.concurrency, c.securityThroughputMs, 1_000_000, getRequest(server)));
        const sequentialPosts = await prepareCreates(c.securityPostSequential);
        runs[name].post.push(await runSequential(sequentialPosts.length, 120_000, postRequest(server, sequentialPosts)));
        // Enough prepared requests for ~1,000 creates/s; a run that used them all would show up as failures.
        const concurrentPosts = await prepareCreates(Math.ceil(c.securityThroughputMs));
        runs[name].postC.push(await runConcurrent(c.concurrency, c.securityThroughputMs, concurrentPosts.length, postRequest(server, concurrentPosts)));
      }
    }
    for (const server of started) {
      ctx.details[`security-memory-${server.name}`] = server.memory();
    }

    const s = 'security';
    const pooled = (name: 'plain' | 'secured', key: keyof (typeof runs)['plain']) => combine(runs[name][key]);
    const compare = (label: string, seqKey: 'get' | 'post', conKey: 'getC' | 'postC'): Row[] => {
      const a = pooled('plain', seqKey);
      const b = pooled('secured', seqKey);
      const ac = pooled('plain', conKey);
      const bc = pooled('secured', conKey);
      const loss = ac.throughput > 0 ? ((ac.throughput - bc.throughput) / ac.throughput) * 100 : Number.NaN;
      ctx.details[`security-${seqKey}`] = { plain: { sequential: a, concurrent: ac }, secured: { sequential: b, concurrent: bc } };
      return [
        { section: s, size, metric: `${label} p95 plain`, value: a.latency.p95, unit: 'ms', note: `p50 ${a.latency.p50.toFixed(2)} ms, ${a.ok} req` },
        { section: s, size, metric: `${label} p95 secured`, value: b.latency.p95, unit: 'ms', note: `p50 ${b.latency.p50.toFixed(2)} ms, ${b.ok} req` },
        {
          section: s,
          size,
          metric: `${label} p95 difference`,
          value: b.latency.p95 - a.latency.p95,
          unit: 'ms',
          target: { kind: 'max', limit: 1 },
          note: `p50 difference ${(b.latency.p50 - a.latency.p50).toFixed(2)} ms`,
        },
        { section: s, size, metric: `${label} throughput plain`, value: ac.throughput, unit: 'req/s', note: `c=${c.concurrency}` },
        { section: s, size, metric: `${label} throughput secured`, value: bc.throughput, unit: 'req/s', note: `c=${c.concurrency}` },
        { section: s, size, metric: `${label} throughput loss`, value: loss, unit: '%', target: { kind: 'max', limit: 10 } },
        ...failureRow(s, size, `${label} plain`, ...runs.plain[seqKey], ...runs.plain[conKey]),
        ...failureRow(s, size, `${label} secured`, ...runs.secured[seqKey], ...runs.secured[conKey]),
      ];
    };
    ctx.rows.push(...compare('GET /contexts?limit=10', 'get', 'getC'), ...compare('POST /contexts (signed)', 'post', 'postC'));
  } finally {
    await Promise.all(started.map((server) => server.stop()));
  }
}

/** Refuses to measure a "secured" server that is not: no key → 401, unsigned POST → 401, replayed signature → 401. */
async function checkSecurityIsOn(server: ServerHandle, apiKey: string, prepared: Prepared[]): Promise<void> {
  const item = prepared[0];
  if (item === undefined) {
    throw new Error('no prepared request');
  }
  const noKey = await server.client.send('/contexts?limit=1');
  const unsigned = await server.client.send('/contexts', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
    body: item.body,
  });
  const first = await server.client.send('/contexts', { method: 'POST', headers: item.headers, body: item.body });
  const replay = await server.client.send('/contexts', { method: 'POST', headers: item.headers, body: item.body });
  const got = `no key ${noKey.status}, unsigned ${unsigned.status}, signed ${first.status}, replay ${replay.status}`;
  if (noKey.status !== 401 || unsigned.status !== 401 || first.status !== 201 || replay.status !== 401) {
    throw new Error(`the secured server does not behave as secured (${got})`);
  }
}
