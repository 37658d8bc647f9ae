/**
 * Per-size endpoint measurements on one server: `POST /generate-prompt` (HTTP latency and Server-Timing `embed` /
 * `rank`), `GET /contexts` (default limit 100) and `POST /contexts` (≤ 100 words). Each: a warm-up, a sequential run
 * for latency percentiles, then a concurrency-4 run for throughput.
 */
import { ROUTE_LIMITS, type BenchContext } from './context.js';
import type { HttpResponse } from './http.js';
import { parseServerTiming, runConcurrent, runSequential, type RunResult, type Sample } from './load.js';
import type { Row, Target } from './report.js';
import type { ServerHandle } from './server-process.js';

const max = (limit: number): Target => ({ kind: 'max', limit });

/** Runs a request and turns the outcome into a sample: `expect` status is ok, anything else (or a throw) is not. */
export async function sample(
  send: () => Promise<HttpResponse>,
  expect: number,
  extra?: (r: HttpResponse) => Record<string, number>,
): Promise<Sample> {
  try {
    const response = await send();
    if (response.status !== expect) {
      return {
        ok: false,
        ms: response.ms,
        error: `HTTP ${response.status}: ${response.body.toString('utf8').slice(0, 160)}`,
      };
    }
    return { ok: true, ms: response.ms, extra: extra?.(response) };
  } catch (error) {
    return { ok: false, ms: 0, error: error instanceof Error ? error.message : String(error) };
  }
}

/** Sequential latency run + concurrency run of one request function, after a warm-up. */
export async function measure(
  ctx: BenchContext,
  server: Pick<ServerHandle, 'cpuMs'>,
  request: (i: number) => Promise<Sample>,
  sequentialCount: number,
): Promise<{
  sequential: RunResult;
  concurrent: RunResult;
  others: { sequential: number | null; concurrent: number | null };
  /** Server CPU time (all threads) per successful request over both runs. */
  cpuPerRequestMs: number | null;
}> {
  let i = 0;
  await runSequential(ctx.counts.warmup, 60_000, () => request(i++));
  const cpuBefore = server.cpuMs();
  let watch = ctx.watchOthers();
  const sequential = await runSequential(sequentialCount, 180_000, () => request(i++));
  const othersSequential = watch.stop();
  watch = ctx.watchOthers();
  const concurrent = await runConcurrent(ctx.counts.concurrency, ctx.counts.throughputMs, 1_000_000, () =>
    request(i++),
  );
  const othersConcurrent = watch.stop();
  const cpuAfter = server.cpuMs();
  const requests = sequential.ok + concurrent.ok;
  return {
    sequential,
    concurrent,
    others: { sequential: othersSequential, concurrent: othersConcurrent },
    cpuPerRequestMs:
      cpuBefore === null || cpuAfter === null || requests === 0 ? null : (cpuAfter - cpuBefore) / requests,
  };
}

/** An info row: server CPU time per request (less sensitive to other processes than wall time). */
export function cpuRow(section: string, size: number, name: string, cpuPerRequestMs: number | null): Row[] {
  if (cpuPerRequestMs === null) {
    return [];
  }
  return [
    {
      section,
      size,
      metric: `${name} server CPU / request`,
      value: cpuPerRequestMs,
      unit: 'ms',
      note: 'all server threads, sequential + concurrent runs',
    },
  ];
}

/** Sets `otherCores` on rows that do not have it. */
export function withOthers(others: number | null, rows: Row[]): Row[] {
  return rows.map((row) => ('otherCores' in row ? row : { ...row, otherCores: others }));
}

/** A MISS row when any request failed (so a 429 or 500 can never pass as a fast answer). */
export function failureRow(section: string, size: number | undefined, name: string, ...runs: RunResult[]): Row[] {
  const failed = runs.reduce((n, r) => n + r.failed, 0);
  if (failed === 0) {
    return [];
  }
  const errors = [...new Set(runs.flatMap((r) => r.errors))];
  return [
    {
      section,
      size,
      metric: `${name} failed requests`,
      value: failed,
      unit: 'count',
      target: max(0),
      note: errors[0]?.slice(0, 120),
    },
  ];
}

function concurrencyNote(ctx: BenchContext, run: RunResult): string {
  return `c=${ctx.counts.concurrency}, ${(run.elapsedMs / 1000).toFixed(1)} s, ${run.ok} req, p95 ${run.latency.p95.toFixed(1)} ms`;
}

