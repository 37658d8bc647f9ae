import type { Health } from '@contextpilot/contract';

import { toTimestamp, type Clock } from '../domain/types.js';
import type { Embedder } from '../providers/embeddings/embedder.js';
import type { ContextStore } from '../storage/store.js';

/**
 * A query or write that has waited this long for the embedding model means it is saturated: `/health` reports the
 * embedding model as degraded (the instance still serves; rankings fall back to full text at their deadline).
 */
const SATURATED_WAIT_MS = 1_000;

/** Health of the parts a request needs: the storage, the embedding model and the background indexer. */
export function createHealthService(deps: {
  store: Pick<ContextStore, 'ping'>;
  storageKind: string;
  embedder: Pick<Embedder, 'modelId' | 'dimension' | 'load'>;
  embeddingProblem: () => string | null;
  pendingIndexing: () => number;
  clock: Clock;
}) {
  return {
    async check(): Promise<Health> {
      let storageError: string | null = null;
      try {
        await deps.store.ping();
      } catch (error) {
        storageError = error instanceof Error ? error.message : 'storage unavailable';
      }
      const embeddingError = deps.embeddingProblem();
      const healthy = storageError === null && embeddingError === null;
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
              : { status: 'unhealthy', backend: deps.storageKind, error: 'storage unavailable' },
          indexing: { status: deps.pendingIndexing() > 0 ? 'degraded' : 'healthy', pending: deps.pendingIndexing() },
        },
      };
    },
  };
}
export type HealthService = ReturnType<typeof createHealthService>;
