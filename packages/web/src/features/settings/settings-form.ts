import type { SettingsResponse, SettingsUpdate } from '@contextpilot/contract';

export type SettingKey = keyof SettingsUpdate;
export type FieldKind = 'secret' | 'url' | 'text' | 'model' | 'provider' | 'number' | 'int';

export interface FieldDef {
  key: SettingKey;
  label: string;
  kind: FieldKind;
  /** The GET /settings field that pre-fills it (secrets never do). */
  from?: keyof SettingsResponse;
  /** For secrets: the flag saying one is stored. */
  setFlag?: keyof SettingsResponse;
  min?: number;
  max?: number;
  step?: number;
  placeholder?: string;
  help?: string;
  /** Which provider's models a `model` field offers (the general default model follows the chosen provider). */
  provider?: 'openai' | 'anthropic' | 'ollama';
}

const BLANK_CLEARS = 'Leave blank to use the default.';

export const GENERAL_FIELDS: FieldDef[] = [
  { key: 'default_ai_provider', label: 'Default provider', kind: 'provider', from: 'default_ai_provider' },
  { key: 'default_ai_model', label: 'Default model', kind: 'model', from: 'default_ai_model' },
  {
    key: 'ai_temperature',
    label: 'Temperature',
    kind: 'number',
    from: 'ai_temperature',
    min: 0,
    max: 2,
    step: 0.1,
    help: 'Controls randomness (0 = focused, 2 = creative).',
  },
  {
    key: 'ai_max_tokens',
    label: 'Max tokens',
    kind: 'int',
    from: 'ai_max_tokens',
    min: 1,
    max: 16000,
    step: 1,
    help: 'Maximum length of an AI response.',
  },
];

export const PROVIDER_FIELDS: Record<'openai' | 'anthropic' | 'ollama', FieldDef[]> = {
  openai: [
    {
      key: 'openai_api_key',
      label: 'API key',
      kind: 'secret',
      setFlag: 'openai_api_key_set',
      placeholder: 'Enter OpenAI API key',
    },
    {
      key: 'openai_base_url',
      label: 'Base URL (optional)',
      kind: 'url',
      from: 'openai_base_url',
      placeholder: 'https://api.openai.com/v1',
      help: 'Override for compatible gateways. Leave blank for the default.',
    },
    {
      key: 'openai_default_model',
      label: 'Default model override',
      kind: 'model',
      from: 'openai_default_model',
      provider: 'openai',
    },
    {
      key: 'openai_temperature',
      label: 'Temperature override',
      kind: 'number',
      from: 'openai_temperature',
      min: 0,
      max: 2,
      step: 0.1,
      help: BLANK_CLEARS,
    },
    {
      key: 'openai_top_p',
      label: 'Top P override',
      kind: 'number',
      from: 'openai_top_p',
      min: 0,
      max: 1,
      step: 0.05,
      help: BLANK_CLEARS,
    },
    {
      key: 'openai_max_tokens',
      label: 'Max completion tokens override',
      kind: 'int',
      from: 'openai_max_tokens',
      min: 1,
      max: 16000,
      step: 1,
      help: 'Sent as max_completion_tokens for o-series models. Leave blank to use the default.',
    },
  ],
  anthropic: [
    {
      key: 'anthropic_api_key',
      label: 'API key',
      kind: 'secret',
      setFlag: 'anthropic_api_key_set',
      placeholder: 'Enter Anthropic API key',
    },
    {
      key: 'anthropic_base_url',
      label: 'Base URL (optional)',
      kind: 'url',
      placeholder: 'https://api.anthropic.com',
      help: 'Override for compatible gateways. Leave blank for the default.',
    },
    {
      key: 'anthropic_default_model',
      label: 'Default model override',
      kind: 'model',
      from: 'anthropic_default_model',
      provider: 'anthropic',
    },
    {
      key: 'anthropic_temperature',
      label: 'Temperature override',
      kind: 'number',
      from: 'anthropic_temperature',
      min: 0,
      max: 2,
      step: 0.1,
      help: BLANK_CLEARS,
    },
    {
      key: 'anthropic_top_p',
      label: 'Top P override',
      kind: 'number',
      from: 'anthropic_top_p',
      min: 0,
      max: 1,
      step: 0.05,
      help: BLANK_CLEARS,
    },
    {
      key: 'anthropic_top_k',
      label: 'Top K override',
      kind: 'int',
      from: 'anthropic_top_k',
      min: 0,
      max: 1_000_000,
      step: 1,
      help: BLANK_CLEARS,
    },
    {
      key: 'anthropic_max_tokens',
      label: 'Max tokens override',
      kind: 'int',
      from: 'anthropic_max_tokens',
      min: 1,
      max: 16000,
      step: 1,
      help: BLANK_CLEARS,
    },
  ],
  ollama: [
    {
      key: 'ollama_base_url',
      label: 'Base URL',
      kind: 'url',
      from: 'ollama_base_url',
      placeholder: 'http://localhost:11434',
      help: 'Where Ollama listens. Leave blank to use the default.',
    },
    {
      key: 'ollama_default_model',
      label: 'Default model override',
      kind: 'text',
      from: 'ollama_default_model',
      provider: 'ollama',
      placeholder: 'llama3.2',
      help: 'Leave blank to use the global default model.',
    },
    {
      key: 'ollama_temperature',
      label: 'Temperature override',
      kind: 'number',
      from: 'ollama_temperature',
      min: 0,
      max: 2,
      step: 0.1,
      help: BLANK_CLEARS,
    },
    {
      key: 'ollama_top_p',
      label: 'Top P override',
      kind: 'number',
      from: 'ollama_top_p',
      min: 0,
      max: 1,
      step: 0.05,
      help: BLANK_CLEARS,
    },
    {
      key: 'ollama_num_predict',
      label: 'Num predict',
      kind: 'int',
      from: 'ollama_num_predict',
      min: 1,
      max: 10_000_000,
      step: 1,
      help: BLANK_CLEARS,
    },
    {
      key: 'ollama_num_ctx',
      label: 'Context size (num_ctx)',
      kind: 'int',
      from: 'ollama_num_ctx',
      min: 1,
      max: 10_000_000,
      step: 1,
      help: BLANK_CLEARS,
    },
    {
      key: 'ollama_keep_alive',
      label: 'Keep alive',
      kind: 'text',
      from: 'ollama_keep_alive',
      placeholder: '5m',
      help: 'e.g. 5m, 1h, 0. Leave blank for the default.',
    },
  ],
};

