import { newId } from '../ids.js';

import { echo } from '../domain/echo.js';
import { trimHistory } from '../domain/history.js';
import { createReplyLimit } from '../domain/reply-limit.js';
import type { ScoreBreakdown } from '../domain/ranking.js';
import { toTimestamp, type Clock } from '../domain/types.js';
import { aiServiceError, AppError, badRequest, clientClosedRequest, notFound } from '../errors.js';
import { contextWindow, isAllowedModel, allowedModels } from '../providers/llm/catalog.js';
import {
  hasCredentials,
  NOT_CONFIGURED_MESSAGES,
  PROVIDER_NAMES,
  ProviderError,
  type ChatRequest,
  type ChatResult,
  type LlmProvider,
  type ProviderConnection,
  type ProviderName,
} from '../providers/llm/llm.js';
import type { ConversationStore, MessageRecord } from '../storage/store.js';
import type { PromptService } from './prompt-service.js';
import { savedCredentials, type AiSettings, type SettingsService } from './settings-service.js';

/** The same system prompt for every provider. */
export const SYSTEM_PROMPT = 'You are a helpful AI assistant with access to personalized context.';

/** Each provider's model when neither the request nor the settings name one. */
const FALLBACK_MODELS: Record<ProviderName, string> = {
  openai: 'gpt-4o',
  anthropic: 'claude-haiku-4-5',
  ollama: 'llama3.2:latest',
};

/**
 * The model a provider uses when the request names none: the provider's own default from settings; else the global
 * `default_ai_model` when the global default provider is this one and that model is not another provider's catalog
 * model (the configured default of `gpt-4o` must not reach Claude or Ollama when only the provider was changed);
 * else a fixed per-provider fallback.
 */
export function defaultModelFor(provider: ProviderName, settings: AiSettings): string {
  const global = settings.defaultModel.trim();
  const globalFits =
    settings.defaultProvider === provider &&
    global !== '' &&
    !PROVIDER_NAMES.some((other) => other !== provider && other !== 'ollama' && isAllowedModel(other, global));
  return settings[provider].defaultModel || (globalFits ? global : '') || FALLBACK_MODELS[provider];
}

export interface ChatInput {
  task: string;
  maxContextUnits: number | undefined;
  provider?: string | null | undefined;
  model?: string | null | undefined;
  temperature?: number | null | undefined;
  maxTokens?: number | null | undefined;
  useCompact: boolean;
  conversationId?: string | null | undefined;
  minScore?: number | undefined;
}

/** A unit a reply used, with how it ranked. */
export interface UsedContext {
  id: string;
  score: number;
  breakdown: ScoreBreakdown;
}

export interface ChatOutcome {
  conversationId: string;
  task: string;
  response: string;
  provider: ProviderName;
  model: string;
  contextIds: string[];
  contexts: UsedContext[];
  prompt: string;
  timestamp: string;
  finishReason: string | null;
  tokens: number | null;
}

/** What is known before the provider answers (sent first on a stream). */
export interface ChatPlan {
  conversationId: string;
  isNew: boolean;
  provider: ProviderName;
  model: string;
  contexts: UsedContext[];
  prompt: string;
  task: string;
  historyDropped: number;
}

export interface ChatLogger {
  info(obj: object, msg: string): void;
}

function connectionFor(
  provider: ProviderName,
  settings: AiSettings,
  timeoutMs: number,
  autoPull: boolean,
): ProviderConnection {
  const credentials = savedCredentials(provider, settings);
  return provider === 'ollama' ? { ...credentials, timeoutMs, autoPull } : { ...credentials, timeoutMs };
}

/** Maps a provider failure to the HTTP answer: the user's to fix → 400, provider failed → 502, too slow → 504. */
export function providerErrorToHttp(error: ProviderError): AppError {
  const status = { configuration: 400, rejected: 400, unavailable: 502, timeout: 504, aborted: 499 }[error.failure];
  const details = { provider: error.provider };
  return status === 400 ? badRequest(error.message, details) : aiServiceError(status, error.message, details);
}

/**
 * Chat with a language model using the user's contexts: resolves provider and model, ranks and composes the
 * prompt, sends it with the conversation's history (trimmed to the model's context window), and saves the turn
 * only when the provider answered (conversation, user and assistant message in one transaction).
 */
