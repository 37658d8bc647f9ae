import { z } from 'zod';

import { Timestamp } from './contexts.js';
import { SCHEMA_LIMITS } from './limits.js';
import { isUrlSettingValue } from './ai-settings.js';
import { ErrorEnvelope } from './errors.js';
import { ScoreBreakdown } from './prompt.js';

/** Body of `POST /ai/chat` and `POST /ai/chat/stream`. `null` values mean "not set" (the v1 web client sends them). */
export const AIRequest = z.strictObject({
  task: z.string().max(SCHEMA_LIMITS.maxRawStringLength),
  /** Default 5, or the server's limit when that is lower; 0 sends the task without contexts. */
  max_context_units: z.number().int().min(0).max(SCHEMA_LIMITS.maxContextUnits).optional(),
  provider: z.string().max(50).nullable().optional(),
  model: z.string().max(200).nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  max_tokens: z.number().int().min(1).max(16000).nullable().optional(),
  use_compact: z.boolean().default(false),
  conversation_id: z.string().max(100).nullable().optional(),
  min_score: z.number().min(0).max(1).optional(),
});
export type AIRequest = z.input<typeof AIRequest>;

export const UsedContext = z.object({ id: z.string(), relevance_score: z.number(), score_breakdown: ScoreBreakdown });

export const AIResponse = z.object({
  conversation_id: z.string(),
  task: z.string(),
  response: z.string(),
  provider: z.string(),
  model: z.string(),
  context_ids: z.array(z.string()),
  prompt_used: z.string(),
  timestamp: Timestamp,
  /** Added in this implementation: scores of the contexts used, and why the reply ended. */
  contexts: z.array(UsedContext),
  finish_reason: z.string().nullable(),
  tokens: z.number().int().nullable(),
});
export type AIResponse = z.infer<typeof AIResponse>;
export type UsedContext = z.infer<typeof UsedContext>;

/** The first event of `POST /ai/chat/stream`: what will answer, from which prompt and contexts. */
export const ChatStreamMeta = z.object({
  conversation_id: z.string(),
  provider: z.string(),
  model: z.string(),
  task: z.string(),
  prompt_used: z.string(),
  /** Earlier messages left out so the history fits the model's context window. */
  history_dropped: z.number().int(),
  contexts: z.array(UsedContext),
});
export type ChatStreamMeta = z.infer<typeof ChatStreamMeta>;

/** A piece of the reply's text. */
export const ChatStreamDelta = z.object({ text: z.string() });
export type ChatStreamDelta = z.infer<typeof ChatStreamDelta>;

/** The stream's last event when the reply failed after it started: the error envelope plus the HTTP status. */
export const ChatStreamError = ErrorEnvelope.extend({ status: z.number().int() });
export type ChatStreamError = z.infer<typeof ChatStreamError>;

/**
 * The events of `POST /ai/chat/stream` by name, in the order they come: one `meta`, any number of `delta`, then
 * `done` (the whole reply, as `POST /ai/chat` answers it) or `error`. The server writes and the SDK reads them
 * through these schemas.
 */
export const CHAT_STREAM_EVENTS = {
  meta: ChatStreamMeta,
  delta: ChatStreamDelta,
  done: AIResponse,
  error: ChatStreamError,
} as const;
export type ChatStreamEventName = keyof typeof CHAT_STREAM_EVENTS;
export type ChatStreamEventData<K extends ChatStreamEventName> = z.infer<(typeof CHAT_STREAM_EVENTS)[K]>;

export const ConversationSummary = z.object({
  id: z.string(),
  task: z.string(),
  prompt_type: z.string(),
  provider: z.string(),
  model: z.string(),
  created_at: Timestamp,
  last_message_at: Timestamp,
  message_count: z.number().int(),
});
export type ConversationSummary = z.infer<typeof ConversationSummary>;

export const ConversationList = z.object({
  conversations: z.array(ConversationSummary),
  limit: z.number().int(),
  offset: z.number().int(),
  count: z.number().int(),
});
export type ConversationList = z.infer<typeof ConversationList>;

const integerQuery = z
  .union([z.number(), z.string().regex(/^-?\d{1,9}$/, 'must be an integer')])
  .transform((v) => Number(v))
  .pipe(z.number().int());

export const ConversationListQuery = z.object({
  limit: integerQuery
    .pipe(z.number().min(1))
    .default(50)
    .describe(
      `At most ${SCHEMA_LIMITS.maxConversationListLimit}: a larger value is clamped, and the answer echoes the clamped value.`,
    ),
  offset: integerQuery.pipe(z.number().min(0)).default(0),
  search: z.string().max(500).optional(),
});

export const Message = z.object({
  id: z.string(),
  role: z.enum(['system', 'user', 'assistant']),
  content: z.string(),
  tokens: z.number().int().nullable(),
  finish_reason: z.string().nullable(),
  model: z.string().nullable(),
  created_at: Timestamp,
  /** Contexts used for this turn (user messages). */
  context_ids: z.array(z.string()).nullable(),
  /** The task as the user typed it (user messages). */
  task: z.string().nullable(),
});
export type Message = z.infer<typeof Message>;

export const ConversationDetail = z.object({
  id: z.string(),
  task: z.string(),
  prompt_type: z.string(),
  provider: z.string(),
  model: z.string(),
  context_ids: z.array(z.string()),
  created_at: Timestamp,
  last_message_at: Timestamp,
  messages: z.array(Message),
});
export type ConversationDetail = z.infer<typeof ConversationDetail>;

export const ConversationIdParams = z.strictObject({ conversation_id: z.string().max(100) });

export const ProviderInfo = z.object({
  name: z.string(),
  display_name: z.string(),
  description: z.string(),
  requires_api_key: z.boolean(),
  supports_local: z.boolean(),
  homepage_url: z.string(),
  documentation_url: z.string(),
  configured: z.boolean(),
  available_models: z.array(z.string()),
  api_key_set: z.boolean().optional(),
  base_url: z.string().optional(),
  /**
   * Added in this implementation, Ollama only: whether it answered just now. `available_models` lists its models
   * only when it did, and is empty otherwise.
   */
  reachable: z.boolean().optional(),
  default_model: z.string(),
});
export type ProviderInfo = z.infer<typeof ProviderInfo>;

export const ProvidersResponse = z.object({
  providers: z.array(ProviderInfo),
  default_provider: z.string(),
  default_model: z.string(),
});
export type ProvidersResponse = z.infer<typeof ProvidersResponse>;

export const ProviderNameParams = z.strictObject({ provider_name: z.string().max(50) });
export const ValidateQuery = z.object({ model: z.string().max(200).optional() });

export const ValidateResponse = z.object({
  provider: z.string(),
  valid: z.boolean(),
  message: z.string(),
  checked_model: z.string(),
});
export type ValidateResponse = z.infer<typeof ValidateResponse>;

/** Optional body of the validate call: values typed in the settings dialog but not saved yet. */
export const ValidateBody = z
  .strictObject({
    api_key: z.string().max(500).optional(),
    base_url: z.string().max(500).refine(isUrlSettingValue, 'must be an http(s) URL').optional(),
  })
  .nullable()
  .optional();
