/**
 * Seeding through the public API: synthetic units imported with `POST /contexts/import` (multipart JSON, ≤ 10,000
 * per request), then waiting for the background indexer (`/health` → `components.indexing.pending == 0`, confirmed by
 * `/stats`), while `/health` is polled every 100 ms to measure how it answers during the import and the indexing.
 */
import { performance } from 'node:perf_hooks';

import { sleep } from './context.js';
import type { SyntheticUnit } from './data.js';
import { multipartFile, type Client } from './http.js';

export const MAX_IMPORT_BATCH = 10_000;

interface HealthBody {
  status: string;
  components: { indexing: { status: string; pending: number } };
}
interface StatsBody {
  total_contexts: number;
  active_contexts: number;
  contexts_with_embeddings: number;
}

export async function getStats(client: Client): Promise<StatsBody> {
  return client.json<StatsBody>('/stats');
}

/** Imports one batch; resolves with the request time. Throws on any status but 200 or on skipped items. */
export async function importBatch(
  client: Client,
  units: readonly SyntheticUnit[],
): Promise<{ ms: number; imported: number }> {
  if (units.length > MAX_IMPORT_BATCH) {
    throw new Error(`import batches hold at most ${MAX_IMPORT_BATCH} units, got ${units.length}`);
  }
  const file = Buffer.from(JSON.stringify({ contexts: units }));
  const { body, contentType } = multipartFile('file', 'bench-import.json', 'application/json', file);
  const response = await client.send('/contexts/import', {
    method: 'POST',
    headers: { 'content-type': contentType },
    body,
    timeoutMs: 600_000,
  });
  if (response.status !== 200) {
    throw new Error(`POST /contexts/import: HTTP ${response.status}: ${response.body.toString('utf8').slice(0, 300)}`);
  }
  const result = JSON.parse(response.body.toString('utf8')) as { imported: number; skipped: number; errors: string[] };
  if (result.skipped > 0) {
    throw new Error(`POST /contexts/import skipped ${result.skipped} units: ${result.errors.slice(0, 3).join('; ')}`);
  }
  return { ms: response.ms, imported: result.imported };
}

export interface IndexWait {
  /** From the call until indexing was confirmed finished. */
  ms: number;
  /** `/health` polls that said `pending: 0` while `/stats` still counted active units without vectors. */
  earlyZeroes: number;
  /** The most units without vectors `/stats` counted at such a poll. */
  maxMissedAtZero: number;
  maxPendingSeen: number;
  /** Active units without vectors per `/stats` (every 10 s, and at the end), ms since the call. */
  timeline: { atMs: number; remaining: number }[];
}

/**
 * Indexing speed over the first and the last quarter of the work, from the `/stats` timeline: a rate that falls as
 * more units have vectors points at per-batch work that grows with the store. Null for runs under a minute.
 */
export function quarterRates(
  timeline: readonly { atMs: number; remaining: number }[],
): { first: number; last: number } | null {
  const first = timeline[0];
  const end = timeline.at(-1);
  if (first === undefined || end === undefined || end.atMs - first.atMs < 60_000 || first.remaining < 400) {
    return null;
  }
  const total = first.remaining;
  const q1 = timeline.find((p) => p.remaining <= total * 0.75);
  const q3 = timeline.find((p) => p.remaining <= total * 0.25);
  if (q1 === undefined || q3 === undefined || q1.atMs <= first.atMs || end.atMs <= q3.atMs) {
    return null;
  }
  return {
    first: ((total - q1.remaining) * 1000) / (q1.atMs - first.atMs),
    last: (q3.remaining * 1000) / (end.atMs - q3.atMs),
  };
}

const STATS_EVERY_MS = 10_000;
/** Once `/stats` counts fewer units than this without vectors, every `/health` "0" is checked (2 s apart). */
const NEARLY_DONE = 500;

/** Time windows (performance.now()) of the benchmark's own `/stats` calls, which block the server's event loop. */
export type StatsWindows = { from: number; to: number }[];