export function createChatService(deps: {
  conversations: ConversationStore;
  settings: Pick<SettingsService, 'current'>;
  prompts: Pick<PromptService, 'check' | 'generate'>;
  createProvider: (name: ProviderName, connection: ProviderConnection) => LlmProvider;
  clock: Clock;
  timeoutMs: number;
  /** A streamed reply is cut at this many bytes of UTF-8, with a notice (CONTEXTPILOT_AI_MAX_REPLY_BYTES). */
  maxReplyBytes: number;
  ollamaAutoPull: boolean;
  recordAi?: (provider: string | null, status: 'success' | 'client_error' | 'server_error', seconds: number) => void;
}) {
  async function plan(
    input: ChatInput,
  ): Promise<{ plan: ChatPlan; request: ChatRequest; provider: LlmProvider; userMessage: MessageRecord }> {
    const settings = await deps.settings.current();
    // The request is checked whole (provider, model, task, limits, conversation) before the provider's configuration,
    // so a bad request is told what is wrong with it rather than that a key is missing.
    const requested = input.provider ? input.provider.trim().toLowerCase() : settings.defaultProvider;
    if (!(PROVIDER_NAMES as readonly string[]).includes(requested)) {
      throw badRequest(`Unknown AI provider: ${echo(input.provider ?? requested)}`);
    }
    const provider = requested as ProviderName;
    const model = (input.model ?? '').trim() || defaultModelFor(provider, settings);
    if (!isAllowedModel(provider, model)) {
      throw badRequest(
        `Model '${echo(model)}' is not supported for provider '${provider}'. Valid models: ${allowedModels(provider).join(', ')}`,
      );
    }
    deps.prompts.check({ task: input.task, maxContextUnits: input.maxContextUnits });
    const existing = input.conversationId ? await deps.conversations.get(input.conversationId) : null;
    if (input.conversationId && existing === null) {
      throw notFound(`Conversation ${echo(input.conversationId)} not found`);
    }
    if (!hasCredentials(provider, savedCredentials(provider, settings))) {
      throw badRequest(NOT_CONFIGURED_MESSAGES[provider]);
    }
    const generated = await deps.prompts.generate({
      task: input.task,
      maxContextUnits: input.maxContextUnits,
      minScore: input.minScore,
      compact: input.useCompact,
    });
    const overrides = settings[provider];
    const temperature = input.temperature ?? overrides.temperature ?? settings.temperature;
    const maxTokens =
      input.maxTokens ??
      (provider === 'ollama' ? settings.ollama.numPredict : settings[provider].maxTokens) ??
      settings.maxTokens;
    const history = (existing?.messages ?? [])
      .filter((m): m is MessageRecord & { role: 'user' | 'assistant' } => m.role === 'user' || m.role === 'assistant')
      .map((m) => ({ role: m.role, content: m.content }));
    const window = contextWindow(provider, model, provider === 'ollama' ? settings.ollama.numCtx : null);
    const { kept, dropped } = trimHistory({
      system: SYSTEM_PROMPT,
      history,
      newTurn: generated.prompt,
      contextWindow: window,
      replyTokens: maxTokens,
    });
    const request: ChatRequest = {
      model,
      system: SYSTEM_PROMPT,
      messages: [...kept, { role: 'user', content: generated.prompt }],
      temperature,
      maxTokens,
      topP: overrides.topP,
      topK: provider === 'anthropic' ? settings.anthropic.topK : null,
      numCtx: provider === 'ollama' ? settings.ollama.numCtx : null,
      keepAlive: provider === 'ollama' && settings.ollama.keepAlive !== '' ? settings.ollama.keepAlive : null,
    };
    const contexts = generated.ranked.map((r) => ({ id: r.unit.id, score: r.score, breakdown: r.breakdown }));
    const userMessage: MessageRecord = {
      id: newId(),
      role: 'user',
      content: generated.prompt,
      createdAt: generated.timestamp,
      tokens: null,
      finishReason: null,
      model: null,
      contextIds: contexts.map((c) => c.id),
      task: generated.task,
    };
    return {
      plan: {
        conversationId: existing?.id ?? newId(),
        isNew: existing === null,
        provider,
        model,
        contexts,
        prompt: generated.prompt,
        task: generated.task,
        historyDropped: dropped,
      },
      request,
      provider: deps.createProvider(provider, connectionFor(provider, settings, deps.timeoutMs, deps.ollamaAutoPull)),
      userMessage,
    };
  }

  async function save(
    p: ChatPlan,
    userMessage: MessageRecord,
    result: ChatResult,
    useCompact: boolean,
  ): Promise<ChatOutcome> {
    const now = toTimestamp(deps.clock.now());
    const assistant: MessageRecord = {
      id: newId(),
      role: 'assistant',
      content: result.text,
      createdAt: now,
      tokens: result.tokens,
      finishReason: result.finishReason,
      model: result.model,
      contextIds: null,
      task: null,
    };
    if (p.isNew) {
      await deps.conversations.create(
        {
          id: p.conversationId,
          task: p.task,
          promptType: useCompact ? 'compact' : 'full',
          createdAt: userMessage.createdAt,
          lastMessageAt: now,
          provider: p.provider,
          model: result.model,
          contextIds: userMessage.contextIds ?? [],
        },
        [userMessage, assistant],
      );
    } else if (
      !(await deps.conversations.appendTurn(
        p.conversationId,
        { provider: p.provider, model: result.model, lastMessageAt: now },
        [userMessage, assistant],
      ))
    ) {
      throw notFound(`Conversation ${echo(p.conversationId)} not found`);
    }
    return {
      conversationId: p.conversationId,
      task: p.task,
      response: result.text,
      provider: p.provider,
      model: result.model,
      contextIds: p.contexts.map((c) => c.id),
      contexts: p.contexts,
      prompt: p.prompt,
      timestamp: now,
      finishReason: result.finishReason,
      tokens: result.tokens,
    };
  }

  /**
   * `plan`, counting a refusal (unknown provider or model, provider not configured, unknown conversation, bad task)
   * as a `client_error` AI request, as v1 did. The label is the requested provider when it is one of ours, else the
   * default provider, else `unknown` (arbitrary names would make labels unbounded).
   */
  async function planCounted(input: ChatInput): ReturnType<typeof plan> {
    const started = performance.now();
    try {
      return await plan(input);
    } catch (error) {
      if (error instanceof AppError && error.statusCode < 500) {
        const requested = input.provider ? input.provider.trim().toLowerCase() : null;
        const label =
          requested === null
            ? (await deps.settings.current()).defaultProvider
            : (PROVIDER_NAMES as readonly string[]).includes(requested)
              ? requested
              : null;
        deps.recordAi?.(label, 'client_error', (performance.now() - started) / 1000);
      }
      throw error;
    }
  }

  async function call<T>(providerName: string | null, fn: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      const value = await fn();
      deps.recordAi?.(providerName, 'success', (performance.now() - started) / 1000);
      return value;
    } catch (error) {
      const seconds = (performance.now() - started) / 1000;
      if (error instanceof ProviderError) {
        // A client that went away (aborted stream) is not a provider failure: it must not feed server-error alerts.
        const clientSide =
          error.failure === 'rejected' || error.failure === 'configuration' || error.failure === 'aborted';
        deps.recordAi?.(providerName, clientSide ? 'client_error' : 'server_error', seconds);
        throw providerErrorToHttp(error);
      }
      deps.recordAi?.(providerName, 'server_error', seconds);
      throw error;
    }
  }

  return {
    /** One complete turn. */
    async chat(input: ChatInput): Promise<ChatOutcome> {
      const prepared = await planCounted(input);
      const result = await call(prepared.plan.provider, () => prepared.provider.chat(prepared.request));
      return save(prepared.plan, prepared.userMessage, result, input.useCompact);
    },

    /**
     * One turn streamed: `onPlan` once before the provider is called, `onDelta` per text chunk. Nothing is saved
     * unless the provider finishes, or the reply reaches `maxReplyBytes`: then the provider call stops, the last
     * delta carries a truncation notice, and the turn is saved with what was streamed (finish reason `reply_limit`).
     * Aborting `signal` stops the provider call.
     */
    async stream(
      input: ChatInput,
      handlers: { onPlan: (plan: ChatPlan) => void; onDelta: (text: string) => void; signal: AbortSignal },
    ): Promise<ChatOutcome> {
      const prepared = await planCounted(input);
      handlers.onPlan(prepared.plan);
      const limit = createReplyLimit(deps.maxReplyBytes);
      const full = new Error('reply limit reached');
      const result = await call(prepared.plan.provider, async (): Promise<ChatResult> => {
        try {
          return await prepared.provider.stream({ ...prepared.request, signal: handlers.signal }, (delta) => {
            const piece = limit.take(delta);
            if (piece.text !== '') {
              handlers.onDelta(piece.text);
            }
            if (piece.reached) {
              // Thrown through the provider unchanged (an onDelta error), which stops its call.
              throw full;
            }
          });
        } catch (error) {
          if (error !== full) {
            throw error;
          }
          return { text: limit.text, model: prepared.plan.model, finishReason: 'reply_limit', tokens: null };
        }
      });
      if (handlers.signal.aborted) {
        throw clientClosedRequest();
      }
      return save(prepared.plan, prepared.userMessage, result, input.useCompact);
    },
  };
}
export type ChatService = ReturnType<typeof createChatService>;
