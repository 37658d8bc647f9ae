// Interim factory until every provider module lands; same public function.
import { ProviderError, type LlmProvider, type ProviderConnection, type ProviderName } from './llm.js';

export function createLlmProvider(name: ProviderName, _connection: ProviderConnection): LlmProvider {
  const fail = (): never => {
    throw new ProviderError(name, 'unavailable', `${name} provider is not available in this build`);
  };
  return { name, chat: async () => fail(), stream: async () => fail(), validate: async () => fail(), listModels: async () => null };
}
