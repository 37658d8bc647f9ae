import type { Scope } from '@contextpilot/contract';

/**
 * Who a request acts for, as its authentication established it: which key, which person, and what that key may do.
 * Every protected request has one (`request.principal`, set by the auth plugin); the scope check and, later, the
 * storage layer's person filter read it and nothing else.
 */
export interface Principal {
  /** The stored key the request presented; null for the single v1 key (environment or rotated) and with auth off. */
  readonly keyId: string | null;
  /** The person the request acts for; null for the owner of a single-key server. */
  readonly personId: string | null;
  /** What the key may do (`admin` implies every scope). */
  readonly scopes: ReadonlySet<Scope>;
}

/**
 * The owner of a server with one key: the v1 API key (from the environment or rotated), any request while
 * authentication is off, and the embedded stdio MCP server on a local store. No stored key, no person, every scope.
 */
export const OWNER_PRINCIPAL: Principal = Object.freeze({
  keyId: null,
  personId: null,
  scopes: new Set<Scope>(['admin']),
});
