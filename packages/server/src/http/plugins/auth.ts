import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

import { OWNER_PRINCIPAL, type Principal } from '../../domain/principal.js';
import { unauthorized } from '../../errors.js';
import { keyActor } from '../../services/audit-events.js';
import type { AuditService } from '../../services/audit-service.js';
import type { KeyService } from '../../services/key-service.js';
import type { FailedAuthLimit } from '../failed-auth-limit.js';
import { eventRequest, routeOf, singleHeader } from '../request-facts.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Fingerprint of the API key that authenticated this request (auth enabled only). */
    keyFingerprint?: string;
    /**
     * Who the request acts for and what it may do, set by `auth` on every request of the protected context: the
     * principal of the key it presented, or the owner (every scope) while authentication is off. Undefined on the
     * public routes, which no key reaches.
     */
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /**
     * The key may also come as `Authorization: Bearer <key>`, as MCP clients send it. Other routes read `X-API-Key`
     * only, so an `Authorization` header meant for a proxy in front is never taken for the key.
     */
    acceptsBearer?: boolean;
  }
}

export interface AuthOptions {
  enabled: boolean;
  keys: KeyService;
  audit: AuditService;
  failedAuth: FailedAuthLimit;
}

/** Same body for a missing and a wrong key; the audit log tells them apart. */
const AUTH_FAILED_MESSAGE = 'API key required: missing or invalid X-API-Key header';

const BEARER = /^Bearer +(\S+) *$/i;

/** The key a request presents: `X-API-Key`, else a bearer token where the route takes one. */
function presentedKey(request: FastifyRequest): string | undefined {
  const header = singleHeader(request.headers['x-api-key']);
  if (header !== undefined || !routeOf(request).acceptsBearer) {
    return header;
  }
  const authorization = singleHeader(request.headers.authorization);
  // A malformed or repeated Authorization header presents a key no stored one can match.
  return authorization === undefined ? undefined : (BEARER.exec(authorization)?.[1] ?? authorization);
}

/**
 * The API key of every request to the context it is registered in, after the failed-authentication limit of the
 * client, and the principal the key stands for. Where it runs among the other hooks: `README.md` in this folder.
 */
export const authPlugin = fp(
  (app: FastifyInstance, options: AuthOptions) => {
    if (!options.enabled) {
      // Every request is the owner's: nothing to check, but the scope check and the handlers read a principal.
      app.addHook('onRequest', (request, _reply, done) => {
        request.principal = OWNER_PRINCIPAL;
        done();
      });
      return;
    }
    const { audit, keys, failedAuth } = options;
    app.addHook('onRequest', async (request) => {
      await failedAuth.refuseIfLockedOut(request);
      const check = await keys.verify(presentedKey(request), { clientIp: request.ip });
      if (!check.valid) {
        await failedAuth.countFailure(request);
        audit.record({
          event: 'api_key_auth',
          outcome: check.reason,
          request: eventRequest(request),
          actor: keyActor(check.fingerprint),
        });
        throw unauthorized(AUTH_FAILED_MESSAGE);
      }
      request.keyFingerprint = check.fingerprint;
      request.principal = check.principal;
      audit.record({
        event: 'api_key_auth',
        outcome: check.outcome,
        request: eventRequest(request),
        actor: keyActor(check.fingerprint),
      });
    });
  },
  { name: 'auth' },
);
