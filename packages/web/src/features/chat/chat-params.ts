import type { AIRequest, ProviderInfo, ProvidersResponse, SettingsResponse } from '@contextpilot/contract';

/** The per-chat choices under the input. Numbers are kept as typed; `requestFor` checks and clamps them. */
export interface ChatParams {
  provider: string;
  model: string;
  maxContexts: string;
  maxTokens: string;
  temperature: string;
  /** Follow-ups send no contexts (the history has them) unless this is ticked. */
  refreshContexts: boolean;
}

export const LIMITS = {
  maxContexts: { min: 1, max: 20, fallback: 5 },
  maxTokens: { min: 100, max: 16000, fallback: 4000 },
  temperature: { min: 0, max: 2, fallback: 1 },
} as const;

export function providerDefaultModel(
  provider: ProviderInfo | undefined,
  providers: ProvidersResponse | undefined,
): string {
  if (!provider) {
    return '';
  }
  return (
    provider.default_model ||
    (providers?.default_provider === provider.name ? providers.default_model : '') ||
    provider.available_models[0] ||
    ''
  );
}

/** The models to offer: the provider's list, plus the current one when it is not in it (a conversation's model). */
export function modelOptions(provider: ProviderInfo | undefined, current: string): string[] {
  const list = provider?.available_models ?? [];
  return current && !list.includes(current) ? [current, ...list] : list;
}

export function defaultParams(
  providers: ProvidersResponse | undefined,
  settings: SettingsResponse | undefined,
): ChatParams {
  const name = providers?.default_provider || settings?.default_ai_provider || '';
  const provider = providers?.providers.find((p) => p.name === name);
  return {
    provider: name,
    model: providerDefaultModel(provider, providers),
    maxContexts: String(LIMITS.maxContexts.fallback),
    maxTokens: String(settings?.ai_max_tokens ?? LIMITS.maxTokens.fallback),
    temperature: String(settings?.ai_temperature ?? LIMITS.temperature.fallback),
    refreshContexts: false,
  };
}

function clampNumber(text: string, limits: { min: number; max: number; fallback: number }, integer: boolean): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) {
    return limits.fallback;
  }
  const rounded = integer ? Math.round(value) : value;
  return Math.min(limits.max, Math.max(limits.min, rounded));
}

/** The body of a chat request: never NaN or null by accident; follow-ups send 0 contexts unless refreshing. */
export function requestFor(task: string, params: ChatParams, conversationId: string | null): AIRequest {
  const maxContexts = clampNumber(params.maxContexts, LIMITS.maxContexts, true);
  const request: AIRequest = {
    task,
    max_context_units: conversationId && !params.refreshContexts ? 0 : maxContexts,
    max_tokens: clampNumber(params.maxTokens, LIMITS.maxTokens, true),
    temperature: clampNumber(params.temperature, LIMITS.temperature, false),
  };
  if (params.provider) {
    request.provider = params.provider;
  }
  if (params.model) {
    request.model = params.model;
  }
  if (conversationId) {
    request.conversation_id = conversationId;
  }
  return request;
}

/** Enter sends; Shift+Enter is a newline; nothing happens while an input method is composing text. */
export function isSendKey(
  event: { key: string; shiftKey: boolean; nativeEvent?: { isComposing?: boolean; keyCode?: number } },
  composing: boolean,
): boolean {
  if (event.key !== 'Enter' || event.shiftKey || composing) {
    return false;
  }
  const native = event.nativeEvent;
  // keyCode 229 is the "IME is handling this key" code some browsers send instead of isComposing.
  return !(native?.isComposing === true || native?.keyCode === 229);
}
