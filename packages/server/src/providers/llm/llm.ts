import { AI_PROVIDERS } from '@contextpilot/contract';
import { trimBaseUrl } from '@contextpilot/contract/ai-settings';

/** The three chat providers ContextPilot talks to (listed once, with the settings, in the contract). */
export const PROVIDER_NAMES = AI_PROVIDERS;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

/** Where the hosted providers' SDKs send requests when no base URL is configured. */
export const DEFAULT_BASE_URLS = {
  openai: 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com',
} as const satisfies Partial<Record<ProviderName, string>>;

/**
 * The endpoint a configured base URL stands for: trimmed, without trailing slashes, else the provider's default
 * (none for Ollama). Two settings that name the same endpoint give the same string.
 */
export function effectiveBaseUrl(provider: ProviderName, baseUrl: string): string {
  const trimmed = trimBaseUrl(baseUrl);
  return trimmed || (provider === 'ollama' ? '' : DEFAULT_BASE_URLS[provider]);
}

/** What a chat answers when the provider lacks what it needs (the v1 messages). */
export const NOT_CONFIGURED_MESSAGES: Record<ProviderName, string> = {
  openai: 'OpenAI API key not configured',
  anthropic: 'Anthropic API key not configured',
  ollama: 'Ollama not configured. Set CONTEXTPILOT_OLLAMA_BASE_URL environment variable.',
};

/** Whether a provider can be called with these: a hosted one needs its key, Ollama its base URL. */
export function hasCredentials(provider: ProviderName, connection: { apiKey: string; baseUrl: string }): boolean {
  return provider === 'ollama' ? connection.baseUrl !== '' : connection.apiKey !== '';
}

export interface ChatMessage {
  role: 'user' | 'assistant';
  content: string;
}

/** One chat completion request, already resolved (model, limits and options decided by the chat service). */
export interface ChatRequest {
  model: string;
  /** The system prompt; every provider receives the same one (Anthropic as its `system` parameter). */
  system: string;
  /** History in order, ending with the new user turn. */
  messages: ChatMessage[];
  /** Omitted for models that do not take one (o1/o3/gpt-5 families). */
  temperature: number | null;
  maxTokens: number;
  topP?: number | null;
  /** Anthropic only. */
  topK?: number | null;
  /** Ollama only: `options.num_ctx` and `keep_alive`. */
  numCtx?: number | null;
  keepAlive?: string | null;
  signal?: AbortSignal;
}

export interface ChatResult {
  text: string;
  /** The model that answered (the provider's own name for it when it reports one). */
  model: string;
  finishReason: string | null;
  tokens: number | null;
}

/**
 * Why a provider call failed. `configuration` and `rejected` are the user's to fix (400); `unavailable` means the
 * provider failed or answered nonsense (502); `timeout` means it did not answer in time (504).
 */
export type ProviderFailure = 'configuration' | 'rejected' | 'unavailable' | 'timeout' | 'aborted';

export class ProviderError extends Error {
  constructor(
    readonly provider: ProviderName,
    readonly failure: ProviderFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ProviderError';
  }
}

export interface ValidationResult {
  valid: boolean;
  message: string;
}

export interface LlmProvider {
  readonly name: ProviderName;
  chat(request: ChatRequest): Promise<ChatResult>;
  /** Streams text deltas through `onDelta`; resolves with the complete result. Aborts with `request.signal`. */
  stream(request: ChatRequest, onDelta: (text: string) => void): Promise<ChatResult>;
  /** Checks the connection and credentials (v1 probes: OpenAI lists models, Anthropic sends a 1-token ping, Ollama lists tags). */
  validate(model: string): Promise<ValidationResult>;
  /** Models the provider has right now (Ollama: from `/api/tags`), or null when it cannot tell. */
  listModels(): Promise<string[] | null>;
}

/** Connection settings of one provider, as resolved from configuration and stored settings. */
export interface ProviderConnection {
  apiKey: string;
  baseUrl: string;
  timeoutMs: number;
  /** Ollama only: pull a missing model through `/api/pull` and retry once. */
  autoPull?: boolean;
}

/** Tuning knobs of the concrete providers; every field has a production default, tests shorten them. */
export interface LlmProviderOptions {
  /** Retries after the first attempt on connection errors, 429 and 5xx (SDK retries for OpenAI/Anthropic). Default 2. */
  maxRetries?: number;
  /** Ollama: wait before the first retry, doubled for each later one. Default 250 ms. */
  retryDelayMs?: number;
  /** Ollama: how long an automatic `/api/pull` may take. Default 600 000 ms (v1's `ollama pull` timeout). */
  pullTimeoutMs?: number;
  /** Ollama: how long `listModels()` waits for `/api/tags`. Default 2000 ms. */
  listTimeoutMs?: number;
  /**
   * Largest reply read from the provider, in bytes: a complete answer over it fails (`unavailable`), and so does one
   * stream event over it. Default DEFAULT_MAX_REPLY_BYTES.
   */
  maxReplyBytes?: number;
  /** The fetch every request goes through (redirects are never followed, replies are bounded). Default: the global `fetch`. */
  fetch?: typeof fetch;
}

/** 1 MiB: far above any answer a chat model gives within its token limit. */
export const DEFAULT_MAX_REPLY_BYTES = 1024 * 1024;
