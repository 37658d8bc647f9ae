import type { ChatStreamMeta, UsedContext } from '@contextpilot/client';
import type { AIResponse, ConversationDetail } from '@contextpilot/contract';

export interface ChatMessage {
  id: string;
  role: 'user' | 'assistant';
  /** User: the text typed. Assistant: the reply (markdown). */
  content: string;
  createdAt: string;
  status: 'done' | 'streaming' | 'stopped';
  /** The turn was stopped or failed, so the server did not keep it. */
  unsaved?: boolean;
  provider?: string | null;
  model?: string | null;
  finishReason?: string | null;
  tokens?: number | null;
  /** Contexts used for the turn, with scores (replies received in this session). */
  contexts?: UsedContext[] | null;
  /** Contexts used for the turn, ids only (turns loaded from a saved conversation). */
  contextIds?: string[] | null;
  /** The composed prompt sent for the turn. */
  prompt?: string | null;
  /** Earlier messages left out so the history fitted the model. */
  historyDropped?: number;
}

export interface ChatState {
  conversationId: string | null;
  messages: ChatMessage[];
  /** The turn in flight. */
  pending: { task: string; userId: string; assistantId: string } | null;
}

export type ChatAction =
  | { type: 'reset' }
  | { type: 'load'; conversation: ConversationDetail }
  | { type: 'start'; task: string; userId: string; assistantId: string; at: string }
  | { type: 'meta'; meta: ChatStreamMeta }
  | { type: 'delta'; text: string }
  | { type: 'done'; response: AIResponse }
  | { type: 'fail' }
  | { type: 'stop' };

export const initialChatState: ChatState = { conversationId: null, messages: [], pending: null };

/** Finish reasons that mean the reply hit the token limit. */
export function isTruncated(finishReason: string | null | undefined): boolean {
  return finishReason === 'length' || finishReason === 'max_tokens';
}

function updateMessage(state: ChatState, id: string, patch: (m: ChatMessage) => ChatMessage): ChatMessage[] {
  return state.messages.map((m) => (m.id === id ? patch(m) : m));
}

/** Messages of a saved conversation: system messages dropped, each reply carrying its turn's contexts and prompt. */
export function messagesFromConversation(conversation: ConversationDetail): ChatMessage[] {
  const out: ChatMessage[] = [];
  let lastUser: ConversationDetail['messages'][number] | null = null;
  for (const m of conversation.messages) {
    if (m.role === 'system') {
      continue;
    }
    if (m.role === 'user') {
      lastUser = m;
      out.push({
        id: m.id,
        role: 'user',
        // A stored user message holds the composed prompt; `task` is what the person typed.
        content: m.task ?? m.content,
        createdAt: m.created_at,
        status: 'done',
        contextIds: m.context_ids,
        prompt: m.task !== null ? m.content : null,
      });
    } else {
      out.push({
        id: m.id,
        role: 'assistant',
        content: m.content,
        createdAt: m.created_at,
        status: 'done',
        model: m.model,
        provider: conversation.provider,
        finishReason: m.finish_reason,
        tokens: m.tokens,
        contextIds: lastUser?.context_ids ?? null,
        prompt: lastUser && lastUser.task !== null ? lastUser.content : null,
      });
    }
  }
  return out;
}

export function chatReducer(state: ChatState, action: ChatAction): ChatState {
  switch (action.type) {
    case 'reset':
      return initialChatState;
    case 'load':
      return {
        conversationId: action.conversation.id,
        messages: messagesFromConversation(action.conversation),
        pending: null,
      };
    case 'start':
      return {
        ...state,
        pending: { task: action.task, userId: action.userId, assistantId: action.assistantId },
        messages: [
          ...state.messages,
          { id: action.userId, role: 'user', content: action.task, createdAt: action.at, status: 'done' },
          { id: action.assistantId, role: 'assistant', content: '', createdAt: action.at, status: 'streaming' },
        ],
      };
    case 'meta': {
      const pending = state.pending;
      if (!pending) {
        return state;
      }
      const { meta } = action;
      return {
        ...state,
        messages: updateMessage(state, pending.assistantId, (m) => ({
          ...m,
          provider: meta.provider,
          model: meta.model,
          contexts: meta.contexts,
          prompt: meta.prompt_used,
          historyDropped: meta.history_dropped,
        })),
      };
    }
    case 'delta': {
      const pending = state.pending;
      if (!pending) {
        return state;
      }
      return {
        ...state,
        messages: updateMessage(state, pending.assistantId, (m) => ({ ...m, content: m.content + action.text })),
      };
    }
    case 'done': {
      const pending = state.pending;
      if (!pending) {
        return state;
      }
      const r = action.response;
      return {
        conversationId: r.conversation_id,
        pending: null,
        messages: state.messages.map((m) => {
          if (m.id === pending.userId) {
            return { ...m, contextIds: r.context_ids, prompt: r.prompt_used };
          }
          if (m.id === pending.assistantId) {
            return {
              ...m,
              content: r.response,
              createdAt: r.timestamp,
              status: 'done',
              provider: r.provider,
              model: r.model,
              finishReason: r.finish_reason,
              tokens: r.tokens,
              contexts: r.contexts,
              contextIds: r.context_ids,
              prompt: r.prompt_used,
            };
          }
          return m;
        }),
      };
    }
    case 'fail': {
      // Nothing was saved: take the turn out (the typed text goes back to the input).
      const pending = state.pending;
      if (!pending) {
        return state;
      }
      return {
        ...state,
        pending: null,
        messages: state.messages.filter((m) => m.id !== pending.userId && m.id !== pending.assistantId),
      };
    }
    case 'stop': {
      const pending = state.pending;
      if (!pending) {
        return state;
      }
      return {
        ...state,
        pending: null,
        messages: state.messages.map((m) =>
          m.id === pending.assistantId
            ? { ...m, status: 'stopped', unsaved: true }
            : m.id === pending.userId
              ? { ...m, unsaved: true }
              : m,
        ),
      };
    }
    default:
      return state;
  }
}

/** Distinct contexts used across the conversation. */
export function contextsUsed(messages: ChatMessage[]): number {
  const ids = new Set<string>();
  for (const m of messages) {
    if (m.role === 'assistant' && !m.unsaved) {
      for (const id of m.contexts?.map((c) => c.id) ?? m.contextIds ?? []) {
        ids.add(id);
      }
    }
  }
  return ids.size;
}
