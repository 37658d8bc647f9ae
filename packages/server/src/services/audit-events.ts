/**
 * Every security event and the outcomes it may record. The types below derive from this table, so recording an event
 * or an outcome that is not listed here does not compile. Rows already in the store are plain strings (an older
 * version may have written other names), and so are the filters of `GET /security/events`.
 */
export const SECURITY_EVENTS = {
  /** The API key of a protected request (and the failed-authentication limit checked before it). */
  /** Keys created, revoked or rotated through `/security/keys`. */
  api_key_management: ['created', 'revoked', 'rotated'],
  api_key_auth: [
    'valid_key',
    'missing_key',
    'invalid_key',
    'rate_limited',
    // Stored keys: the digest from before a rotation, inside its grace period (let in), and the refusals of a key
    // that was found.
    'grace_used',
    'revoked_used',
    'expired_key',
    'grace_expired',
    'network_refused',
    'person_disabled',
  ],
  /** The signature of a request whose method is signed. */
  request_signing: [
    'valid_signature',
    'missing_headers',
    'invalid_timestamp',
    'invalid_signature',
    'replayed',
    'misconfigured',
  ],
  /** `POST /security/api-key/rotate`, recorded by the key service. */
  api_key_rotation: ['success', 'auth_disabled'],
  /** A request refused because its Host names no name this server answers to (DNS rebinding). */
  host_check: ['disallowed_host'],
  /** A request that may change state refused because a browser sent it for another origin (CSRF). */
  origin_check: ['null_origin', 'disallowed_origin', 'cross_site'],
  /**
   * A request (or an MCP tool call, prompt or resource read) refused because its key lacks the scope it needs;
   * `details.scope` names that scope.
   */
  forbidden: ['missing_scope'],
} as const satisfies Record<string, readonly string[]>;

export type EventName = keyof typeof SECURITY_EVENTS;
export type EventOutcome<E extends EventName> = (typeof SECURITY_EVENTS)[E][number];

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

/** What a caller records; the audit log adds the id and the time. One member per event, with its own outcomes. */
export type EventInput = {
  [E in EventName]: {
    event: E;
    outcome: EventOutcome<E>;
    request?: EventRequest | undefined;
    actor?: string | null | undefined;
    details?: Record<string, unknown> | undefined;
  };
}[EventName];

/** The input of one event. */
export type EventInputOf<E extends EventName> = Extract<EventInput, { event: E }>;

/** The actor of an event made with an API key: the key's fingerprint, never any part of the key. */
export function keyActor(fingerprint: string | null | undefined): string | null {
  return fingerprint ? `api_key:${fingerprint}` : null;
}

/**
 * Refusals made before any route runs. A page in a browser can send them in bulk and unauthenticated, so, like
 * successful reads, they are summarized: one row per client and outcome per window (see `success-aggregation.ts`).
 */
export const EDGE_REFUSAL_EVENTS: ReadonlySet<EventName> = new Set<EventName>(['host_check', 'origin_check']);
