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
  /** Times `/health` said `pending: 0` while `/stats` still counted active units without vectors. */
  earlyZeroes: number;
  maxPendingSeen: number;
  /** `pending` as `/health` reported it, every 250 ms (ms since the call). */
  timeline: { atMs: number; pending: number }[];
}

/**
 * Indexing speed over the first and the last quarter of the work, from a `pending` timeline: a rate that falls as
 * more units have vectors points at per-batch work that grows with the store.
 */
export function quarterRates(
  timeline: readonly { atMs: number; pending: number }[],
): { first: number; last: number } | null {
  const total = Math.max(0, ...timeline.map((p) => p.pending));
  const firstAt = (predicate: (pending: number) => boolean) => timeline.find((p) => predicate(p.pending))?.atMs;
  const start = firstAt((p) => p > 0);
  const q1 = firstAt((p) => p > 0 && p <= total * 0.75);
  const q3 = firstAt((p) => p <= total * 0.25);
  const end = timeline.at(-1)?.atMs;
  if (
    total < 400 ||
    start === undefined ||
    q1 === undefined ||
    q3 === undefined ||
    end === undefined ||
    q1 <= start ||
    end <= q3
  ) {
    return null;
  }
  return { first: (total * 0.25 * 1000) / (q1 - start), last: (total * 0.25 * 1000) / (end - q3) };
}

/**
 * Polls `/health` every 250 ms until `indexing.pending` is 0 and `/stats` confirms every active unit has vectors
 * (right after an import the indexer may not have counted the new units yet). Bounded by `timeoutMs`.
 */
export async function waitIndexed(
  client: Client,
  timeoutMs: number,
  progress: (pending: number, elapsedMs: number) => void,
): Promise<IndexWait> {
  const start = performance.now();
  let earlyZeroes = 0;
  let maxPendingSeen = 0;
  const timeline: IndexWait['timeline'] = [];
  let lastReport = start;
  while (performance.now() - start < timeoutMs) {
    const health = await client.json<HealthBody>('/health');
    const pending = health.components.indexing.pending;
    maxPendingSeen = Math.max(maxPendingSeen, pending);
    timeline.push({ atMs: performance.now() - start, pending });
    if (pending === 0) {
      const stats = await getStats(client);
      if (stats.contexts_with_embeddings >= stats.active_contexts) {
        return { ms: performance.now() - start, earlyZeroes, maxPendingSeen, timeline };
      }
      earlyZeroes++;
    }
    if (performance.now() - lastReport >= 10_000) {
      lastReport = performance.now();
      progress(pending, lastReport - start);
    }
    await sleep(250);
  }
  throw new Error(`indexing did not finish within ${Math.round(timeoutMs / 1000)} s`);
}

export interface HealthSample {
  ms: number;
  ok: boolean;
  /** What the server was doing when the poll was sent. */
  phase: 'import' | 'indexing';
  /** When it was sent, ms since the poller started. */
  atMs: number;
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
