import type {
  ContextUnit as WireContextUnit,
  GeneratedPrompt,
  ImportResult,
  RankedContextUnit,
} from '@contextpilot/contract';

import type { Ranked } from '../domain/ranking.js';
import type { ContextUnit } from '../domain/types.js';
import type { ImportOutcome } from '../services/context-service.js';
import type { PromptResult } from '../services/prompt-service.js';

/** The v1 wire shape of a unit (key order of the original API). */
export function presentContext(unit: ContextUnit): WireContextUnit {
  return {
    id: unit.id,
    type: unit.type,
    content: unit.content,
    confidence: unit.confidence,
    created_at: unit.createdAt,
    last_used: unit.lastUsed,
    source: unit.source,
    tags: unit.tags,
    status: unit.status,
    superseded_by: unit.supersededBy,
  };
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;

export function presentRanked(ranked: Ranked<ContextUnit>): RankedContextUnit {
  const b = ranked.breakdown;
  return {
    context_unit: presentContext(ranked.unit),
    relevance_score: round(ranked.score),
    score_breakdown: {
      lexical: round(b.lexical),
      semantic: round(b.semantic),
      fused: round(b.fused),
      confidence: b.confidence,
      tag_bonus: round(b.tagBonus),
      matched_tags: b.matchedTags,
    },
  };
}

export function presentPrompt(result: PromptResult): GeneratedPrompt {
  return {
    original_task: result.task,
    relevant_context: result.ranked.map(presentRanked),
    generated_prompt: result.prompt,
    timestamp: result.timestamp,
  };
}

export function presentImport(outcome: ImportOutcome): ImportResult {
  return {
    imported: outcome.imported,
    skipped: outcome.skipped,
    errors: outcome.errors,
    total_errors: outcome.totalErrors,
  };
}