export async function measurePrompt(
  ctx: BenchContext,
  server: ServerHandle,
  size: number,
  tasks: readonly string[],
): Promise<void> {
  const { client } = server;
  const request = (i: number) =>
    sample(
      () =>
        client.send('/generate-prompt', {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...ctx.rateLimits.headers('POST /generate-prompt', ROUTE_LIMITS.generatePrompt),
          },
          body: JSON.stringify({ task: tasks[i % tasks.length], max_context_units: 5 }),
        }),
      200,
      (r) => parseServerTiming(r.headers['server-timing']),
    );
  const { sequential, concurrent, others, cpuPerRequestMs } = await measure(
    ctx,
    server,
    request,
    ctx.counts.sequential,
  );
  const large = size > 10_000;
  const rank = sequential.extra['rank'];
  const embed = sequential.extra['embed'];
  const s = 'prompt';
  ctx.rows.push(
    ...withOthers(others.sequential, [
      { section: s, size, metric: 'POST /generate-prompt p50', value: sequential.latency.p50, unit: 'ms' },
      {
        section: s,
        size,
        metric: 'POST /generate-prompt p95',
        value: sequential.latency.p95,
        unit: 'ms',
        target: max(large ? 100 : 40),
      },
      {
        section: s,
        size,
        metric: 'POST /generate-prompt p99',
        value: sequential.latency.p99,
        unit: 'ms',
        note: `${sequential.ok} sequential requests`,
      },
      { section: s, size, metric: 'Server-Timing rank p50', value: rank?.p50 ?? Number.NaN, unit: 'ms' },
      {
        section: s,
        size,
        metric: 'Server-Timing rank p95',
        value: rank?.p95 ?? Number.NaN,
        unit: 'ms',
        target: max(large ? 30 : 5),
      },
      ...(['fts', 'dense'] as const).map((step): Row => ({
        section: s,
        size,
        metric: `Server-Timing ${step} p50 / p95`,
        value: sequential.extra[step]?.p50 ?? Number.NaN,
        unit: 'ms',
        note: `p95 ${sequential.extra[step]?.p95.toFixed(2) ?? '–'} ms (part of rank)`,
      })),
      { section: s, size, metric: 'Server-Timing embed p50', value: embed?.p50 ?? Number.NaN, unit: 'ms' },
      { section: s, size, metric: 'Server-Timing embed p95', value: embed?.p95 ?? Number.NaN, unit: 'ms' },
    ]),
    {
      section: s,
      size,
      metric: 'POST /generate-prompt throughput',
      value: concurrent.throughput,
      unit: 'req/s',
      note: concurrencyNote(ctx, concurrent),
      otherCores: others.concurrent,
    },
    ...cpuRow(s, size, 'POST /generate-prompt', cpuPerRequestMs),
    ...failureRow(s, size, 'POST /generate-prompt', sequential, concurrent),
  );
  ctx.details[`prompt-${size}`] = { sequential, concurrent };
}

export async function measureList(ctx: BenchContext, server: ServerHandle, size: number): Promise<void> {
  const { client } = server;
  const request = () => sample(() => client.send('/contexts'), 200);
  const { sequential, concurrent, others, cpuPerRequestMs } = await measure(
    ctx,
    server,
    request,
    ctx.counts.sequential,
  );
  const s = 'list';
  ctx.rows.push(
    {
      section: s,
      size,
      metric: 'GET /contexts p50',
      value: sequential.latency.p50,
      unit: 'ms',
      note: 'default limit 100',
      otherCores: others.sequential,
    },
    {
      section: s,
      size,
      metric: 'GET /contexts p95',
      value: sequential.latency.p95,
      unit: 'ms',
      otherCores: others.sequential,
    },
    {
      section: s,
      size,
      metric: 'GET /contexts throughput',
      value: concurrent.throughput,
      unit: 'req/s',
      note: concurrencyNote(ctx, concurrent),
      otherCores: others.concurrent,
    },
    ...cpuRow(s, size, 'GET /contexts', cpuPerRequestMs),
    ...failureRow(s, size, 'GET /contexts', sequential, concurrent),
  );
  ctx.details[`list-${size}`] = { sequential, concurrent };
}

export async function measureCreate(
  ctx: BenchContext,
  server: ServerHandle,
  size: number,
  bodies: readonly { type: string; content: string; tags: string[]; confidence: number }[],
): Promise<void> {
  const { client } = server;
  const request = (i: number) =>
    sample(
      () =>
        client.send('/contexts', {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...ctx.rateLimits.headers('POST /contexts', ROUTE_LIMITS.createContext),
          },
          body: JSON.stringify(bodies[i % bodies.length]),
        }),
      201,
    );
  const { sequential, concurrent, others, cpuPerRequestMs } = await measure(
    ctx,
    server,
    request,
    ctx.counts.createSequential,
  );
  const s = 'create';
  ctx.rows.push(
    {
      section: s,
      size,
      metric: 'POST /contexts p50',
      value: sequential.latency.p50,
      unit: 'ms',
      note: '≤ 100 words, embedded on the request',
      otherCores: others.sequential,
    },
    {
      section: s,
      size,
      metric: 'POST /contexts p95',
      value: sequential.latency.p95,
      unit: 'ms',
      target: max(100),
      otherCores: others.sequential,
    },
    {
      section: s,
      size,
      metric: 'POST /contexts throughput',
      value: concurrent.throughput,
      unit: 'req/s',
      note: concurrencyNote(ctx, concurrent),
      otherCores: others.concurrent,
    },
    ...cpuRow(s, size, 'POST /contexts', cpuPerRequestMs),
    ...failureRow(s, size, 'POST /contexts', sequential, concurrent),
  );
  ctx.details[`create-${size}`] = { sequential, concurrent };
}
