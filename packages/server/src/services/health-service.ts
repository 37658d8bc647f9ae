import type { Health } from '@contextpilot/contract';

import { toTimestamp, type Clock } from '../domain/types.js';
import type { Embedder } from '../providers/embeddings/embedder.js';
import type { ContextStore } from '../storage/store.js';

/** Health of the parts a request needs: the storage, the embedding model and the background indexer. */
export function createHealthService(deps: {
  store: Pick<ContextStore, 'ping'>;
  storageKind: string;
  embedder: Pick<Embedder, 'modelId' | 'dimension'>;
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
      return {
        status: healthy ? 'healthy' : 'unhealthy',
        timestamp: toTimestamp(deps.clock.now()),
        components: {
          embedding_model:
            embeddingError === null
              ? { status: 'healthy', model: deps.embedder.modelId, dimension: deps.embedder.dimension }
              : {
                  status: 'unhealthy',
                  model: deps.embedder.modelId,
                  dimension: deps.embedder.dimension,
                  error: embeddingError,
                },
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
