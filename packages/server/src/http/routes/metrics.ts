import type { FastifyInstance } from 'fastify';

import { notFound } from '../../errors.js';
import type { Metrics } from '../../services/metrics.js';

/** `GET /metrics`: Prometheus text exposition (404 when metrics are disabled). */
export function metricsRoutes(app: FastifyInstance, options: { metrics: Metrics | null }): void {
  app.get(
    '/metrics',
    {
      // Counters of the whole server (every person's requests and security events): the administrator's.
      config: { scope: 'admin' },
      schema: { tags: ['system'], summary: 'Prometheus metrics', hide: false },
    },
    async (_request, reply) => {
      if (options.metrics === null) {
        throw notFound('Metrics are disabled');
      }
      const body = await options.metrics.render();
      return reply.type(options.metrics.contentType).send(body);
    },
  );
}
