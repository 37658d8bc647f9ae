/** The request metadata of a security event (no headers, no body). */
export interface EventRequest {
  id: string;
  method: string;
  /** The path as sent, without the query string. */
  path: string;
  /** The matched route's pattern (`/contexts/:id`); undefined when no route matched. */
  route: string | undefined;
  clientIp: string;
}

/** What a caller records; the audit log adds the id and the time. */
export interface EventInput {
  event: string;
  outcome: string;
  request?: EventRequest | undefined;
  actor?: string | null | undefined;
  details?: Record<string, unknown> | undefined;
}

/** A request refused because its Host names no name this server answers to (DNS rebinding). */
export const HOST_CHECK_EVENT = 'host_check';
/** A request that may change state refused because a browser sent it for another origin (CSRF). */
export const ORIGIN_CHECK_EVENT = 'origin_check';
/**
 * Refusals made before any route runs. A page in a browser can send them in bulk and unauthenticated, so, like
 * successful reads, they are summarized per client, method and path (see `success-aggregation.ts`).
 */
export const EDGE_REFUSAL_EVENTS: ReadonlySet<string> = new Set([HOST_CHECK_EVENT, ORIGIN_CHECK_EVENT]);
