import type { FastifyRequest } from 'fastify';

import type { EventRequest } from '../services/audit-events.js';
import type { RateBudget } from './plugins/rate-limit.js';
import type { RouteScope } from './plugins/scope-check.js';

const clientIps = new WeakMap<FastifyRequest, string>();

/** The client address, worked out once per request: behind a trusted proxy every `request.ip` re-parses the headers. */
export function clientIp(request: FastifyRequest): string {
  let ip = clientIps.get(request);
  if (ip === undefined) {
    ip = request.ip;
    clientIps.set(request, ip);
  }
  return ip;
}

export interface RouteFacts {
  /** The matched route's pattern; undefined when no route matched. */
  url: string | undefined;
  /** Requests per minute per client IP, when the route is limited (its `config.rateLimit`). */
  rateLimit: number | RateBudget | undefined;
  /** The API key may come as `Authorization: Bearer <key>` as well (its `config.acceptsBearer`). */
  acceptsBearer: boolean;
  /** Exempt from request signing (its `config.unsigned`). */
  unsigned: boolean;
  /** The Origin rule applies to every method, not only to writes (its `config.originCheck`). */
  checksEveryOrigin: boolean;
  /** The scope the route needs (its `config.scope`); undefined when no route matched. */
  scope: RouteScope | undefined;
}
const routeFacts = new WeakMap<FastifyRequest, RouteFacts>();

/** What the checks need of the matched route, read once per request: `request.routeOptions` builds a new object. */
export function routeOf(request: FastifyRequest): RouteFacts {
  let facts = routeFacts.get(request);
  if (facts === undefined) {
    const { url, config } = request.routeOptions;
    facts = {
      url,
      rateLimit: config.rateLimit,
      acceptsBearer: config.acceptsBearer === true,
      unsigned: config.unsigned === true,
      checksEveryOrigin: config.originCheck === 'every-request',
      scope: config.scope,
    };
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

/** A header that must be sent once: a repeated one comes back as a value no key or signature can match. */
export function singleHeader(value: string | string[] | undefined): string | undefined {
  // Node joins or lists duplicates, neither of which is a key or a signature.
  return Array.isArray(value) ? `${value.join(', ')}, ` : value;
}
