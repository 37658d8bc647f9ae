import { z } from 'zod';

import { Timestamp } from './contexts.js';

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
