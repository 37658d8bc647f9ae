import catalog from './model-catalog.json' with { type: 'json' };
import windows from './model-context-windows.json' with { type: 'json' };
import type { ProviderName } from './llm.js';

/*
 * Both JSON files are imported (not read from disk), so they are loaded once, type-checked by tsc and copied into
 * dist/ beside this module. `scripts/check-model-catalog.mjs` checks their shape in CI.
 */

interface WindowTable {
  default: number;
  models: Record<string, number>;
}

const MODELS: Record<ProviderName, readonly string[]> = {
  openai: Object.freeze([...catalog.openai]),
  anthropic: Object.freeze([...catalog.anthropic]),
  ollama: Object.freeze([...catalog.ollama]),
};

const WINDOWS: Record<ProviderName, WindowTable> = {
  openai: windows.openai,
  anthropic: windows.anthropic,
  ollama: windows.ollama,
};

/**
 * The catalog's models of a provider, in file order (the order the original API listed them). For OpenAI and Anthropic this is the
 * allow-list of chat requests; for Ollama it is only what `/providers` shows when the server cannot be asked.
 * Returns a fresh array each call.
 */
export function allowedModels(provider: ProviderName): string[] {
  return [...MODELS[provider]];
}

/** Whether a chat request may use `model`: listed in the catalog for OpenAI and Anthropic; any non-empty name for Ollama. */
export function isAllowedModel(provider: ProviderName, model: string): boolean {
  if (provider === 'ollama') {
    return model.trim() !== '';
  }
  return MODELS[provider].includes(model);
}

/**
 * A model's context window in tokens: the exact name in the table, else the longest table key that is a prefix of
 * the name (`gpt-4o-mini` → `gpt-4o`, `gpt-4-0613` → `gpt-4`), else the provider's default. For Ollama a positive
 * `numCtx` (the `num_ctx` option that is sent) is the window.
 */
export function contextWindow(provider: ProviderName, model: string, numCtx?: number | null): number {
  if (provider === 'ollama' && numCtx !== null && numCtx !== undefined && Number.isInteger(numCtx) && numCtx > 0) {
    return numCtx;
  }
  const table = WINDOWS[provider];
  const exact = table.models[model];
  if (exact !== undefined) {
    return exact;
  }
  let best: string | undefined;
  for (const key of Object.keys(table.models)) {
    if (model.startsWith(key) && (best === undefined || key.length > best.length)) {
      best = key;
    }
  }
  return best === undefined ? table.default : (table.models[best] ?? table.default);
}
