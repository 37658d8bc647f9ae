/**
 * Security overhead: the same data (a seeded database copied three times) behind a plain server, one with API-key
 * auth and request signing, and, for reads, one that also writes an audit row per successful read instead of
 * summaries. All get the same requests (the plain one ignores the key and signature headers), each signature used
 * once per server with a fresh timestamp. Latency runs pair the requests (AB, BA, …) and throughput runs alternate
 * short blocks, so drift and other processes' load weigh on both servers alike.
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { signatureHeaders } from '@contextpilot/client';

import { ROUTE_LIMITS, sleep, type BenchContext } from './context.js';
import { createGenerator } from './data.js';
import { failureRow, sample, withOthers } from './endpoints.js';
import { runAlternatingBlocks, runConcurrent, runPaired, runSequential, type Sample } from './load.js';
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
    await waitIndexed(server.client, 30 * 60_000, (remaining) =>
      ctx.progress(`security seed: ${remaining} units without vectors`),
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
  copyDatabase(seeded, join(dir, 'secured-rows.db'));

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
    const securedEnv = {
      ...ctx.rateLimits.env,
      CONTEXTPILOT_ENABLE_AUTH: 'true',
      CONTEXTPILOT_API_KEY: apiKey,
      CONTEXTPILOT_ENABLE_REQUEST_SIGNING: 'true',
      CONTEXTPILOT_REQUEST_SIGNING_SECRET: secret,
    };
    const secured = await startServer({
      name: 'security-secured',
      mode: ctx.mode,
      workDir: dir,
      databasePath: join(dir, 'secured.db'),
      env: securedEnv,
    });
    started.push(secured);
    // The same, with an audit row for every successful read (as the original API wrote them) instead of summaries.
    const securedRows = await startServer({
      name: 'security-secured-rows',
      mode: ctx.mode,
      workDir: dir,
      databasePath: join(dir, 'secured-rows.db'),
      env: { ...securedEnv, CONTEXTPILOT_SECURITY_EVENT_AGGREGATE_SECONDS: '0' },
    });
    started.push(securedRows);
    const gen = createGenerator(ctx.seed + 11);

    let invalid = 0;
    /**
     * Signed create requests, each with its own body and signature, made just before a run (outside its timing).
     * `invalid` bodies have an unknown type: they pass auth, signature and replay checks and then fail validation
     * (422) without being embedded, which isolates the security cost from the embedding's.
     */
    async function prepareCreates(count: number, kind: 'valid' | 'invalid' = 'valid'): Promise<Prepared[]> {
      const prepared: Prepared[] = [];
      for (let i = 0; i < count; i++) {
        const body = JSON.stringify(
          kind === 'valid'
            ? gen.createBody()
            : { type: `unknown-${++invalid}`, content: 'A note that is never stored.' },
        );
        const signature = await signatureHeaders({ secret, method: 'POST', pathWithQuery: '/contexts', body });
        prepared.push({ body, headers: { 'content-type': 'application/json', 'x-api-key': apiKey, ...signature } });
      }
      return prepared;
    }

    await checkSecurityIsOn(secured, apiKey, await prepareCreates(1));
    await checkSecurityIsOn(securedRows, apiKey, await prepareCreates(1));

    type Make = (server: ServerHandle, prepared: Prepared[]) => (i: number) => Promise<Sample>;
    const getRequest: Make = (server) => () =>
      sample(() => server.client.send('/contexts?limit=10', { headers: { 'x-api-key': apiKey } }), 200);
    // The same prepared request goes to both servers: the plain one ignores key and signature, and each server
    // sees each signature once.
    const postRequest =
      (expect: number): Make =>
      (server, prepared) =>
      (i) => {
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
          expect,
        );
      };

    const c = ctx.counts;
    const blockMs = c.securityThroughputMs / c.securityBlocks;
    for (const server of [plain, secured, securedRows]) {
      await runSequential(c.warmup * 2, 60_000, getRequest(server, []));
      // A second of concurrent reads, so both servers' hot paths are compiled before the first measured block: a few
      // dozen requests leave much of the code unoptimized, and more of it on the secured side.
      await runConcurrent(c.concurrency, c.securityThroughputMs / c.securityBlocks, 1_000_000, getRequest(server, []));
      const warm = await prepareCreates(c.warmup);
      await runSequential(warm.length, 60_000, postRequest(201)(server, warm));
      const warmInvalid = await prepareCreates(c.warmup * 2, 'invalid');
      await runSequential(warmInvalid.length, 60_000, postRequest(422)(server, warmInvalid));
    }

    // Each server only works on its own requests, so its CPU time over a phase is its cost of that phase.
    const cpuOf = (server: ServerHandle) => server.cpuMs();
    const s = 'security';
    const phase = async (options: {
      label: string;
      pairs: number;
      make: Make;
      /** Prepared requests for `count` requests (none for unsigned ones). */
      prepare: (count: number) => Promise<Prepared[]>;
      /** At most this many requests per server and block (the prepared ones). */
      perBlock: number;
      /** Which rows are held to the targets (≤ 1 ms p95 difference, ≤ 10 % throughput loss). */
      targets: { p95: boolean; throughput: boolean };
      /** The secured side (default: the server with summarized reads). */
      against?: ServerHandle;
      note?: string;
      p95Note?: string;
    }): Promise<Row[]> => {
      ctx.progress(`security: ${options.label}, ${options.pairs} pairs + ${c.securityBlocks} blocks`);
      await waitUntilQuiet(started);
      const against = options.against ?? secured;
      const cpuBefore = [cpuOf(plain), cpuOf(against)];
      const watch = ctx.watchOthers();
      const sequential = await options.prepare(options.pairs);
      const [a, b] = await runPaired(
        options.pairs,
        180_000,
        options.make(plain, sequential),
        options.make(against, sequential),
      );
      const blockPrepared: Prepared[][] = [];
      const preparedFor = async (block: number) => (blockPrepared[block] ??= await options.prepare(options.perBlock));
      const [ac, bc] = await runAlternatingBlocks(
        c.securityBlocks,
        blockMs,
        c.concurrency,
        async (block) => options.make(plain, await preparedFor(block)),
        async (block) => options.make(against, await preparedFor(block)),
        options.perBlock,
      );
      const others = watch.stop();
      const cpuAfter = [cpuOf(plain), cpuOf(against)];
      const perRequest = (side: 0 | 1, requests: number) => {
        const before = cpuBefore[side];
        const after = cpuAfter[side];
        return before === null || before === undefined || after === null || after === undefined || requests === 0
          ? null
          : (after - before) / requests;
      };
      const cpuPlain = perRequest(0, a.ok + ac.ok);
      const cpuSecured = perRequest(1, b.ok + bc.ok);
      const loss = ac.throughput > 0 ? ((ac.throughput - bc.throughput) / ac.throughput) * 100 : Number.NaN;
      const label = options.label;
      ctx.details[`security-${label}`] = {
        plain: { sequential: a, concurrent: ac, cpuPerRequestMs: cpuPlain },
        secured: { sequential: b, concurrent: bc, cpuPerRequestMs: cpuSecured },
      };
      return withOthers(others, [
        {
          section: s,
          size,
          metric: `${label} p95 plain`,
          value: a.latency.p95,
          unit: 'ms',
          note: `p50 ${a.latency.p50.toFixed(2)} ms, ${a.ok} req${options.note ? `; ${options.note}` : ''}`,
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
          target: options.targets.p95 ? { kind: 'max', limit: 1 } : undefined,
          note: `p50 difference ${(b.latency.p50 - a.latency.p50).toFixed(2)} ms; requests paired AB/BA${options.p95Note ? `; ${options.p95Note}` : ''}`,
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
          target: options.targets.throughput ? { kind: 'max', limit: 10 } : undefined,
          note: `${c.securityBlocks} alternating blocks of ${(blockMs / 1000).toFixed(1)} s per server`,
        },
        ...(cpuPlain === null || cpuSecured === null
          ? []
          : [
              {
                section: s,
                size,
                metric: `${label} server CPU / request difference`,
                value: cpuSecured - cpuPlain,
                unit: 'ms' as const,
                note: `plain ${cpuPlain.toFixed(3)} ms, secured ${cpuSecured.toFixed(3)} ms (all threads)`,
              },
            ]),
        ...failureRow(s, size, `${label} plain`, a, ac),
        ...failureRow(s, size, `${label} secured`, b, bc),
      ]);
    };

    const reads = {
      pairs: c.securityGetSequential,
      make: getRequest,
      prepare: () => Promise.resolve([]),
      perBlock: 1_000_000,
    };
    ctx.rows.push(
      ...(await phase({
        ...reads,
        label: 'GET /contexts?limit=10',
        targets: { p95: true, throughput: true },
      })),
      ...(await phase({
        label: 'POST /contexts (signed)',
        pairs: c.securityPostSequential,
        make: postRequest(201),
        prepare: (count) => prepareCreates(count),
        // Enough for 1,000 creates/s; running out would show up as failures.
        perBlock: Math.ceil(blockMs),
        // Embedding spreads these requests over tens of milliseconds, far more than the security work: the p95 of
        // that work is held to its target in the next phase, where the same checks run without embedding.
        targets: { p95: false, throughput: true },
        p95Note: 'embedding noise; the security work is measured by the 422 phase',
      })),
      ...(await phase({
        label: 'POST /contexts 422 (signed)',
        pairs: c.securityGetSequential,
        make: postRequest(422),
        prepare: (count) => prepareCreates(count, 'invalid'),
        perBlock: Math.ceil(blockMs * 5),
        targets: { p95: true, throughput: false },
        note: 'invalid type: auth + signature + replay check, no embedding',
      })),
      ...(await phase({
        ...reads,
        label: 'GET /contexts?limit=10, a row per read',
        targets: { p95: false, throughput: false },
        against: securedRows,
        note: 'CONTEXTPILOT_SECURITY_EVENT_AGGREGATE_SECONDS=0',
      })),
    );
    for (const server of started) {
      ctx.details[`security-memory-${server.name}`] = server.memory();
    }
  } finally {
    await Promise.all(started.map((server) => server.stop()));
  }
}

/**
 * Waits (at most 10 s) until no server is still busy with earlier work (writes, indexing, garbage collection):
 * leftover work in one server would weigh on the blocks of whichever server runs beside it.
 */
async function waitUntilQuiet(servers: readonly ServerHandle[]): Promise<void> {
  const windowMs = 250;
  const deadline = performance.now() + 10_000;
  while (performance.now() < deadline) {
    const before = servers.map((s) => s.cpuMs());
    await sleep(windowMs);
    const busy = servers.some((s, i) => {
      const start = before[i];
      const end = s.cpuMs();
      return start !== null && start !== undefined && end !== null && end - start > windowMs * 0.05;
    });
    if (!busy) {
      return;
    }
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
