import type { GeneratedPrompt, RankedContextUnit } from '@contextpilot/contract';

import type { Ranked, ScoreBreakdown } from '../../domain/ranking.js';
import type { ContextUnit } from '../../domain/types.js';
import type { PromptResult } from '../../services/prompt-service.js';
import { presentContext } from './contexts.js';

/** Scores on the wire have 6 decimals: enough to order and compare, without float noise like 0.30000000000000004. */
const round = (x: number) => Math.round(x * 1e6) / 1e6;

/** A score and its breakdown as every response shows them: `/generate-prompt`, chat and the stream's `meta`. */
export function presentScore(
  score: number,
  b: ScoreBreakdown,
): Pick<RankedContextUnit, 'relevance_score' | 'score_breakdown'> {
  return {
    relevance_score: round(score),
    score_breakdown: {
      lexical: round(b.lexical),
      semantic: round(b.semantic),
      fused: round(b.fused),
      confidence: b.confidence,
      tag_bonus: round(b.tagBonus),
      matched_tags: b.matchedTags,
      sequence: round(b.sequence),
    },
  };
}

export function presentRanked(ranked: Ranked<ContextUnit>): RankedContextUnit {
  return { context_unit: presentContext(ranked.unit), ...presentScore(ranked.score, ranked.breakdown) };
}

export function presentPrompt(result: PromptResult): GeneratedPrompt {
  return {
    original_task: result.task,
    relevant_context: result.ranked.map(presentRanked),
    generated_prompt: result.prompt,
    timestamp: result.timestamp,
  };
}
