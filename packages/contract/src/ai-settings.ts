/*
 * The AI settings, one row each: every field of `POST /settings`. Everything else is derived from this table: the
 * CONTEXTPILOT_* variables that give the defaults (server config), the `GET` and `POST /settings` schemas, the
 * settings service (stored values over the defaults, encrypted keys bound to their base URL) and the web form.
 * Adding an option is one row here, plus its label in the web UI.
 *
 * This module imports nothing, so the web UI can load it (`@contextpilot/contract/ai-settings`) without zod.
 */

/** The chat providers ContextPilot talks to. */
export const AI_PROVIDERS = ['openai', 'anthropic', 'ollama'] as const;
export type AiProvider = (typeof AI_PROVIDERS)[number];

interface BaseRow {
  /** The field of `POST /settings`, and of `GET /settings` unless the value is never shown. */
  key: string;
  /** The provider it configures; null for the general defaults. */
  provider: AiProvider | null;
  /** Its name in the server's settings object: `settings[provider][name]`, or `settings[name]` when general. */
  name: string;
  /** The variable that gives its default. */
  env: `CONTEXTPILOT_${string}`;
  /** `GET /settings` also tells whether a value is in effect, as this boolean field placed before the value. */
  presence?: string;
  /** Not a field of `GET /settings` (v1 has none for it). */
  hidden?: true;
}

interface StringRow extends BaseRow {
  /** url: http(s), stored without trailing slashes; model: a model name; text: anything else. */
  kind: 'url' | 'model' | 'text';
  default: string;
  maxLength: number;
}

/** A provider key: stored encrypted, never returned (only its presence flag), sent only to its endpoint. */
interface SecretRow extends BaseRow {
  kind: 'secret';
  default: string;
  maxLength: number;
  presence: string;
  /** The URL setting naming the endpoint the key is sealed for and may be sent to. */
  endpoint: string;
}

interface NumberRow extends BaseRow {
  kind: 'number' | 'integer';
  /** null: no value unless one is set (the provider's own default applies). */
  default: number | null;
  min: number;
  max: number;
}

interface ProviderRow extends BaseRow {
  kind: 'provider';
  default: AiProvider;
}

export type AiSettingRow = StringRow | SecretRow | NumberRow | ProviderRow;
export type AiSettingKind = AiSettingRow['kind'];

