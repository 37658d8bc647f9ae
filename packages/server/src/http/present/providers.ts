import type { ProviderInfo, ProvidersResponse, ValidateResponse } from '@contextpilot/contract';

import type { ProviderName } from '../../providers/llm/llm.js';
import type { ProviderList, ProviderStatus, ProviderValidation } from '../../services/provider-service.js';

/** How each provider presents itself in `GET /providers`. */
const METADATA: Record<
  ProviderName,
  Omit<ProviderInfo, 'configured' | 'available_models' | 'api_key_set' | 'base_url' | 'reachable' | 'default_model'>
> = {
  openai: {
    name: 'openai',
    display_name: 'OpenAI',
    description: 'OpenAI GPT models including GPT-4, GPT-3.5, and o-series',
    requires_api_key: true,
    supports_local: false,
    homepage_url: 'https://openai.com',
    documentation_url: 'https://platform.openai.com/docs',
  },
  anthropic: {
    name: 'anthropic',
    display_name: 'Anthropic',
    description: 'Anthropic Claude models with extended context windows',
    requires_api_key: true,
    supports_local: false,
    homepage_url: 'https://anthropic.com',
    documentation_url: 'https://docs.anthropic.com',
  },
  ollama: {
    name: 'ollama',
    display_name: 'Ollama',
    description: 'Local LLM inference with automatic model downloading',
    requires_api_key: false,
    supports_local: true,
    homepage_url: 'https://ollama.ai',
    documentation_url: 'https://github.com/ollama/ollama/blob/main/docs/api.md',
  },
};

/** `GET /providers` (keys in the order of the original API; Ollama adds `base_url` and `reachable`). */
export function presentProviders(list: ProviderList): ProvidersResponse {
  return {
    providers: list.providers.map(presentProvider),
    default_provider: list.defaultProvider,
    default_model: list.defaultModel,
  };
}

function presentProvider(status: ProviderStatus): ProviderInfo {
  const common = { ...METADATA[status.name], configured: status.configured, default_model: status.defaultModel };
  if (status.name !== 'ollama') {
    return { ...common, available_models: status.models, api_key_set: status.configured };
  }
  return { ...common, available_models: status.models, base_url: status.baseUrl, reachable: status.reachable };
}

export function presentValidation(validation: ProviderValidation): ValidateResponse {
  return {
    provider: validation.provider,
    valid: validation.valid,
    message: validation.message,
    checked_model: validation.checkedModel,
  };
}
