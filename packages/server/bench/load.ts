/**
 * Pure helpers of the benchmark: percentiles, summaries, Server-Timing parsing, and the two bounded load loops
 * (sequential and fixed-concurrency). No I/O besides calling the function it is given.
 */
import { performance } from 'node:perf_hooks';

/** Distribution of a list of numbers (milliseconds unless said otherwise). */
export interface Summary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/**
 * The q-quantile (0..1) of `values` with linear interpolation between closest ranks:
 *   h = (n − 1)·q,  quantile = x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋])   over the sorted values x.
 * NaN for an empty list.
 */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) {
    return Number.NaN;
  }
  if (q < 0 || q > 1) {
    throw new RangeError(`quantile must be in [0,1], got ${q}`);
  }
  const sorted = [...values].sort((a, b) => a - b);
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (h - lo) * (b - a);
}

export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) {
    return {
      count: 0,
      min: Number.NaN,
      mean: Number.NaN,
      p50: Number.NaN,
      p95: Number.NaN,
      p99: Number.NaN,
      max: Number.NaN,
    };
  }
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const v of values) {
    min = Math.min(min, v);
    max = Math.max(max, v);
    sum += v;
  }
  return {
    count: values.length,
    min,
    mean: sum / values.length,
    p50: quantile(values, 0.5),
    p95: quantile(values, 0.95),
    p99: quantile(values, 0.99),
    max,
  };
}

/** `embed;dur=1.20, rank;dur=0.35` → `{ embed: 1.2, rank: 0.35 }`. Metrics without a numeric `dur` are skipped. */
export function parseServerTiming(header: string | string[] | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  if (header === undefined) {
    return out;
  }
  const text = Array.isArray(header) ? header.join(',') : header;
  for (const metric of text.split(',')) {
    const [rawName, ...params] = metric.split(';');
    const name = rawName?.trim();
    if (!name) {
      continue;
    }
    for (const param of params) {
      const match = /^\s*dur\s*=\s*"?(-?[\d.]+(?:e-?\d+)?)"?\s*$/i.exec(param);
      if (match?.[1] !== undefined) {
        const value = Number(match[1]);
        if (Number.isFinite(value)) {
          out[name] = value;
        }
      }
    }
  }
  return out;
}

/** One measured request. `ok` false means an unexpected status or an error; its time is not in the latencies. */
export interface Sample {
  ok: boolean;
  ms: number;
  /** Extra numbers per sample (e.g. Server-Timing `embed`, `rank`), summarized separately. */
  extra?: Record<string, number>;
  /** Why the sample failed (status code or error message); the first few are reported. */
  error?: string;
}

export interface RunResult {
  /** Latencies of the successful samples. */
  latency: Summary;
  /** The raw latencies of the successful samples, in order (left out of the JSON report). */
  latencies: number[];
  extra: Record<string, Summary>;
  ok: number;
  failed: number;
  errors: string[];
  elapsedMs: number;
  /** Successful requests per second of wall time. */
  throughput: number;
}

/** Folds samples into latency/extra summaries, counting failures. */
export function collect(samples: readonly Sample[], elapsedMs: number): RunResult {
  const good = samples.filter((s) => s.ok);
  const extraValues = new Map<string, number[]>();
  for (const s of good) {
    for (const [k, v] of Object.entries(s.extra ?? {})) {
      const list = extraValues.get(k) ?? [];
      list.push(v);
      extraValues.set(k, list);
    }
  }
  const errors = [...new Set(samples.filter((s) => !s.ok).map((s) => s.error ?? 'failed'))].slice(0, 5);
  return {
    latency: summarize(good.map((s) => s.ms)),
    latencies: good.map((s) => s.ms),
    extra: Object.fromEntries([...extraValues].map(([k, v]) => [k, summarize(v)])),
    ok: good.length,
    failed: samples.length - good.length,
    errors,
    elapsedMs,
    throughput: elapsedMs > 0 ? (good.length * 1000) / elapsedMs : 0,
  };
}

