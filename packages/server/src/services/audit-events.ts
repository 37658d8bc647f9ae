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
