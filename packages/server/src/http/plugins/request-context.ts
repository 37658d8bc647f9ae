import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

import type { HttpMetrics } from '../../services/metrics.js';

declare module 'fastify' {
  interface FastifyRequest {
    startedAt: number;
  }
}

/**
 * Root hooks every response passes through: `X-Request-ID` (always freshly generated), `X-Response-Time`, one JSON
 * log line per request (route template, never the query string or body) and the HTTP metrics.
 */
export const requestContextPlugin = fp(
  (app: FastifyInstance, options: { metrics: HttpMetrics | null }) => {
    app.addHook('onRequest', (request, reply, done) => {
      request.startedAt = performance.now();
      void reply.header('x-request-id', request.id);
      options.metrics?.started();
      done();
    });
    app.addHook('onSend', (request, reply, payload, done) => {
      void reply.header('x-request-id', request.id);
      void reply.header('x-response-time', `${(performance.now() - request.startedAt).toFixed(2)}ms`);
      done(null, payload);
    });
    app.addHook('onResponse', (request, reply, done) => {
      const seconds = (performance.now() - request.startedAt) / 1000;
      const route = request.routeOptions.url ?? '<unmatched>';
      options.metrics?.finished(request.method, route, reply.statusCode, seconds);
      request.log.info(
        {
          method: request.method,
          path: route,
          status: reply.statusCode,
          durationMs: Math.round(seconds * 100_000) / 100,
        },
        'request completed',
      );
      done();
    });
  },
  { name: 'request-context' },
);
