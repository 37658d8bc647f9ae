import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

import { ERROR_CODES } from '@contextpilot/contract';

import { verifySignature } from '../../domain/signing.js';
import { AppError, rateLimited, serviceUnavailable } from '../../errors.js';
import type { EventRequest } from '../../services/audit-events.js';
import type { AuditService } from '../../services/audit-service.js';
import type { KeyService } from '../../services/key-service.js';
import type { ReplayGuard } from '../../services/replay-guard.js';
import type { CounterStore } from '../../storage/counters/counter-store.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Fingerprint of the API key that authenticated this request (auth enabled only). */
    keyFingerprint?: string;
  }
  interface FastifyContextConfig {
    /** Requests per minute per client IP for this route. */
    rateLimit?: number;
  }
}

export interface SecurityOptions {
  auth: { enabled: boolean };
  signing: { enabled: boolean; secret: string; maxAgeSeconds: number; methods: readonly string[] };
  failedAuth: { limit: number; windowMs: number };
  /** Per-route limits (`config.rateLimit`); the failed-authentication limit applies regardless. */
  rateLimits: { enabled: boolean };
  keys: KeyService;
  audit: AuditService;
  /** Lockout and rate-limit counters; a store that can fail must fail closed (see `failClosed`). */
  counters: CounterStore;
  /** Accepted signatures, refused when presented again. */
  replay: Pick<ReplayGuard, 'firstUse'>;
  /** Current time in milliseconds. */
  now: () => number;
}

/** Same body for a missing and a wrong key; the audit log tells them apart. */
export const AUTH_FAILED_MESSAGE = 'API key required: missing or invalid X-API-Key header';

function single(value: string | string[] | undefined): string | undefined {
  // A repeated header is never valid: Node joins or lists duplicates, neither of which is a key or a signature.
  return Array.isArray(value) ? `${value.join(', ')}, ` : value;
}

const clientIps = new WeakMap<FastifyRequest, string>();

/** The client address, worked out once per request: behind a trusted proxy every `request.ip` re-parses the headers. */
function clientIp(request: FastifyRequest): string {
  let ip = clientIps.get(request);
  if (ip === undefined) {
    ip = request.ip;
    clientIps.set(request, ip);
  }
  return ip;
}

interface RouteFacts {
  /** The matched route's pattern; undefined when no route matched. */
  url: string | undefined;
  /** Requests per minute per client IP, when the route is limited. */
  rateLimit: number | undefined;
}
const routeFacts = new WeakMap<FastifyRequest, RouteFacts>();

/** What the checks need of the matched route, read once per request: `request.routeOptions` builds a new object. */
function routeOf(request: FastifyRequest): RouteFacts {
  let facts = routeFacts.get(request);
  if (facts === undefined) {
    const { url, config } = request.routeOptions;
    facts = { url, rateLimit: config.rateLimit };
    routeFacts.set(request, facts);
  }
  return facts;
}

/** The request metadata of a security event, from the request (the client address as worked out once). */
export function eventRequest(request: FastifyRequest): EventRequest {
  return {
    id: request.id,
    method: request.method,
    path: request.url.split('?')[0] ?? '/',
    route: routeOf(request).url,
    clientIp: clientIp(request),
  };
}

/**
 * The counters behind lockouts and rate limits, failing closed: when their store (Redis) is unreachable, protected
 * requests get 503 rather than being let through unchecked.
 */
export function failClosed(counters: CounterStore): CounterStore {
  const unavailable = (error: unknown) =>
    new AppError({
      status: 503,
      message: 'Security store unavailable, try again later',
      code: ERROR_CODES.unavailable,
      cause: error,
    });
  // A plain promise chain rather than an async wrapper: one of these runs on every protected request.
  const guard =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> => {
      try {
        return fn(...args).catch((error: unknown) => Promise.reject(unavailable(error)));
      } catch (error) {
        return Promise.reject(unavailable(error));
      }
    };
  return {
    increment: guard(counters.increment.bind(counters)),
    peek: guard(counters.peek.bind(counters)),
    addIfAbsent: guard(counters.addIfAbsent.bind(counters)),
    // Unguarded: /health reports a failure itself rather than failing.
    ping: () => counters.ping(),
    close: () => counters.close(),
  };
}

const unauthorized = (message: string) =>
  new AppError({ status: 401, message, headers: { 'www-authenticate': 'ApiKey header="X-API-Key"' } });

