import type { AiSettingKey } from '@contextpilot/contract/ai-settings';

/** What the form says about a setting. Its kind, limits and provider come from the settings table. */
export interface SettingLabel {
  label: string;
  help?: string;
  placeholder?: string;
  /** Numbers: the step of the arrows (whole numbers step by 1). */
  step?: number;
  /** A model field that takes any name (a text field offering the known ones), not a choice from a list. */
  freeText?: true;
}

const BLANK_CLEARS = 'Leave blank to use the default.';

/** The fields every hosted provider has: its key, a gateway's base URL, and sampling overrides. */
function hostedProvider(name: string, defaultUrl: string) {
  return {
    apiKey: { label: 'API key', placeholder: `Enter ${name} API key` },
    baseUrl: {
      label: 'Base URL (optional)',
      placeholder: defaultUrl,
      help: 'Override for compatible gateways. Leave blank for the default.',
    },
    defaultModel: { label: 'Default model override' },
    temperature: { label: 'Temperature override', step: 0.1, help: BLANK_CLEARS },
    topP: { label: 'Top P override', step: 0.05, help: BLANK_CLEARS },
  } satisfies Record<string, SettingLabel>;
}
const openai = hostedProvider('OpenAI', 'https://api.openai.com/v1');
const anthropic = hostedProvider('Anthropic', 'https://api.anthropic.com');

/** One entry per AI setting, keyed by its wire key. */
export const SETTING_LABELS: Record<AiSettingKey, SettingLabel> = {
  default_ai_provider: { label: 'Default provider' },
  default_ai_model: { label: 'Default model' },
  ai_temperature: { label: 'Temperature', step: 0.1, help: 'Controls randomness (0 = focused, 2 = creative).' },
  ai_max_tokens: { label: 'Max tokens', help: 'Maximum length of an AI response.' },

  openai_api_key: openai.apiKey,
  openai_base_url: openai.baseUrl,
  openai_default_model: openai.defaultModel,
  openai_temperature: openai.temperature,
  openai_top_p: openai.topP,
  openai_max_tokens: {
    label: 'Max completion tokens override',
    help: 'Sent as max_completion_tokens for o-series models. Leave blank to use the default.',
  },

  anthropic_api_key: anthropic.apiKey,
  anthropic_base_url: anthropic.baseUrl,
  anthropic_default_model: anthropic.defaultModel,
  anthropic_temperature: anthropic.temperature,
  anthropic_top_p: anthropic.topP,
  anthropic_top_k: { label: 'Top K override', help: BLANK_CLEARS },
  anthropic_max_tokens: { label: 'Max tokens override', help: BLANK_CLEARS },

  ollama_base_url: {
    label: 'Base URL',
    placeholder: 'http://localhost:11434',
    help: 'Where Ollama listens. Leave blank to use the default.',
  },
  // Ollama runs (and pulls) any model, so the field takes any name.
  ollama_default_model: {
    label: 'Default model override',
    placeholder: 'llama3.2',
    help: 'Leave blank to use the global default model.',
    freeText: true,
  },
  ollama_temperature: { label: 'Temperature override', step: 0.1, help: BLANK_CLEARS },
  ollama_top_p: { label: 'Top P override', step: 0.05, help: BLANK_CLEARS },
  ollama_num_predict: { label: 'Num predict', help: BLANK_CLEARS },
  ollama_num_ctx: { label: 'Context size (num_ctx)', help: BLANK_CLEARS },
  ollama_keep_alive: { label: 'Keep alive', placeholder: '5m', help: 'e.g. 5m, 1h, 0. Leave blank for the default.' },
};
