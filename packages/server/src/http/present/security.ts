import type { RotateKeyResponse, SecurityEventList } from '@contextpilot/contract';

import type { SecurityEvent } from '../../storage/store.js';

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
