import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

import { rateLimited } from '../../errors.js';
import type { CounterStore } from '../../storage/counters/counter-store.js';
import { clientIp, routeOf } from '../request-facts.js';

/** Requests per minute per client IP, counted in one bucket by every route and MCP tool that names it. */
export interface RateBudget {
  bucket: string;
  limit: number;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Requests per minute per client IP for this route (a number: a bucket of the route's own). */
    rateLimit?: number | RateBudget;
  }
}

export interface RateLimitOptions {
  enabled: boolean;
  /** A store that can fail must fail closed (see `failClosed`). */
  counters: CounterStore;
}

const WINDOW_MS = 60_000;

/** The budget of a route's own: its method and path pattern name the bucket. */
export const routeBudget = (method: string, url: string, limit: number): RateBudget => ({
  bucket: `${method}:${url}`,
  limit,
});

/** One request counted against `budget` for `ip`: where it stands, and the 429 to answer with when it is over. */
export async function spendBudget(
  counters: CounterStore,
  budget: RateBudget,
  ip: string,
): Promise<{ remaining: number; resetSeconds: number; refusal: Error | null }> {
  const { count, resetMs } = await counters.increment(`rl:${budget.bucket}:${ip}`, WINDOW_MS);
  const resetSeconds = Math.max(1, Math.ceil(resetMs / 1000));
  return {
    remaining: Math.max(0, budget.limit - count),
    resetSeconds,
    refusal:
      count > budget.limit ? rateLimited(resetSeconds, `Rate limit exceeded: ${budget.limit} per 1 minute`) : null,
  };
}

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
      const budget = typeof limit === 'number' ? routeBudget(request.method, route.url ?? request.url, limit) : limit;
      spendBudget(counters, budget, clientIp(request)).then(
        ({ remaining, resetSeconds, refusal }) => {
          void reply.headers({
            'x-ratelimit-limit': String(budget.limit),
            'x-ratelimit-remaining': String(remaining),
            'x-ratelimit-reset': String(resetSeconds),
          });
          done(refusal, payload);
        },
        (error: Error) => done(error),
      );
    });
  },
  { name: 'rate-limit', dependencies: ['signing'] },
);
