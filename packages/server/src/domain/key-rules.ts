import { isScope, type Scope } from '@contextpilot/contract';

import { createNetworkMatcher } from './networks.js';
import type { Principal } from './principal.js';

/** Why a stored key that was found is refused (each is the outcome of its `api_key_auth` event). */
export type StoredKeyRefusal = 'revoked_used' | 'expired_key' | 'grace_expired' | 'network_refused' | 'person_disabled';

/** A stored key as the rules need it (times as RFC 3339 strings, as stored). */
export interface KeyFacts {
  id: string;
  personId: string;
  scopes: readonly string[];
  expiresAt: string | null;
  revokedAt: string | null;
  previousValidUntil: string | null;
  allowedNetworks: readonly string[];
}

export type StoredKeyJudgement =
  { valid: true; principal: Principal; grace: boolean } | { valid: false; refusal: StoredKeyRefusal };

/**
 * Whether a stored key found by its digest lets a request in, and as whom. `matched` says which digest it matched:
 * the current one, or the one it had before a rotation, valid until the end of the grace period. Checked in this
 * order: revoked, expired, grace over, client network, person disabled.
 */
export function judgeStoredKey(
  key: KeyFacts,
  matched: 'current' | 'previous',
  request: { nowMs: number; clientIp: string; personDisabled: boolean },
): StoredKeyJudgement {
  if (key.revokedAt !== null) {
    return { valid: false, refusal: 'revoked_used' };
  }
  if (key.expiresAt !== null && Date.parse(key.expiresAt) <= request.nowMs) {
    return { valid: false, refusal: 'expired_key' };
  }
  const grace = matched === 'previous';
  if (grace && (key.previousValidUntil === null || Date.parse(key.previousValidUntil) <= request.nowMs)) {
    return { valid: false, refusal: 'grace_expired' };
  }
  if (!createNetworkMatcher(key.allowedNetworks)(request.clientIp)) {
    return { valid: false, refusal: 'network_refused' };
  }
  if (request.personDisabled) {
    return { valid: false, refusal: 'person_disabled' };
  }
  // Names read back from storage that this version does not know grant nothing.
  const scopes = new Set<Scope>(key.scopes.filter(isScope));
  return { valid: true, grace, principal: Object.freeze({ keyId: key.id, personId: key.personId, scopes }) };
}
