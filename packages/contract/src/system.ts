import { z } from 'zod';

import { Timestamp } from './contexts.js';

export const RootInfo = z.object({ message: z.string(), version: z.string(), docs: z.string() });
export type RootInfo = z.infer<typeof RootInfo>;

const Component = z.object({
  status: z.enum(['healthy', 'unhealthy', 'degraded']),
  error: z.string().optional(),
  dimension: z.number().int().optional(),
  model: z.string().optional(),
  backend: z.string().optional(),
  pending: z.number().int().optional(),
  /** Embedding jobs waiting for a worker (queries, writes and background indexing together). */
  queued: z.number().int().optional(),
  /** How long the oldest waiting query or write has waited for the embedder (ms). */
  oldest_wait_ms: z.number().int().optional(),
});

/** `/health` always answers 200 (v1 clients read `status`); see the README. */
export const Health = z.object({
  status: z.enum(['healthy', 'unhealthy']),
  timestamp: Timestamp,
  components: z.object({
    embedding_model: Component,
    storage: Component,
    indexing: Component.optional(),
    /** Where rate limits and lockouts are counted (`memory` or `redis`); protected requests fail while it is down. */
    rate_limit_store: Component.optional(),
  }),
});
export type Health = z.infer<typeof Health>;
