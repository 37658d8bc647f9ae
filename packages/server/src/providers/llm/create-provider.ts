import { createAnthropicProvider } from './anthropic.js';
import type { LlmProvider, LlmProviderOptions, ProviderConnection, ProviderName } from './llm.js';
import { createOllamaProvider } from './ollama.js';
import { createOpenAiProvider } from './openai.js';

/** The concrete provider for `name`. Creating one does no I/O; each call opens its own connection. */
export function createLlmProvider(
  name: ProviderName,
  connection: ProviderConnection,
  options: LlmProviderOptions = {},
): LlmProvider {
  switch (name) {
    case 'openai':
      return createOpenAiProvider(connection, options);
    case 'anthropic':
      return createAnthropicProvider(connection, options);
    case 'ollama':
      return createOllamaProvider(connection, options);
  }
}
