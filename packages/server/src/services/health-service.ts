import type { Health } from '@contextpilot/contract';

import { toTimestamp, type Clock } from '../domain/types.js';
import type { Embedder } from '../providers/embeddings/embedder.js';
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
    async check(): Promise<Health> {
      // Both checks at once: each is bounded by its driver's timeout, and /health should not add them up.
      const [storageError, rateLimitError] = await Promise.all([
        problem(async () => deps.store.ping(), 'storage unavailable'),
        problem(() => deps.rateLimitStore.ping(), 'rate limit store unavailable'),
      ]);
      const embeddingError = deps.embeddingProblem();
      const healthy = storageError === null && embeddingError === null && rateLimitError === null;
      const load = deps.embedder.load?.();
      const queue =
        load === undefined
          ? {}
          : {
              queued: load.queued.query + load.queued.interactive + load.queued.background,
              oldest_wait_ms: Math.round(load.oldestWaitMs),
            };
      const saturated = load !== undefined && load.oldestWaitMs >= SATURATED_WAIT_MS;
      return {
        status: healthy ? 'healthy' : 'unhealthy',
        timestamp: toTimestamp(deps.clock.now()),
        components: {
          embedding_model:
            embeddingError !== null
              ? {
                  status: 'unhealthy',
                  model: deps.embedder.modelId,
                  dimension: deps.embedder.dimension,
                  error: embeddingError,
                  ...queue,
                }
              : saturated
                ? {
                    status: 'degraded',
                    model: deps.embedder.modelId,
                    dimension: deps.embedder.dimension,
                    error: 'saturated: requests wait for the embedding model',
                    ...queue,
                  }
                : { status: 'healthy', model: deps.embedder.modelId, dimension: deps.embedder.dimension, ...queue },
          storage:
            storageError === null
              ? { status: 'healthy', backend: deps.storageKind }
              : { status: 'unhealthy', backend: deps.storageKind, error: storageError },
          indexing: { status: deps.pendingIndexing() > 0 ? 'degraded' : 'healthy', pending: deps.pendingIndexing() },
          rate_limit_store:
            rateLimitError === null
              ? { status: 'healthy', backend: deps.rateLimitStore.backend }
              : { status: 'unhealthy', backend: deps.rateLimitStore.backend, error: rateLimitError },
        },
      };
    },
  };
}
export type HealthService = ReturnType<typeof createHealthService>;
