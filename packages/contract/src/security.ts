import { z } from 'zod';

import { Timestamp } from './contexts.js';
import { SCOPES } from './scopes.js';

export const RotateKeyResponse = z.object({
  message: z.string(),
  api_key: z.string(),
  rotated_at: Timestamp,
  note: z.string(),
});
export type RotateKeyResponse = z.infer<typeof RotateKeyResponse>;

const integerQuery = z
  .union([z.number(), z.string().regex(/^-?\d{1,9}$/, 'must be an integer')])
  .transform((v) => Number(v));

/** `limit` is clamped to 1..200 and `offset` to ≥ 0 (v1 behaviour), not rejected. */
export const SecurityEventsQuery = z.object({
  limit: integerQuery.default(50),
  offset: integerQuery.default(0),
  event: z.string().max(100).optional(),
  outcome: z.string().max(100).optional(),
  request_id: z.string().max(100).optional(),
});

export const SecurityEvent = z.object({
  id: z.string(),
  event: z.string(),
  outcome: z.string(),
  request_id: z.string().nullable(),
  method: z.string().nullable(),
  path: z.string().nullable(),
  client_ip: z.string().nullable(),
  actor: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
  created_at: Timestamp,
});
export type SecurityEvent = z.infer<typeof SecurityEvent>;

export const SecurityEventList = z.object({
  events: z.array(SecurityEvent),
  count: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
});
export type SecurityEventList = z.infer<typeof SecurityEventList>;

/** `POST /security/keys`: a key for a person (the caller's unless given), with scopes the caller holds itself. */
export const ApiKeyCreate = z.strictObject({
  name: z.string().trim().min(1).max(100),
  person_id: z.string().min(1).max(100).optional(),
  scopes: z.array(z.enum(SCOPES)).min(1).max(SCOPES.length),
  /** RFC 3339; the key stops working then. */
  expires_at: z.string().max(40).nullable().optional(),
  /** Client networks (CIDR, or single addresses) the key works from; none: any. */
  allowed_networks: z.array(z.string().max(64)).max(50).optional(),
});
export type ApiKeyCreate = z.infer<typeof ApiKeyCreate>;

/** A stored key as listed: never the key or its hash. */
export const ApiKeyInfo = z.object({
  id: z.string(),
  name: z.string(),
  person_id: z.string(),
  scopes: z.array(z.string()),
  created_at: Timestamp,
  last_used_at: Timestamp.nullable(),
  expires_at: Timestamp.nullable(),
  allowed_networks: z.array(z.string()),
  revoked_at: Timestamp.nullable(),
  /** After a rotation: the previous key works until then. */
  previous_valid_until: Timestamp.nullable(),
});
export type ApiKeyInfo = z.infer<typeof ApiKeyInfo>;

/** A new or rotated key: the only answer that holds the key itself. */
export const ApiKeyCreated = ApiKeyInfo.extend({ key: z.string() });
export type ApiKeyCreated = z.infer<typeof ApiKeyCreated>;

export const ApiKeyList = z.object({ keys: z.array(ApiKeyInfo) });
export type ApiKeyList = z.infer<typeof ApiKeyList>;

export const ApiKeyIdParams = z.strictObject({ key_id: z.string().max(100) });

/** `POST /security/keys/{id}/rotate`: how long the previous key keeps working (default 0: not at all). */
export const ApiKeyRotate = z.strictObject({
  grace_seconds: z
    .number()
    .int()
    .min(0)
    .max(7 * 86_400)
    .optional(),
});
export type ApiKeyRotate = z.infer<typeof ApiKeyRotate>;
