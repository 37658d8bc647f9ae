import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

import { rateLimited } from '../../errors.js';
import type { CounterStore } from '../../storage/counters/counter-store.js';
import { clientIp, routeOf } from '../request-facts.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Requests per minute per client IP for this route. */
    rateLimit?: number;
  }
}

export interface RateLimitOptions {
  enabled: boolean;
  /** A store that can fail must fail closed (see `failClosed`). */
  counters: CounterStore;
}

const WINDOW_MS = 60_000;

/**
 * The per-route limits (`config.rateLimit`, requests per minute per client IP) with their `X-RateLimit-*` headers.
 * Where it runs among the other hooks: `README.md` in this folder.
 */
export const rateLimitPlugin = fp(
  (app: FastifyInstance, options: RateLimitOptions) => {
    if (!options.enabled) {
      return;
    }
    const { counters } = options;
    // Not an async hook: a request to a route without a limit passes without a promise.
    app.addHook('preParsing', (request, reply, payload, done) => {
      const route = routeOf(request);
      const limit = route.rateLimit;
      if (limit === undefined) {
        done(null, payload);
        return;
      }
      counters.increment(`rl:${request.method}:${route.url ?? request.url}:${clientIp(request)}`, WINDOW_MS).then(
        ({ count, resetMs }) => {
          const resetSeconds = Math.max(1, Math.ceil(resetMs / 1000));
          void reply.headers({
            'x-ratelimit-limit': String(limit),
            'x-ratelimit-remaining': String(Math.max(0, limit - count)),
            'x-ratelimit-reset': String(resetSeconds),
          });
          done(count > limit ? rateLimited(resetSeconds, `Rate limit exceeded: ${limit} per 1 minute`) : null, payload);
        },
        (error: Error) => done(error),
      );
    });
  },
  { name: 'rate-limit', dependencies: ['signing'] },
);
