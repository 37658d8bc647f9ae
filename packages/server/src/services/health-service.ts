import { toTimestamp, type Clock } from '../domain/types.js';
import type { Embedder, EmbedderLoad } from '../providers/embeddings/embedder.js';
import type { ContextStore } from '../storage/store.js';

/**
 * A query or write that has waited this long for the embedding model means it is saturated: `/health` reports the
 * embedding model as degraded (the instance still serves; rankings fall back to full text at their deadline).
 */
const SATURATED_WAIT_MS = 1_000;

/** Resolves to null when `ping` succeeds, else to the given error text (never the driver's: it may name a host). */
function problem(ping: () => Promise<void>, error: string): Promise<string | null> {
  return ping().then(
    () => null,
    () => error,
  );
}

/** One part a request needs: null `problem` means it works. */
export interface ComponentHealth {
  problem: string | null;
}

/** What `/health` reports, as the service sees it (the presenter builds the v1 JSON). */
export interface HealthReport {
  healthy: boolean;
  timestamp: string;
  embedding: ComponentHealth & {
    modelId: string;
    dimension: number;
    /** The queue of the local model (absent for HTTP providers). */
    load: EmbedderLoad | undefined;
    /** Queries or writes have waited {@link SATURATED_WAIT_MS} or more: the model is saturated. */
    saturated: boolean;
  };
  storage: ComponentHealth & { backend: string };
  indexing: { pending: number };
  rateLimitStore: ComponentHealth & { backend: string };
}

/**
 * Health of the parts a request needs: the storage, the embedding model, the background indexer and the store of
 * rate-limit counters (every protected request fails while that one is down).
 */
export function createHealthService(deps: {
  store: Pick<ContextStore, 'ping'>;
  storageKind: string;
  embedder: Pick<Embedder, 'modelId' | 'dimension' | 'load'>;
  embeddingProblem: () => string | null;
  pendingIndexing: () => number;
  rateLimitStore: { backend: string; ping(): Promise<void> };
  clock: Clock;
}) {
  return {
    async check(): Promise<HealthReport> {
      // Both checks at once: each is bounded by its driver's timeout, and /health should not add them up.
      const [storageProblem, rateLimitProblem] = await Promise.all([
        problem(async () => deps.store.ping(), 'storage unavailable'),
        problem(() => deps.rateLimitStore.ping(), 'rate limit store unavailable'),
      ]);
      const embeddingProblem = deps.embeddingProblem();
      const load = deps.embedder.load?.();
      return {
        healthy: storageProblem === null && embeddingProblem === null && rateLimitProblem === null,
        timestamp: toTimestamp(deps.clock.now()),
        embedding: {
          problem: embeddingProblem,
          modelId: deps.embedder.modelId,
          dimension: deps.embedder.dimension,
          load,
          saturated: load !== undefined && load.oldestWaitMs >= SATURATED_WAIT_MS,
        },
        storage: { problem: storageProblem, backend: deps.storageKind },
        indexing: { pending: deps.pendingIndexing() },
        rateLimitStore: { problem: rateLimitProblem, backend: deps.rateLimitStore.backend },
      };
    },
  };
}
export type HealthService = ReturnType<typeof createHealthService>;
