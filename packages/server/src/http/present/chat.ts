import type {
  AIResponse,
  ChatStreamDelta,
  ChatStreamMeta,
  ConversationList,
  ConversationDetail,
  ConversationSummary,
  UsedContext as UsedContextWire,
} from '@contextpilot/contract';

import type { ChatOutcome, ChatPlan, UsedContext } from '../../services/chat-service.js';
import type { ConversationRecord, ConversationSummaryRecord, MessageRecord } from '../../storage/store.js';
import { presentScore } from './prompt.js';

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

/** A piece of a streamed reply's text. */
export const presentDelta = (text: string): ChatStreamDelta => ({ text });

/** `GET /ai/conversations`: a page of conversations, with the limit and offset actually used. */
export function presentConversationList(
  list: readonly ConversationSummaryRecord[],
  page: { limit: number; offset: number },
): ConversationList {
  return {
    conversations: list.map(presentConversationSummary),
    limit: page.limit,
    offset: page.offset,
    count: list.length,
  };
}

/** The first fields of a conversation, in list and in detail. */
const conversationHead = (c: ConversationRecord) => ({
  id: c.id,
  task: c.task,
  prompt_type: c.promptType,
  provider: c.provider,
  model: c.model,
});

export function presentConversationSummary(c: ConversationSummaryRecord): ConversationSummary {
  return {
    ...conversationHead(c),
    created_at: c.createdAt,
    last_message_at: c.lastMessageAt,
    message_count: c.messageCount,
  };
}

export function presentConversation(c: ConversationRecord & { messages: MessageRecord[] }): ConversationDetail {
  return {
    ...conversationHead(c),
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
