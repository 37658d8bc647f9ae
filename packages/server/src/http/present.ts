import type {
  AIResponse,
  ConversationDetail,
  ConversationSummary,
  ContextUnit as WireContextUnit,
  GeneratedPrompt,
  ImportResult,
  RankedContextUnit,
} from '@contextpilot/contract';

import type { Ranked } from '../domain/ranking.js';
import type { ContextUnit } from '../domain/types.js';
import type { ChatOutcome } from '../services/chat-service.js';
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
      sequence: round(b.sequence),
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
    contexts: outcome.contexts.map((c) => ({
      id: c.id,
      relevance_score: round(c.score),
      score_breakdown: c.breakdown,
    })),
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