/** In v1 order: the order of `updated_fields` and of `GET /settings`. */
export const AI_SETTINGS = [
  {
    key: 'openai_api_key',
    provider: 'openai',
    name: 'apiKey',
    kind: 'secret',
    env: 'CONTEXTPILOT_OPENAI_API_KEY',
    default: '',
    maxLength: 500,
    presence: 'openai_api_key_set',
    endpoint: 'openai_base_url',
  },
  {
    key: 'openai_base_url',
    provider: 'openai',
    name: 'baseUrl',
    kind: 'url',
    env: 'CONTEXTPILOT_OPENAI_BASE_URL',
    default: '',
    maxLength: 500,
  },
  {
    key: 'openai_default_model',
    provider: 'openai',
    name: 'defaultModel',
    kind: 'model',
    env: 'CONTEXTPILOT_OPENAI_DEFAULT_MODEL',
    default: '',
    maxLength: 200,
  },
  {
    key: 'openai_temperature',
    provider: 'openai',
    name: 'temperature',
    kind: 'number',
    env: 'CONTEXTPILOT_OPENAI_TEMPERATURE',
    default: null,
    min: 0,
    max: 2,
  },
  {
    key: 'openai_top_p',
    provider: 'openai',
    name: 'topP',
    kind: 'number',
    env: 'CONTEXTPILOT_OPENAI_TOP_P',
    default: null,
    min: 0,
    max: 1,
  },
  {
    key: 'openai_max_tokens',
    provider: 'openai',
    name: 'maxTokens',
    kind: 'integer',
    env: 'CONTEXTPILOT_OPENAI_MAX_TOKENS',
    default: null,
    min: 1,
    max: 16000,
  },
  {
    key: 'anthropic_api_key',
    provider: 'anthropic',
    name: 'apiKey',
    kind: 'secret',
    env: 'CONTEXTPILOT_ANTHROPIC_API_KEY',
    default: '',
    maxLength: 500,
    presence: 'anthropic_api_key_set',
    endpoint: 'anthropic_base_url',
  },
  {
    key: 'anthropic_base_url',
    provider: 'anthropic',
    name: 'baseUrl',
    kind: 'url',
    env: 'CONTEXTPILOT_ANTHROPIC_BASE_URL',
    default: '',
    maxLength: 500,
    hidden: true,
  },
  {
    key: 'anthropic_default_model',
    provider: 'anthropic',
    name: 'defaultModel',
    kind: 'model',
    env: 'CONTEXTPILOT_ANTHROPIC_DEFAULT_MODEL',
    default: '',
    maxLength: 200,
  },
  {
    key: 'anthropic_temperature',
    provider: 'anthropic',
    name: 'temperature',
    kind: 'number',
    env: 'CONTEXTPILOT_ANTHROPIC_TEMPERATURE',
    default: null,
    min: 0,
    max: 2,
  },
  {
    key: 'anthropic_top_p',
    provider: 'anthropic',
    name: 'topP',
    kind: 'number',
    env: 'CONTEXTPILOT_ANTHROPIC_TOP_P',
    default: null,
    min: 0,
    max: 1,
  },
  {
    key: 'anthropic_top_k',
    provider: 'anthropic',
    name: 'topK',
    kind: 'integer',
    env: 'CONTEXTPILOT_ANTHROPIC_TOP_K',
    default: null,
    min: 0,
    max: 1_000_000,
  },
  {
    key: 'anthropic_max_tokens',
    provider: 'anthropic',
    name: 'maxTokens',
    kind: 'integer',
    env: 'CONTEXTPILOT_ANTHROPIC_MAX_TOKENS',
    default: null,
    min: 1,
    max: 16000,
  },
  {
    key: 'ollama_base_url',
    provider: 'ollama',
    name: 'baseUrl',
    kind: 'url',
    env: 'CONTEXTPILOT_OLLAMA_BASE_URL',
    default: 'http://localhost:11434',
    maxLength: 500,
    presence: 'ollama_configured',
  },
  {
    key: 'ollama_default_model',
    provider: 'ollama',
    name: 'defaultModel',
    kind: 'model',
    env: 'CONTEXTPILOT_OLLAMA_DEFAULT_MODEL',
    default: '',
    maxLength: 200,
  },
  {
    key: 'ollama_temperature',
    provider: 'ollama',
    name: 'temperature',
    kind: 'number',
    env: 'CONTEXTPILOT_OLLAMA_TEMPERATURE',
    default: null,
    min: 0,
    max: 2,
  },
  {
    key: 'ollama_top_p',
    provider: 'ollama',
    name: 'topP',
    kind: 'number',
    env: 'CONTEXTPILOT_OLLAMA_TOP_P',
    default: null,
    min: 0,
    max: 1,
  },
  {
    key: 'ollama_num_predict',
    provider: 'ollama',
    name: 'numPredict',
    kind: 'integer',
    env: 'CONTEXTPILOT_OLLAMA_NUM_PREDICT',
    default: null,
    min: 1,
    max: 10_000_000,
  },
  {
    key: 'ollama_num_ctx',
    provider: 'ollama',
    name: 'numCtx',
    kind: 'integer',
    env: 'CONTEXTPILOT_OLLAMA_NUM_CTX',
    default: null,
    min: 1,
    max: 10_000_000,
  },
  {
    key: 'ollama_keep_alive',
    provider: 'ollama',
    name: 'keepAlive',
    kind: 'text',
    env: 'CONTEXTPILOT_OLLAMA_KEEP_ALIVE',
    default: '',
    maxLength: 50,
  },
  {
    key: 'default_ai_provider',
    provider: null,
    name: 'defaultProvider',
    kind: 'provider',
    env: 'CONTEXTPILOT_DEFAULT_AI_PROVIDER',
    default: 'openai',
  },
  {
    key: 'default_ai_model',
    provider: null,
    name: 'defaultModel',
    kind: 'model',
    env: 'CONTEXTPILOT_DEFAULT_AI_MODEL',
    default: 'gpt-4o',
    maxLength: 200,
  },
  {
    key: 'ai_temperature',
    provider: null,
    name: 'temperature',
    kind: 'number',
    env: 'CONTEXTPILOT_AI_TEMPERATURE',
    default: 0.7,
    min: 0,
    max: 2,
  },
  {
    key: 'ai_max_tokens',
    provider: null,
    name: 'maxTokens',
    kind: 'integer',
    env: 'CONTEXTPILOT_AI_MAX_TOKENS',
    default: 2000,
    min: 1,
    max: 16000,
  },
] as const satisfies readonly AiSettingRow[];

