import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

import { AppError } from '../../errors.js';

export interface CorsOptions {
  origins: readonly string[];
  allowCredentials: boolean;
  allowMethods: readonly string[];
  allowHeaders: readonly string[];
}

const ALL_METHODS = 'DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT';
const MAX_AGE_SECONDS = '600';
/**
 * The request headers the API reads that a browser must ask for (Accept is CORS-safelisted). `*` in the configured
 * list stands for these, rather than for whatever a preflight asks for.
 */
export const API_REQUEST_HEADERS = ['Content-Type', 'X-API-Key', 'X-Request-Timestamp', 'X-Request-Signature'];

/** Whether an Origin is one of `origins`, compared as exact strings (`*`: any). CORS and the origin check share it. */
export function isAllowedOrigin(origins: readonly string[]): (origin: string) => boolean {
  const allowAny = origins.includes('*');
  const allowed = new Set(origins);
  return (origin) => allowAny || allowed.has(origin);
}

/**
 * CORS by exact origin match (no patterns). Every response varies on Origin; a preflight from an origin that is not
 * allowed gets 400 in the error envelope; an actual request from it is served without CORS headers.
 */
export const corsPlugin = fp(
  (app: FastifyInstance, options: CorsOptions) => {
    const allowAny = options.origins.includes('*');
    const allowed = isAllowedOrigin(options.origins);
    const methods = options.allowMethods.includes('*') ? ALL_METHODS : options.allowMethods.join(', ');
    const headerList = options.allowHeaders.flatMap((h) => (h === '*' ? API_REQUEST_HEADERS : [h]));
    const headers = [...new Set(headerList)].join(', ');

    app.addHook('onRequest', async (request, reply) => {
      void reply.header('vary', 'Origin');
      const origin = request.headers.origin;
      const isPreflight =
        request.method === 'OPTIONS' &&
        origin !== undefined &&
        request.headers['access-control-request-method'] !== undefined;
      const isAllowed = origin !== undefined && allowed(origin);
      if (isAllowed) {
        void reply.header('access-control-allow-origin', allowAny && !options.allowCredentials ? '*' : origin);
        if (options.allowCredentials) {
          void reply.header('access-control-allow-credentials', 'true');
        }
        void reply.header(
          'access-control-expose-headers',
          'X-Request-ID, X-Response-Time, Retry-After, Content-Disposition',
        );
      }
      if (!isPreflight) {
        return;
      }
      if (!isAllowed) {
        throw new AppError({ status: 400, message: 'Disallowed CORS origin' });
      }
      return reply
        .code(204)
        .headers({
          'access-control-allow-methods': methods,
          'access-control-allow-headers': headers,
          'access-control-max-age': MAX_AGE_SECONDS,
        })
        .send();
    });
  },
  { name: 'cors' },
);