export const ALL_FIELDS: FieldDef[] = [
  ...GENERAL_FIELDS,
  ...PROVIDER_FIELDS.openai,
  ...PROVIDER_FIELDS.anthropic,
  ...PROVIDER_FIELDS.ollama,
];

export interface FieldState {
  value: string;
  dirty: boolean;
  /** Secrets: remove the stored value on save. */
  clear: boolean;
}

export type FormState = Partial<Record<SettingKey, FieldState>>;

/** The form pre-filled from GET /settings. Secrets start empty: they are never shown. */
export function initialForm(settings: SettingsResponse | undefined): FormState {
  const form: FormState = {};
  for (const def of ALL_FIELDS) {
    const raw = def.from && settings ? settings[def.from] : null;
    form[def.key] = {
      value: def.kind === 'secret' || raw === null || raw === undefined ? '' : String(raw),
      dirty: false,
      clear: false,
    };
  }
  return form;
}

export function fieldValue(form: FormState, key: SettingKey): string {
  return form[key]?.value ?? '';
}

/**
 * The body of POST /settings: only the fields the user changed. A blank field, "use default" or "remove saved key"
 * sends `null`, which clears the stored value. Secrets left empty are not sent.
 */
export function buildUpdate(form: FormState): { update: SettingsUpdate; errors: Partial<Record<SettingKey, string>> } {
  const update: Record<string, string | number | null> = {};
  const errors: Partial<Record<SettingKey, string>> = {};
  for (const def of ALL_FIELDS) {
    const state = form[def.key];
    if (!state || (!state.dirty && !state.clear)) {
      continue;
    }
    const text = state.value.trim();
    if (def.kind === 'secret') {
      if (state.clear) {
        update[def.key] = null;
      } else if (text !== '') {
        update[def.key] = text;
      }
      continue;
    }
    if (text === '') {
      update[def.key] = null;
      continue;
    }
    if (def.kind === 'number' || def.kind === 'int') {
      const value = Number(text);
      const min = def.min ?? -Infinity;
      const max = def.max ?? Infinity;
      if (!Number.isFinite(value) || (def.kind === 'int' && !Number.isInteger(value)) || value < min || value > max) {
        errors[def.key] =
          `${def.label} must be ${def.kind === 'int' ? 'a whole number' : 'a number'} from ${min} to ${max}`;
        continue;
      }
      update[def.key] = value;
      continue;
    }
    if (def.kind === 'url' && !/^https?:\/\/\S+$/i.test(text)) {
      errors[def.key] = `${def.label.replace(' (optional)', '')} must be an http(s) URL`;
      continue;
    }
    update[def.key] = text;
  }
  return { update, errors };
}
