/**
 * Security overhead: the same data (a seeded database copied twice) behind a plain server and one with API-key auth
 * and request signing. Both get the same requests (the plain one ignores the key and signature headers), each
 * signature used once per server with a fresh timestamp. Latency runs pair the requests (AB, BA, …) and throughput
 * runs alternate short blocks, so drift and other processes' load weigh on both servers alike.
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { signatureHeaders } from '@contextpilot/client';

import { ROUTE_LIMITS, type BenchContext } from './context.js';
import { createGenerator } from './data.js';
import { failureRow, sample, withOthers } from './endpoints.js';
import { runAlternatingBlocks, runPaired, runSequential, type RunResult } from './load.js';
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
  const server = await startServer({
    name: 'security-seed',
    mode: ctx.mode,
    workDir: dir,
    databasePath: path,
    env: ctx.rateLimits.env,
  });
  try {
    const gen = createGenerator(ctx.seed + 7);
    for (let done = 0; done < size; done += 10_000) {
      await importBatch(
        server.client,
        Array.from({ length: Math.min(10_000, size - done) }, () => gen.unit()),
      );
    }
    await waitIndexed(server.client, 30 * 60_000, (pending) =>
      ctx.progress(`security seed: ${pending} units waiting for vectors`),
    );
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
    const plain = await startServer({
      name: 'security-plain',
      mode: ctx.mode,
      workDir: dir,
      databasePath: join(dir, 'plain.db'),
      env: ctx.rateLimits.env,
    });
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
    // The same prepared request goes to both servers: the plain one ignores key and signature, and each server
    // sees each signature once.
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

    const c = ctx.counts;
    const blockMs = c.securityThroughputMs / c.securityBlocks;
    for (const server of [plain, secured]) {
      await runSequential(c.warmup * 2, 60_000, getRequest(server));
      const warm = await prepareCreates(c.warmup);
      await runSequential(warm.length, 60_000, postRequest(server, warm));
    }

    let watch = ctx.watchOthers();
    ctx.progress(`security: GET /contexts?limit=10, ${c.securityGetSequential} pairs`);
    const [getPlain, getSecured] = await runPaired(
      c.securityGetSequential,
      120_000,
      getRequest(plain),
      getRequest(secured),
    );
    const [getPlainC, getSecuredC] = await runAlternatingBlocks(
      c.securityBlocks,
      blockMs,
      c.concurrency,
      () => Promise.resolve(getRequest(plain)),
      () => Promise.resolve(getRequest(secured)),
    );
    const getOthers = watch.stop();

    watch = ctx.watchOthers();
    ctx.progress(`security: POST /contexts, ${c.securityPostSequential} pairs`);
    const sequentialPosts = await prepareCreates(c.securityPostSequential);
    const [postPlain, postSecured] = await runPaired(
      sequentialPosts.length,
      180_000,
      postRequest(plain, sequentialPosts),
      postRequest(secured, sequentialPosts),
    );
    // Enough prepared requests per block for 1,000 creates/s, made before the block; running out shows as failures.
    const perBlock = Math.ceil(blockMs);
    const blockPosts: Prepared[][] = [];
    const postsFor = async (block: number) => (blockPosts[block] ??= await prepareCreates(perBlock));
    const [postPlainC, postSecuredC] = await runAlternatingBlocks(
      c.securityBlocks,
      blockMs,
      c.concurrency,
      async (block) => postRequest(plain, await postsFor(block)),
      async (block) => postRequest(secured, await postsFor(block)),
      perBlock,
    );
    const postOthers = watch.stop();
    for (const server of started) {
      ctx.details[`security-memory-${server.name}`] = server.memory();
    }

    const s = 'security';
    const compare = (
      label: string,
      others: number | null,
      a: RunResult,
      b: RunResult,
      ac: RunResult,
      bc: RunResult,
    ): Row[] => {
      const loss = ac.throughput > 0 ? ((ac.throughput - bc.throughput) / ac.throughput) * 100 : Number.NaN;
      ctx.details[`security-${label}`] = {
        plain: { sequential: a, concurrent: ac },
        secured: { sequential: b, concurrent: bc },
      };
      return withOthers(others, [
        {
          section: s,
          size,
          metric: `${label} p95 plain`,
          value: a.latency.p95,
          unit: 'ms',
          note: `p50 ${a.latency.p50.toFixed(2)} ms, ${a.ok} req`,
        },
        {
          section: s,
          size,
          metric: `${label} p95 secured`,
          value: b.latency.p95,
          unit: 'ms',
          note: `p50 ${b.latency.p50.toFixed(2)} ms, ${b.ok} req`,
        },
        {
          section: s,
          size,
          metric: `${label} p95 difference`,
          value: b.latency.p95 - a.latency.p95,
          unit: 'ms',
          target: { kind: 'max', limit: 1 },
          note: `p50 difference ${(b.latency.p50 - a.latency.p50).toFixed(2)} ms; requests paired AB/BA`,
        },
        {
          section: s,
          size,
          metric: `${label} throughput plain`,
          value: ac.throughput,
          unit: 'req/s',
          note: `c=${c.concurrency}, ${ac.ok} req`,
        },
        {
          section: s,
          size,
          metric: `${label} throughput secured`,
          value: bc.throughput,
          unit: 'req/s',
          note: `c=${c.concurrency}, ${bc.ok} req`,
        },
        {
          section: s,
          size,
          metric: `${label} throughput loss`,
          value: loss,
          unit: '%',
          target: { kind: 'max', limit: 10 },
          note: `${c.securityBlocks} alternating blocks of ${(blockMs / 1000).toFixed(1)} s per server`,
        },
        ...failureRow(s, size, `${label} plain`, a, ac),
        ...failureRow(s, size, `${label} secured`, b, bc),
      ]);
    };
    ctx.rows.push(
      ...compare('GET /contexts?limit=10', getOthers, getPlain, getSecured, getPlainC, getSecuredC),
      ...compare('POST /contexts (signed)', postOthers, postPlain, postSecured, postPlainC, postSecuredC),
    );
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