/** One row of the table, with its literal types. */
export type AiSetting = (typeof AI_SETTINGS)[number];
export type AiSettingKey = AiSetting['key'];
/** The variables of the AI settings. */
export type AiSettingVariable = AiSetting['env'];

/** The type of a row's value: a number without a default may be null (not set). */
export type AiSettingValue<R extends AiSetting = AiSetting> = R extends { kind: 'provider' }
  ? AiProvider
  : R extends { kind: 'number' | 'integer' }
    ? R extends { default: number }
      ? number
      : number | null
    : string;

/** Every setting by its wire key. */
export type AiSettingValues = { [R in AiSetting as R['key']]: AiSettingValue<R> };

/** A change of settings: a value sets a setting, `null` brings back its default, an absent key leaves it. */
export type AiSettingsChange = { [R in AiSetting as R['key']]?: AiSettingValue<R> | null };

type Group<P extends AiProvider | null> = {
  [R in AiSetting as R extends { provider: P } ? R['name'] : never]: AiSettingValue<R>;
};

/** The settings as the server uses them: the general ones, and one group per provider. */
export type AiSettings = Group<null> & { [P in AiProvider]: Group<P> };

/** A setting whose value `GET /settings` shows under its key. */
export type ShownAiSetting = Exclude<AiSetting, { kind: 'secret' } | { hidden: true }>;

/** Whether `GET /settings` shows the value itself (a key never; see `presence` for what is said instead). */
export function isShown(row: AiSetting): row is ShownAiSetting {
  return row.kind !== 'secret' && !('hidden' in row);
}

/** The rule for URL settings: http(s), no spaces (the caller trims). */
export function isHttpUrl(value: string): boolean {
  return /^https?:\/\/\S+$/i.test(value);
}

/** A value a URL setting accepts, wherever it is typed: blank (the default applies) or an http(s) URL. */
export function isUrlSettingValue(value: string): boolean {
  const trimmed = value.trim();
  return trimmed === '' || isHttpUrl(trimmed);
}

/** A base URL as it is stored, compared and joined with paths: trimmed, without trailing slashes. */
export function trimBaseUrl(value: string): string {
  return value.trim().replace(/\/+$/, '');
}

/** The values grouped by provider, under their names (the shape the server works with). */
export function groupAiSettings(values: AiSettingValues): AiSettings {
  const general: Record<string, unknown> = {};
  const groups: Record<string, Record<string, unknown>> = Object.fromEntries(AI_PROVIDERS.map((p) => [p, {}]));
  for (const row of AI_SETTINGS) {
    const target = row.provider === null ? general : groups[row.provider];
    if (target) {
      target[row.name] = values[row.key];
    }
  }
  return { ...general, ...groups } as AiSettings;
}

/** The values by wire key: the inverse of `groupAiSettings`. Other properties of `settings` are left out. */
export function flattenAiSettings(settings: AiSettings): AiSettingValues {
  const general = settings as unknown as Record<string, unknown>;
  return Object.fromEntries(
    AI_SETTINGS.map((row) => {
      const group = row.provider === null ? general : (general[row.provider] as Record<string, unknown>);
      return [row.key, group[row.name]];
    }),
  ) as AiSettingValues;
}
