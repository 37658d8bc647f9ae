import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';

import { Health, RootInfo } from '@contextpilot/contract';

import type { HealthService } from '../../services/health-service.js';
import { presentHealth, presentRootInfo } from '../present/system.js';
import { UI_CSP, wantsHtml } from './web-ui.js';

/** Public routes: `GET /` and `GET /health`. */
export function systemRoutes(app: FastifyInstance, options: { health: HealthService; indexHtml: string | null }): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  // Untyped: this route answers either the JSON below or the web UI's HTML page.
  app.get(
    '/',
    {
      config: { scope: 'public' },
      schema: {
        tags: ['system'],
        summary: 'API information (a browser asking for HTML gets the web UI)',
        response: { 200: RootInfo },
      },
    },
    (request, reply) => {
      if (options.indexHtml !== null && wantsHtml(request.headers.accept)) {
        return reply
          .type('text/html; charset=utf-8')
          .header('content-security-policy', UI_CSP)
          .header('cache-control', 'no-cache')
          .serializer((payload) => payload as string)
          .send(options.indexHtml);
      }
      return presentRootInfo();
    },
  );
  r.get(
    '/health',
    {
      config: { scope: 'public' },
      schema: {
        tags: ['system'],
        summary: 'Health of the embedding model and the storage',
        description: 'Always 200 (v1 clients read `status`); an unhealthy component sets `status` to "unhealthy".',
        response: { 200: Health },
      },
    },
    async () => presentHealth(await options.health.check()),
  );
}
