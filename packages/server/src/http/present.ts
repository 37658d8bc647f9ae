import type {
  AIResponse,
  ChatStreamMeta,
  UsedContext as UsedContextWire,
  ConversationDetail,
  ConversationSummary,
  ContextUnit as WireContextUnit,
  GeneratedPrompt,
  ImportResult,
  RankedContextUnit,
} from '@contextpilot/contract';

import type { Ranked, ScoreBreakdown } from '../domain/ranking.js';
import type { ContextUnit } from '../domain/types.js';
import type { ChatOutcome, ChatPlan, UsedContext } from '../services/chat-service.js';
import type { ImportOutcome } from '../services/context-service.js';
import type { ConversationRecord, ConversationSummaryRecord, MessageRecord } from '../storage/store.js';
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

/** Scores on the wire have 6 decimals: enough to order and compare, without float noise like 0.30000000000000004. */
const round = (x: number) => Math.round(x * 1e6) / 1e6;

/** A score and its breakdown as every response shows them: `/generate-prompt`, chat and the stream's `meta`. */
function presentScore(
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

const presentUsedContext = (c: UsedContext): UsedContextWire => ({ id: c.id, ...presentScore(c.score, c.breakdown) });

/** The `meta` event of a streamed reply: what will answer, from which prompt and contexts. */
export function presentStreamMeta(plan: ChatPlan): ChatStreamMeta {
  return {
    conversation_id: plan.conversationId,
    provider: plan.provider,
    model: plan.model,
    task: plan.task,
    prompt_used: plan.prompt,
    history_dropped: plan.historyDropped,
    contexts: plan.contexts.map(presentUsedContext),
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

export function presentChat(outcome: ChatOutcome): AIResponse {
  return {
    conversation_id: outcome.conversationId,
    task: outcome.task,
    response: outcome.response,
    provider: outcome.provider,
    model: outcome.model,
    context_ids: outcome.contextIds,
    prompt_used: outcome.prompt,
    timestamp: outcome.timestamp,
    contexts: outcome.contexts.map(presentUsedContext),
    finish_reason: outcome.finishReason,
    tokens: outcome.tokens,
  };
}

export function presentConversationSummary(c: ConversationSummaryRecord): ConversationSummary {
  return {
    id: c.id,
    task: c.task,
    prompt_type: c.promptType,
    provider: c.provider,
    model: c.model,
    created_at: c.createdAt,
    last_message_at: c.lastMessageAt,
    message_count: c.messageCount,
  };
}

export function presentConversation(c: ConversationRecord & { messages: MessageRecord[] }): ConversationDetail {
  return {
    id: c.id,
    task: c.task,
    prompt_type: c.promptType,
    provider: c.provider,
    model: c.model,
    context_ids: c.contextIds,
    created_at: c.createdAt,
    last_message_at: c.lastMessageAt,
    messages: c.messages.map((m) => ({
      id: m.id,
      role: m.role,
      content: m.content,
      tokens: m.tokens,
      finish_reason: m.finishReason,
      model: m.model,
      created_at: m.createdAt,
      context_ids: m.contextIds,
      task: m.task,
    })),
  };
}