/**
 * Polls `/health` every 250 ms until `indexing.pending` is 0 and `/stats` confirms every active unit has vectors
 * (the indexer may not have counted units imported while it was running). `/stats` counts over every unit (over
 * 100 ms at 100k units), so it is read every 10 s, or when `/health` newly says 0 (or says 0 when nearly done),
 * at most every 2 s; each call's time is
 * recorded in `windows` so the `/health` latencies it delays can be set apart. Bounded by `timeoutMs`.
 */
export async function waitIndexed(
  client: Client,
  timeoutMs: number,
  progress: (remaining: number, elapsedMs: number) => void,
  windows: StatsWindows = [],
): Promise<IndexWait> {
  const start = performance.now();
  let earlyZeroes = 0;
  let maxMissedAtZero = 0;
  let maxPendingSeen = 0;
  let lastStats = -Infinity;
  let lastProgress = start;
  let remaining = Infinity;
  const timeline: IndexWait['timeline'] = [];
  const readStats = async () => {
    const from = performance.now();
    const stats = await getStats(client);
    lastStats = performance.now();
    windows.push({ from, to: lastStats });
    remaining = Math.max(0, stats.active_contexts - stats.contexts_with_embeddings);
    timeline.push({ atMs: lastStats - start, remaining });
  };
  await readStats();
  let previousPending = -1;
  let freshZero = false;
  while (remaining > 0 && performance.now() - start < timeoutMs) {
    await sleep(250);
    const health = await client.json<HealthBody>('/health');
    const pending = health.components.indexing.pending;
    maxPendingSeen = Math.max(maxPendingSeen, pending);
    const since = performance.now() - lastStats;
    // A fresh "0", or a "0" once nearly done, is checked at once (at most every 2 s); otherwise every 10 s.
    freshZero ||= pending === 0 && previousPending !== 0;
    previousPending = pending;
    const zeroWorthChecking = pending === 0 && (freshZero || remaining < NEARLY_DONE);
    if ((zeroWorthChecking && since >= 2_000) || since >= STATS_EVERY_MS) {
      await readStats();
      freshZero = false;
      if (pending === 0 && remaining > 0) {
        earlyZeroes++;
        maxMissedAtZero = Math.max(maxMissedAtZero, remaining);
      }
    }
    if (performance.now() - lastProgress >= STATS_EVERY_MS) {
      lastProgress = performance.now();
      progress(remaining, lastProgress - start);
    }
  }
  if (remaining > 0) {
    throw new Error(`indexing did not finish within ${Math.round(timeoutMs / 1000)} s`);
  }
  return { ms: performance.now() - start, earlyZeroes, maxMissedAtZero, maxPendingSeen, timeline };
}

export interface HealthSample {
  ms: number;
  ok: boolean;
  /** What the server was doing when the poll was sent. */
  phase: 'import' | 'indexing';
  /** When it was sent, ms since the poller started. */
  atMs: number;
  /** Sent and answered, on the performance clock. */
  from: number;
  to: number;
}

/**
 * Polls `GET /health` every `intervalMs` (a new poll starts `intervalMs` after the previous one started, or at once
 * if that one took longer) until stopped, for `maxMs` at most. `phase()` labels each sample.
 */
export function startHealthPoller(
  client: Client,
  intervalMs: number,
  maxMs: number,
  phase: () => HealthSample['phase'],
) {
  const samples: HealthSample[] = [];
  let stopped = false;
  const start = performance.now();
  const done = (async () => {
    while (!stopped && performance.now() - start < maxMs) {
      const sentAt = performance.now();
      const label = phase();
      // A failed or timed-out poll is a data point (counted as failed), not a reason to stop polling.
      const response = await client.send('/health', { timeoutMs: 30_000 }).catch(() => null);
      samples.push({
        ms: response?.ms ?? performance.now() - sentAt,
        ok: response?.status === 200,
        phase: label,
        atMs: sentAt - start,
        from: sentAt,
        to: performance.now(),
      });
      const wait = intervalMs - (performance.now() - sentAt);
      if (wait > 0) {
        await sleep(wait);
      }
    }
  })();
  return {
    async stop(): Promise<HealthSample[]> {
      stopped = true;
      await done;
      return samples;
    },
  };
}
