import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

import { SIGNATURE_REPLAYED_REASON } from '@contextpilot/contract';

import { verifySignature } from '../../domain/signing.js';
import { serviceUnavailable, unauthorized } from '../../errors.js';
import { keyActor } from '../../services/audit-events.js';
import type { AuditService } from '../../services/audit-service.js';
import type { ReplayGuard } from '../../services/replay-guard.js';
import type { FailedAuthLimit } from '../failed-auth-limit.js';
import { eventRequest, routeOf, singleHeader } from '../request-facts.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Exempt from request signing (`/mcp`: MCP clients cannot sign; docs/SECURITY.md says what guards it instead). */
    unsigned?: boolean;
  }
}

export interface SigningOptions {
  enabled: boolean;
  /** Empty: covered requests get 503 (in production `loadConfig` refuses to start instead). */
  secret: string;
  maxAgeSeconds: number;
  /** The methods whose requests must be signed. */
  methods: readonly string[];
  /** With authentication on, the auth plugin has checked the failed-authentication limit already. */
  authEnabled: boolean;
  audit: AuditService;
  failedAuth: FailedAuthLimit;
  /** Accepted signatures, refused when presented again. */
  replay: Pick<ReplayGuard, 'firstUse'>;
  /** Current time in milliseconds. */
  now: () => number;
}

/**
 * The HMAC signature of requests with a covered method, checked on the raw bytes before any parsing, and accepted
 * once. Where it runs among the other hooks: `README.md` in this folder.
 */
export const signingPlugin = fp(
  (app: FastifyInstance, options: SigningOptions) => {
    if (!options.enabled) {
      return;
    }
    const { audit, failedAuth } = options;

    async function check(request: FastifyRequest): Promise<void> {
      if (options.secret === '') {
        audit.record({ event: 'request_signing', outcome: 'misconfigured', request: eventRequest(request) });
        throw serviceUnavailable('Request signing is misconfigured');
      }
      if (!options.authEnabled) {
        await failedAuth.refuseIfLockedOut(request);
      }
      const signature = singleHeader(request.headers['x-request-signature']);
      const verified = verifySignature({
        secret: options.secret,
        method: request.method,
        target: request.raw.url ?? request.url,
        body: request.rawBody ?? Buffer.alloc(0),
        timestampHeader: singleHeader(request.headers['x-request-timestamp']),
        signatureHeader: signature,
        nowSeconds: Math.floor(options.now() / 1000),
        maxAgeSeconds: options.maxAgeSeconds,
      });
      const actor = keyActor(request.keyFingerprint);
      if (!verified.ok) {
        await failedAuth.countFailure(request);
        audit.record({ event: 'request_signing', outcome: verified.outcome, request: eventRequest(request), actor });
        throw unauthorized(verified.message);
      }
      // A signature is accepted once (verified above, so it is present).
      // Not counted as a failed authentication: whoever sent it holds a valid signature (guessing gains nothing), and
      // honest clients that send identical requests at once meet this now and then.
      if (!(await options.replay.firstUse(String(signature), options.now()))) {
        audit.record({ event: 'request_signing', outcome: 'replayed', request: eventRequest(request), actor });
        throw unauthorized('Request signature has already been used', { reason: SIGNATURE_REPLAYED_REASON });
      }
      audit.record({ event: 'request_signing', outcome: 'valid_signature', request: eventRequest(request), actor });
    }

    // Not an async hook: a request whose method is not signed passes without a promise.
    app.addHook('preParsing', (request, _reply, payload, done) => {
      if (!options.methods.includes(request.method) || routeOf(request).unsigned) {
        done(null, payload);
        return;
      }
      check(request).then(
        () => done(null, payload),
        (error: Error) => done(error),
      );
    });
  },
  { name: 'signing', dependencies: ['raw-body', 'auth'] },
);
