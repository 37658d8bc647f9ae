import type { ApiKeyCreated, ApiKeyInfo, RotateKeyResponse, SecurityEventList } from '@contextpilot/contract';

import type { SecurityEvent, StoredApiKey } from '../../storage/store.js';

/** `POST /security/api-key/rotate`: the new key, shown this once. */
export function presentRotation(rotated: { key: string; rotatedAt: string }): RotateKeyResponse {
  return {
    message: 'API key rotated successfully',
    api_key: rotated.key,
    rotated_at: rotated.rotatedAt,
    note: 'Store this key securely now; it will not be shown again',
  };
}

/** `GET /security/events`: a page of the audit log, with the limit and offset actually used. */
export function presentSecurityEvents(
  events: readonly SecurityEvent[],
  page: { limit: number; offset: number },
): SecurityEventList {
  return {
    events: events.map((e) => ({
      id: e.id,
      event: e.event,
      outcome: e.outcome,
      request_id: e.requestId,
      method: e.method,
      path: e.path,
      client_ip: e.clientIp,
      actor: e.actor,
      details: e.details,
      created_at: e.createdAt,
    })),
    count: events.length,
    limit: page.limit,
    offset: page.offset,
  };
}

/** A stored key as the API shows it: never its hash. */
export function presentApiKey(key: StoredApiKey): ApiKeyInfo {
  return {
    id: key.id,
    name: key.name,
    person_id: key.personId,
    scopes: key.scopes,
    created_at: key.createdAt,
    last_used_at: key.lastUsedAt,
    expires_at: key.expiresAt,
    allowed_networks: key.allowedNetworks,
    revoked_at: key.revokedAt,
    previous_valid_until: key.previousValidUntil,
  };
}

/** A key just made or rotated: the only answer that holds the key. */
export function presentNewApiKey(made: { key: string; stored: StoredApiKey }): ApiKeyCreated {
  return { ...presentApiKey(made.stored), key: made.key };
}