/** Several runs of the same requests as one: latencies pooled, throughput = all successes over all wall time. */
export function combine(runs: readonly RunResult[]): RunResult {
  const latencies = runs.flatMap((r) => r.latencies);
  const elapsedMs = runs.reduce((n, r) => n + r.elapsedMs, 0);
  const ok = runs.reduce((n, r) => n + r.ok, 0);
  return {
    latency: summarize(latencies),
    latencies,
    // Extras are per run (their raw values are not kept); the combined run has none.
    extra: {},
    ok,
    failed: runs.reduce((n, r) => n + r.failed, 0),
    errors: [...new Set(runs.flatMap((r) => r.errors))].slice(0, 5),
    elapsedMs,
    throughput: elapsedMs > 0 ? (ok * 1000) / elapsedMs : 0,
  };
}

/** Runs `fn(i)` one after the other, `count` times at most and for `maxMs` at most. */
export async function runSequential(
  count: number,
  maxMs: number,
  fn: (i: number) => Promise<Sample>,
): Promise<RunResult> {
  const samples: Sample[] = [];
  const start = performance.now();
  for (let i = 0; i < count && performance.now() - start < maxMs; i++) {
    samples.push(await fn(i));
  }
  return collect(samples, performance.now() - start);
}

/**
 * Keeps `concurrency` calls of `fn` in flight for `durationMs` (no new call starts after that), and `maxCount`
 * calls at most. Throughput is the successful calls over the wall time until the last one finished.
 */
export async function runConcurrent(
  concurrency: number,
  durationMs: number,
  maxCount: number,
  fn: (i: number) => Promise<Sample>,
): Promise<RunResult> {
  const samples: Sample[] = [];
  const start = performance.now();
  let next = 0;
  async function worker(): Promise<void> {
    while (next < maxCount && performance.now() - start < durationMs) {
      const i = next++;
      samples.push(await fn(i));
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  return collect(samples, performance.now() - start);
}

/**
 * A/B latency comparison with the drift cancelled: request i goes to `a` and `b` back to back, the first of the
 * two alternating (AB, BA, AB, …), so both see the same moment's machine. `count` pairs at most, `maxMs` at most.
 */
export async function runPaired(
  count: number,
  maxMs: number,
  a: (i: number) => Promise<Sample>,
  b: (i: number) => Promise<Sample>,
): Promise<[RunResult, RunResult]> {
  const samplesA: Sample[] = [];
  const samplesB: Sample[] = [];
  const start = performance.now();
  for (let i = 0; i < count && performance.now() - start < maxMs; i++) {
    if (i % 2 === 0) {
      samplesA.push(await a(i));
      samplesB.push(await b(i));
    } else {
      samplesB.push(await b(i));
      samplesA.push(await a(i));
    }
  }
  const busy = (samples: Sample[]) => samples.reduce((n, s) => n + s.ms, 0);
  return [collect(samplesA, busy(samplesA)), collect(samplesB, busy(samplesB))];
}

/**
 * A/B throughput comparison: `blocks` concurrency runs of `blockMs` per side in the order AB BA AB …, pooled per
 * side, so slow drift of the machine weighs on both alike. `prepare(block)` runs before each block, outside timing.
 */
export async function runAlternatingBlocks(
  blocks: number,
  blockMs: number,
  concurrency: number,
  a: (block: number) => Promise<(i: number) => Promise<Sample>>,
  b: (block: number) => Promise<(i: number) => Promise<Sample>>,
  maxCount = 1_000_000,
): Promise<[RunResult, RunResult]> {
  const runsA: RunResult[] = [];
  const runsB: RunResult[] = [];
  for (let block = 0; block < blocks; block++) {
    const order = block % 2 === 0 ? (['a', 'b'] as const) : (['b', 'a'] as const);
    for (const side of order) {
      const fn = await (side === 'a' ? a : b)(block);
      (side === 'a' ? runsA : runsB).push(await runConcurrent(concurrency, blockMs, maxCount, fn));
    }
  }
  return [combine(runsA), combine(runsB)];
}

/** `1234.5` → `"1.23 s"`, `12.345` → `"12.3 ms"`, `0.1234` → `"0.123 ms"`. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) {
    return 'n/a';
  }
  if (ms >= 10_000) {
    return `${(ms / 1000).toFixed(1)} s`;
  }
  if (ms >= 1000) {
    return `${(ms / 1000).toFixed(2)} s`;
  }
  if (ms >= 10) {
    return `${ms.toFixed(1)} ms`;
  }
  if (ms >= 1) {
    return `${ms.toFixed(2)} ms`;
  }
  return `${ms.toFixed(3)} ms`;
}
