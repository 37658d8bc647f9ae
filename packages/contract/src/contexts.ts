import { z } from 'zod';

import { CONTEXT_STATUSES, CONTEXT_TYPES, SCHEMA_LIMITS, UNIT_RULES } from './limits.js';

export const ContextType = z.enum(CONTEXT_TYPES);
export type ContextType = z.infer<typeof ContextType>;
export const ContextStatus = z.enum(CONTEXT_STATUSES);
export type ContextStatus = z.infer<typeof ContextStatus>;

/** RFC 3339 UTC timestamp with milliseconds and `Z`. */
export const Timestamp = z.string().describe('RFC 3339 UTC timestamp, e.g. 2026-01-02T03:04:05.123Z');

const rawText = z.string().max(SCHEMA_LIMITS.maxRawStringLength);
const confidence = z.number().min(0).max(1);
const tagList = z.array(z.string().max(1000)).max(1000);

/** A stored context unit as it appears on the wire (v1 key order). */
export const ContextUnit = z.object({
  id: z.string(),
  type: ContextType,
  content: z.string(),
  confidence: z.number(),
  created_at: Timestamp,
  last_used: Timestamp.nullable(),
  source: z.string(),
  tags: z.array(z.string()),
  status: ContextStatus,
  superseded_by: z.string().nullable(),
});
export type ContextUnit = z.infer<typeof ContextUnit>;

export const ContextUnitCreate = z.strictObject({
  type: ContextType,
  content: rawText,
  confidence: confidence.default(UNIT_RULES.defaultConfidence),
  tags: tagList.default([]),
  source: z.string().max(UNIT_RULES.maxSourceLength).default(UNIT_RULES.defaultSource),
});
export type ContextUnitCreate = z.input<typeof ContextUnitCreate>;

/** Partial update: only keys present in the JSON are applied. `superseded_by: null` clears the link. */
export const ContextUnitUpdate = z.strictObject({
  type: ContextType.optional(),
  content: rawText.optional(),
  confidence: confidence.optional(),
  tags: tagList.optional(),
  status: ContextStatus.optional(),
  superseded_by: z.string().max(100).nullable().optional(),
});
export type ContextUnitUpdate = z.infer<typeof ContextUnitUpdate>;

/**
 * `POST /contexts/{id}/supersede`: the unit that replaces an active one. Fields left out are taken from the unit it
 * replaces; the old unit becomes `superseded` with `superseded_by` set to the new one.
 */
export const SupersedeRequest = z.strictObject({
  content: rawText,
  type: ContextType.optional(),
  confidence: confidence.optional(),
  tags: tagList.optional(),
  source: z.string().max(UNIT_RULES.maxSourceLength).optional(),
});
export type SupersedeRequest = z.infer<typeof SupersedeRequest>;

const booleanQuery = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])])
  .transform((v) => v === true || v === 'true' || v === '1' || v === 'yes' || v === 'on');

const integerQuery = z
  .union([z.number(), z.string().regex(/^-?\d{1,9}$/, 'must be an integer')])
  .transform((v) => Number(v))
  .pipe(z.number().int());

export const ListContextsQuery = z.object({
  include_superseded: booleanQuery.default(false),
  type: z.string().max(100).optional(),
  tags: z.string().max(5000).optional(),
  search: z.string().max(1000).optional(),
  status_filter: z.string().max(100).optional(),
  limit: integerQuery.pipe(z.number().min(0).max(SCHEMA_LIMITS.maxListLimit)).default(100),
  offset: integerQuery.pipe(z.number().min(0)).default(0),
});
export type ListContextsQuery = z.input<typeof ListContextsQuery>;

export const ContextIdParams = z.strictObject({ context_id: z.string().max(200) });

export const ExportQuery = z.object({ format: z.string().max(20).default('json') });

export const ImportQuery = z.object({ replace_existing: booleanQuery.default(false) });

export const ImportResult = z.object({
  imported: z.number().int(),
  skipped: z.number().int(),
  errors: z.array(z.string()),
  total_errors: z.number().int(),
});
export type ImportResult = z.infer<typeof ImportResult>;

/** One context as written by export and accepted by import. */
export const ExportedContext = z.object({
  id: z.string(),
  type: ContextType,
  content: z.string(),
  confidence: z.number(),
  tags: z.array(z.string()),
  source: z.string(),
  status: ContextStatus,
  created_at: Timestamp,
  last_used: Timestamp.nullable(),
  superseded_by: z.string().nullable(),
});
export type ExportedContext = z.infer<typeof ExportedContext>;

export const ExportDocument = z.object({
  export_date: Timestamp,
  total_contexts: z.number().int(),
  contexts: z.array(ExportedContext),
});
export type ExportDocument = z.infer<typeof ExportDocument>;

export const Stats = z.object({
  total_contexts: z.number().int(),
  active_contexts: z.number().int(),
  superseded_contexts: z.number().int(),
  contexts_by_type: z.record(z.string(), z.number().int()),
  contexts_with_embeddings: z.number().int(),
  embedding_cache: z.object({ size: z.number().int(), max_size: z.number().int(), ttl_seconds: z.number().int() }),
  response_cache: z.object({ size: z.number().int(), max_size: z.number().int(), default_ttl: z.number().int() }),
  embedding_model: z.object({ id: z.string(), dimension: z.number().int() }),
});
export type Stats = z.infer<typeof Stats>;
