import type { Health, RootInfo } from '@contextpilot/contract';

import type { HealthReport } from '../../services/health-service.js';

type Component = Health['components']['storage'];

/** `GET /` for API clients: the name, the API version and where the docs are. */
export const presentRootInfo = (): RootInfo => ({ message: 'ContextPilot API', version: '1.0.0', docs: '/docs' });

/** `{status, backend, error?}` of a component that works or does not. */
function component(problem: string | null, extra: Omit<Component, 'status' | 'error'>): Component {
  return problem === null ? { status: 'healthy', ...extra } : { status: 'unhealthy', ...extra, error: problem };
}

/**
 * `GET /health` (always 200; v1 clients read `status`). The embedding model is `degraded` while it is saturated, which
 * does not make the instance unhealthy; so is indexing while units wait for vectors.
 */
export function presentHealth(report: HealthReport): Health {
  const { embedding } = report;
  const model = { model: embedding.modelId, dimension: embedding.dimension };
  const queue =
    embedding.load === undefined
      ? {}
      : {
          queued: embedding.load.queued.query + embedding.load.queued.interactive + embedding.load.queued.background,
          oldest_wait_ms: Math.round(embedding.load.oldestWaitMs),
        };
  return {
    status: report.healthy ? 'healthy' : 'unhealthy',
    timestamp: report.timestamp,
    components: {
      embedding_model:
        embedding.problem !== null
          ? { status: 'unhealthy', ...model, error: embedding.problem, ...queue }
          : embedding.saturated
            ? { status: 'degraded', ...model, error: 'saturated: requests wait for the embedding model', ...queue }
            : { status: 'healthy', ...model, ...queue },
      storage: component(report.storage.problem, { backend: report.storage.backend }),
      indexing: { status: report.indexing.pending > 0 ? 'degraded' : 'healthy', pending: report.indexing.pending },
      rate_limit_store: component(report.rateLimitStore.problem, { backend: report.rateLimitStore.backend }),
    },
  };
}
