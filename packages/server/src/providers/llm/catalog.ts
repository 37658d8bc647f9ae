// Interim catalog until model-catalog.json lands; same public functions.
import type { ProviderName } from './llm.js';

const MODELS: Record<ProviderName, string[]> = {
  openai: ['gpt-5.2', 'gpt-5', 'gpt-5-turbo', 'gpt-4o', 'gpt-4o-mini', 'gpt-4-turbo', 'gpt-4', 'gpt-3.5-turbo'],
  anthropic: [
    'claude-opus-4-5-20251101',
    'claude-sonnet-4-5-20250929',
    'claude-haiku-4-5-20251001',
    'claude-opus-4-5',
    'claude-sonnet-4-5',
    'claude-haiku-4-5',
  ],
  ollama: ['llama3.2:latest'],
};

export function allowedModels(provider: ProviderName): string[] {
  return [...MODELS[provider]];
}

export function isAllowedModel(provider: ProviderName, model: string): boolean {
  return provider === 'ollama' || MODELS[provider].includes(model);
}

export function contextWindow(provider: ProviderName, _model: string, numCtx?: number | null): number {
  if (provider === 'ollama') {
    return numCtx ?? 4096;
  }
  return provider === 'anthropic' ? 200_000 : 128_000;
}