/**
 * The protection of every API route, added as hooks to the protected context (so routes registered there are
 * protected by default). Per request, in order: the failed-authentication limit per client IP, the API key, the
 * request signature (on the raw bytes, before any parsing), then the route's own rate limit.
 */
export const securityPlugin = fp(
  (app: FastifyInstance, options: SecurityOptions) => {
    const { audit, keys } = options;
    const { counters } = options;
    const failKey = (ip: string) => `authfail:${ip}`;

    async function refuseIfLockedOut(request: FastifyRequest): Promise<void> {
      const { count, resetMs } = await counters.peek(failKey(clientIp(request)));
      if (count >= options.failedAuth.limit) {
        // One event per window and IP, so a flood cannot grow the audit table.
        if (await counters.addIfAbsent(`authfail-logged:${clientIp(request)}`, Math.max(1000, resetMs))) {
          audit.record({ event: 'api_key_auth', outcome: 'rate_limited', request: eventRequest(request) });
        }
        throw rateLimited(Math.max(1, Math.ceil(resetMs / 1000)), 'Too many failed authentication attempts');
      }
    }

    async function countFailure(request: FastifyRequest): Promise<void> {
      await counters.increment(failKey(clientIp(request)), options.failedAuth.windowMs);
    }

    app.addHook('onRequest', async (request) => {
      if (!options.auth.enabled) {
        return;
      }
      await refuseIfLockedOut(request);
      const check = await keys.verify(single(request.headers['x-api-key']));
      if (!check.valid) {
        await countFailure(request);
        audit.record({
          event: 'api_key_auth',
          outcome: check.reason,
          request: eventRequest(request),
          actor: check.fingerprint ? `api_key:${check.fingerprint}` : null,
        });
        throw unauthorized(AUTH_FAILED_MESSAGE);
      }
      request.keyFingerprint = check.fingerprint;
      audit.record({
        event: 'api_key_auth',
        outcome: 'valid_key',
        request: eventRequest(request),
        actor: `api_key:${check.fingerprint}`,
      });
    });

    app.addHook('preParsing', async (request, reply, payload) => {
      const signing = options.signing;
      if (signing.enabled && signing.methods.includes(request.method)) {
        if (signing.secret === '') {
          audit.record({ event: 'request_signing', outcome: 'misconfigured', request: eventRequest(request) });
          throw serviceUnavailable('Request signing is misconfigured');
        }
        if (!options.auth.enabled) {
          await refuseIfLockedOut(request);
        }
        const signature = single(request.headers['x-request-signature']);
        const check = verifySignature({
          secret: signing.secret,
          method: request.method,
          target: request.raw.url ?? request.url,
          body: request.rawBody ?? Buffer.alloc(0),
          timestampHeader: single(request.headers['x-request-timestamp']),
          signatureHeader: signature,
          nowSeconds: Math.floor(options.now() / 1000),
          maxAgeSeconds: signing.maxAgeSeconds,
        });
        const actor = request.keyFingerprint ? `api_key:${request.keyFingerprint}` : null;
        if (!check.ok) {
          await countFailure(request);
          audit.record({ event: 'request_signing', outcome: check.outcome, request: eventRequest(request), actor });
          throw unauthorized(check.message);
        }
        // A signature is accepted once (verified above, so it is present).
        if (!(await options.replay.firstUse(String(signature), options.now()))) {
          await countFailure(request);
          audit.record({ event: 'request_signing', outcome: 'replayed', request: eventRequest(request), actor });
          throw unauthorized('Request signature has already been used');
        }
        audit.record({ event: 'request_signing', outcome: 'valid_signature', request: eventRequest(request), actor });
      }
      const limit = options.rateLimits.enabled ? routeOf(request).rateLimit : undefined;
      if (limit !== undefined) {
        const route = routeOf(request).url ?? request.url;
        const { count, resetMs } = await counters.increment(
          `rl:${request.method}:${route}:${clientIp(request)}`,
          60_000,
        );
        const resetSeconds = Math.max(1, Math.ceil(resetMs / 1000));
        void reply.headers({
          'x-ratelimit-limit': String(limit),
          'x-ratelimit-remaining': String(Math.max(0, limit - count)),
          'x-ratelimit-reset': String(resetSeconds),
        });
        if (count > limit) {
          throw rateLimited(resetSeconds, `Rate limit exceeded: ${limit} per 1 minute`);
        }
      }
      return payload;
    });
  },
  { name: 'security' },
);
