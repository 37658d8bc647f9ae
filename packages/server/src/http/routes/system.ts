import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';

import { Health, RootInfo } from '@contextpilot/contract';

import type { HealthService } from '../../services/health-service.js';

/** Public routes: `GET /` and `GET /health`. */
export function systemRoutes(app: FastifyInstance, options: { health: HealthService }): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/',
    { schema: { tags: ['system'], summary: 'API information', response: { 200: RootInfo } } },
    () => ({ message: 'ContextPilot API', version: '1.0.0', docs: '/docs' }),
  );
  r.get(
    '/health',
    {
      schema: {
        tags: ['system'],
        summary: 'Health of the embedding model and the storage',
        description: 'Always 200 (v1 clients read `status`); an unhealthy component sets `status` to "unhealthy".',
        response: { 200: Health },
      },
    },
    () => options.health.check(),
  );
}
