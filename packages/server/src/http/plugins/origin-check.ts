import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

import { createHostAllowlist, crossOriginRefusal, normalizeOrigin, originOf } from '../../domain/hosts.js';
import { AppError } from '../../errors.js';
import type { AuditService } from '../../services/audit-service.js';
import { eventRequest, routeOf } from '../request-facts.js';
import { isAllowedOrigin } from './cors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** `every-request`: the Origin rule applies to every method, with the stricter host rule of `crossOriginRefusal`. */
    originCheck?: 'writes' | 'every-request';
  }
}

export interface OriginCheckOptions {
  /** The configured CORS origins: pages there may write. */
  origins: readonly string[];
  /** The allowed host names besides the loopback ones (null: any Host is answered). */
  allowedHosts: readonly string[] | null;
  audit: AuditService;
}

/**
 * Refuses with 403, on every path, a request that may change state when a browser sent it for another origin (see
 * `crossOriginRefusal`). A form or a `no-cors` fetch needs no preflight, so CORS alone does not stop it, and with
 * authentication off nothing else would. The server's own origin is the scheme and host the client used, from
 * X-Forwarded-Proto and X-Forwarded-Host only behind a trusted proxy.
 */
export const originCheckPlugin = fp(
  (app: FastifyInstance, options: OriginCheckOptions) => {
    const isAllowed = isAllowedOrigin(options.origins);
    // Names a rebound page cannot use: loopback ones, and those configured (the host check refuses the others).
    const isTrustedHost = createHostAllowlist(options.allowedHosts ?? []);
    app.addHook('onRequest', (request, _reply, done) => {
      const origin = request.headers.origin;
      const fetchSite = request.headers['sec-fetch-site'];
      const refusal = crossOriginRefusal(
        {
          method: request.method,
          origin,
          fetchSite: typeof fetchSite === 'string' ? fetchSite : undefined,
          ownOrigin: () => originOf(request.protocol, request.host),
          everyRequest: routeOf(request).checksEveryOrigin
            ? { isTrustedHost: () => isTrustedHost(request.host) }
            : undefined,
        },
        isAllowed,
      );
      if (refusal !== null) {
        options.audit.record({
          event: 'origin_check',
          outcome: refusal,
          request: eventRequest(request),
          details: { origin: origin === undefined ? null : (normalizeOrigin(origin) ?? '<invalid>') },
        });
        done(new AppError({ status: 403, message: 'Cross-origin request refused' }));
        return;
      }
      done();
    });
  },
  { name: 'origin-check' },
);
