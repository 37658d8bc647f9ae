import { z } from 'zod';

import { ContextType, ContextUnit, Timestamp } from './contexts.js';
import { SCHEMA_LIMITS } from './limits.js';

export const TaskRequest = z.strictObject({
  task: z.string().max(SCHEMA_LIMITS.maxRawStringLength),
  /** Default 5, or the server's limit when that is lower. */
  max_context_units: z.number().int().min(1).max(SCHEMA_LIMITS.maxContextUnits).optional(),
  /** Drop ranked units whose relevance_score is below this (0..1). Without it the top K are returned. */
  min_score: z.number().min(0).max(1).optional(),
  /** Rank only units of these types. */
  types: z.array(ContextType).max(10).optional(),
  /** Rank only units having any of these tags (case-insensitive). */
  tags: z.array(z.string().max(1000)).max(100).optional(),
});
export type TaskRequest = z.input<typeof TaskRequest>;

/** How a relevance_score was made; every component is in [0,1]. */
export const ScoreBreakdown = z.object({
  lexical: z.number(),
  semantic: z.number(),
  fused: z.number(),
  confidence: z.number(),
  tag_bonus: z.number(),
  matched_tags: z.array(z.string()),
  /** Score inherited from the unit just before this one from the same source (0 when none). */
  sequence: z.number(),
});
export type ScoreBreakdown = z.infer<typeof ScoreBreakdown>;

export const RankedContextUnit = z.object({
  context_unit: ContextUnit,
  relevance_score: z.number(),
  score_breakdown: ScoreBreakdown,
});
export type RankedContextUnit = z.infer<typeof RankedContextUnit>;

export const GeneratedPrompt = z.object({
  original_task: z.string(),
  relevant_context: z.array(RankedContextUnit),
  generated_prompt: z.string(),
  timestamp: Timestamp,
});
export type GeneratedPrompt = z.infer<typeof GeneratedPrompt>;
