import type { FastifyRequest } from 'fastify';

import { rateLimited } from '../errors.js';
import type { AuditService } from '../services/audit-service.js';
import type { CounterStore } from '../storage/counters/counter-store.js';
import { clientIp, eventRequest } from './request-facts.js';

export interface FailedAuthLimitOptions {
  /** Failed authentications (wrong key, bad signature) per client IP and window before it is locked out. */
  limit: number;
  windowMs: number;
  /** A store that can fail must fail closed (see `failClosed`). */
  counters: CounterStore;
  audit: AuditService;
}

/**
 * The limit on failed authentications per client IP, shared by the auth and signing plugins: both count their
 * failures here, and a locked-out client is refused before its key or signature is looked at.
 */
export function createFailedAuthLimit(options: FailedAuthLimitOptions) {
  const { counters, audit } = options;
  const failKey = (ip: string) => `authfail:${ip}`;
  return {
    /** Throws 429 while the client is locked out. */
    async refuseIfLockedOut(request: FastifyRequest): Promise<void> {
      const { count, resetMs } = await counters.peek(failKey(clientIp(request)));
      if (count >= options.limit) {
        // One event per window and IP, so a flood cannot grow the audit table.
        if (await counters.addIfAbsent(`authfail-logged:${clientIp(request)}`, Math.max(1000, resetMs))) {
          audit.record({ event: 'api_key_auth', outcome: 'rate_limited', request: eventRequest(request) });
        }
        throw rateLimited(Math.max(1, Math.ceil(resetMs / 1000)), 'Too many failed authentication attempts');
      }
    },
    /** Counts one failed authentication of the client. */
    async countFailure(request: FastifyRequest): Promise<void> {
      await counters.increment(failKey(clientIp(request)), options.windowMs);
    },
  };
}
export type FailedAuthLimit = ReturnType<typeof createFailedAuthLimit>;
