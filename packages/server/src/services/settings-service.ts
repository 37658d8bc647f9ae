import type { SettingsResponse, SettingsUpdate } from '@contextpilot/contract';

import type { Config } from '../config.js';
import { isWellFormed, sanitizeText } from '../domain/sanitize.js';
import {
  isLegacySealed,
  isSealed,
  openLegacySecret,
  openSecret,
  sealSecret,
  SecretBoxError,
} from '../domain/secret-box.js';
import { badRequest } from '../errors.js';
import { effectiveBaseUrl } from '../providers/llm/llm.js';
import type { SettingsStore } from '../storage/store.js';

type Kind = 'secret' | 'text' | 'url' | 'number' | 'integer' | 'provider';

/** Every user-editable setting: its kind and its default from configuration. Order = v1 `updated_fields` order. */
const FIELDS = [
  ['openai_api_key', 'secret'],
  ['openai_base_url', 'url'],
  ['openai_default_model', 'text'],
  ['openai_temperature', 'number'],
  ['openai_top_p', 'number'],
  ['openai_max_tokens', 'integer'],
  ['anthropic_api_key', 'secret'],
  ['anthropic_base_url', 'url'],
  ['anthropic_default_model', 'text'],
  ['anthropic_temperature', 'number'],
  ['anthropic_top_p', 'number'],
  ['anthropic_top_k', 'integer'],
  ['anthropic_max_tokens', 'integer'],
  ['ollama_base_url', 'url'],
  ['ollama_default_model', 'text'],
  ['ollama_temperature', 'number'],
  ['ollama_top_p', 'number'],
  ['ollama_num_predict', 'integer'],
  ['ollama_num_ctx', 'integer'],
  ['ollama_keep_alive', 'text'],
  ['default_ai_provider', 'provider'],
  ['default_ai_model', 'text'],
  ['ai_temperature', 'number'],
  ['ai_max_tokens', 'integer'],
] as const satisfies readonly (readonly [keyof SettingsUpdate, Kind])[];

type FieldName = (typeof FIELDS)[number][0];
type Values = Record<FieldName, string | number | null>;
type SecretField = Extract<(typeof FIELDS)[number], readonly [string, 'secret']>[0];

/**
 * Each provider key and the base URL setting it belongs to. A key is only ever sent to the endpoint it was saved
 * for: a stored key is sealed with that endpoint (and its own name) as associated data, and the environment's key
 * belongs to the environment's base URL.
 */
const KEY_ENDPOINTS = {
  openai_api_key: { provider: 'openai', urlField: 'openai_base_url' },
  anthropic_api_key: { provider: 'anthropic', urlField: 'anthropic_base_url' },
} as const satisfies Record<SecretField, { provider: 'openai' | 'anthropic'; urlField: FieldName }>;
const KEY_FIELDS = Object.keys(KEY_ENDPOINTS) as SecretField[];

/** The AI settings in effect: configuration defaults overlaid with the values stored through `POST /settings`. */
export interface AiSettings {
  openai: {
    apiKey: string;
    baseUrl: string;
    defaultModel: string;
    temperature: number | null;
    topP: number | null;
    maxTokens: number | null;
  };
  anthropic: {
    apiKey: string;
    baseUrl: string;
    defaultModel: string;
    temperature: number | null;
    topP: number | null;
    topK: number | null;
    maxTokens: number | null;
  };
  ollama: {
    baseUrl: string;
    defaultModel: string;
    temperature: number | null;
    topP: number | null;
    numPredict: number | null;
    numCtx: number | null;
    keepAlive: string;
  };
  defaultProvider: 'openai' | 'anthropic' | 'ollama';
  defaultModel: string;
  temperature: number;
  maxTokens: number;
}

export interface SettingsLogger {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

function defaults(ai: Config['ai']): Values {
  return {
    openai_api_key: ai.openai.apiKey,
    openai_base_url: ai.openai.baseUrl,
    openai_default_model: ai.openai.defaultModel,
    openai_temperature: ai.openai.temperature,
    openai_top_p: ai.openai.topP,
    openai_max_tokens: ai.openai.maxTokens,
    anthropic_api_key: ai.anthropic.apiKey,
    anthropic_base_url: ai.anthropic.baseUrl,
    anthropic_default_model: ai.anthropic.defaultModel,
    anthropic_temperature: ai.anthropic.temperature,
    anthropic_top_p: ai.anthropic.topP,
    anthropic_top_k: ai.anthropic.topK,
    anthropic_max_tokens: ai.anthropic.maxTokens,
    ollama_base_url: ai.ollama.baseUrl,
    ollama_default_model: ai.ollama.defaultModel,
    ollama_temperature: ai.ollama.temperature,
    ollama_top_p: ai.ollama.topP,
    ollama_num_predict: ai.ollama.numPredict,
    ollama_num_ctx: ai.ollama.numCtx,
    ollama_keep_alive: ai.ollama.keepAlive,
    default_ai_provider: ai.defaultProvider,
    default_ai_model: ai.defaultModel,
    ai_temperature: ai.temperature,
    ai_max_tokens: ai.maxTokens,
  };
}

const str = (v: string | number | null) => (v === null ? '' : String(v));
const num = (v: string | number | null) => (v === null ? null : Number(v));

function toAiSettings(v: Values): AiSettings {
  return {
    openai: {
      apiKey: str(v.openai_api_key),
      baseUrl: str(v.openai_base_url),
      defaultModel: str(v.openai_default_model),
      temperature: num(v.openai_temperature),
      topP: num(v.openai_top_p),
      maxTokens: num(v.openai_max_tokens),
    },
    anthropic: {
      apiKey: str(v.anthropic_api_key),
      baseUrl: str(v.anthropic_base_url),
      defaultModel: str(v.anthropic_default_model),
      temperature: num(v.anthropic_temperature),
      topP: num(v.anthropic_top_p),
      topK: num(v.anthropic_top_k),
      maxTokens: num(v.anthropic_max_tokens),
    },
    ollama: {
      baseUrl: str(v.ollama_base_url),
      defaultModel: str(v.ollama_default_model),
      temperature: num(v.ollama_temperature),
      topP: num(v.ollama_top_p),
      numPredict: num(v.ollama_num_predict),
      numCtx: num(v.ollama_num_ctx),
      keepAlive: str(v.ollama_keep_alive),
    },
    defaultProvider: str(v.default_ai_provider) as AiSettings['defaultProvider'],
    defaultModel: str(v.default_ai_model),
    temperature: Number(v.ai_temperature),
    maxTokens: Number(v.ai_max_tokens),
  };
}

/**
 * User-editable AI settings. Stored values override configuration and are read from the store on every use, so a
 * change made on one instance applies at once on all instances sharing the database. Provider keys are stored
 * encrypted and never returned.
 */
export function createSettingsService(deps: {
  store: SettingsStore;
  ai: Config['ai'];
  encryptionKey: Buffer;
  log: SettingsLogger;
}) {
  const base = defaults(deps.ai);

  /** Configuration overlaid with the stored values, provider keys aside (they depend on the result). */
  function overlay(stored: ReadonlyMap<string, string>): Values {
    const out: Values = { ...base };
    for (const [name, kind] of FIELDS) {
      const raw = stored.get(name);
      if (kind === 'secret' || raw === undefined || raw === '') {
        continue;
      }
      if (kind === 'number' || kind === 'integer') {
        const n = Number(raw);
        if (Number.isFinite(n)) {
          out[name] = n;
        }
      } else {
        out[name] = raw;
      }
    }
    return out;
  }

  /** The endpoint a key would be sent to with these values. */
  function endpointOf(name: SecretField, v: Values): string {
    const { provider, urlField } = KEY_ENDPOINTS[name];
    return effectiveBaseUrl(provider, str(v[urlField]));
  }

  /** Associated data of a stored key: its setting and the endpoint it may be sent to. */
  function binding(name: SecretField, endpoint: string): string {
    return `${name}\n${endpoint}`;
  }

  /**
   * The key that may go to the endpoint now in effect: the stored key when it was sealed for this setting and this
   * endpoint, else the environment's key when the endpoint is the environment's, else none. A stored key that does
   * not open (another encryption key, a corrupted value, one moved from another setting or saved for another
   * endpoint) counts as unset and is logged by setting name; the user can set it again.
   */
  function usableKey(name: SecretField, raw: string | undefined, v: Values): string {
    const endpoint = endpointOf(name, v);
    if (raw !== undefined && raw !== '') {
      try {
        return openSecret(deps.encryptionKey, raw, binding(name, endpoint));
      } catch (error) {
        deps.log.error(
          { setting: name, err: error instanceof SecretBoxError ? error.message : 'decrypt failed' },
          'stored provider key unusable',
        );
      }
    }
    return endpoint === endpointOf(name, base) ? str(base[name]) : '';
  }

  async function values(): Promise<Values> {
    const stored = await deps.store.getAll();
    const out = overlay(stored);
    for (const name of KEY_FIELDS) {
      out[name] = usableKey(name, stored.get(name), out);
    }
    return out;
  }

  function present(v: Values): SettingsResponse {
    const ai = toAiSettings(v);
    return {
      openai_api_key_set: ai.openai.apiKey !== '',
      openai_base_url: ai.openai.baseUrl,
      openai_default_model: ai.openai.defaultModel,
      openai_temperature: ai.openai.temperature,
      openai_top_p: ai.openai.topP,
      openai_max_tokens: ai.openai.maxTokens,
      anthropic_api_key_set: ai.anthropic.apiKey !== '',
      anthropic_default_model: ai.anthropic.defaultModel,
      anthropic_temperature: ai.anthropic.temperature,
      anthropic_top_p: ai.anthropic.topP,
      anthropic_top_k: ai.anthropic.topK,
      anthropic_max_tokens: ai.anthropic.maxTokens,
      ollama_configured: ai.ollama.baseUrl !== '',
      ollama_base_url: ai.ollama.baseUrl,
      ollama_default_model: ai.ollama.defaultModel,
      ollama_temperature: ai.ollama.temperature,
      ollama_top_p: ai.ollama.topP,
      ollama_num_predict: ai.ollama.numPredict,
      ollama_num_ctx: ai.ollama.numCtx,
      ollama_keep_alive: ai.ollama.keepAlive,
      default_ai_provider: ai.defaultProvider,
      default_ai_model: ai.defaultModel,
      ai_temperature: ai.temperature,
      ai_max_tokens: ai.maxTokens,
    };
  }

  async function view(): Promise<SettingsResponse> {
    return present(await values());
  }

  return {
    /**
     * Start-up work: seals again, with their setting and endpoint as associated data, the provider keys stored before
     * keys were bound (`enc:v1:` ciphertexts, or plain text). They are bound to the endpoint in effect now, which is
     * where they were being sent. Only start-up does this: an old-format value that appears later is not trusted.
     */
    async init(): Promise<void> {
      const stored = await deps.store.getAll();
      const v = overlay(stored);
      const entries: Record<string, string> = {};
      for (const name of KEY_FIELDS) {
        const raw = stored.get(name);
        if (raw === undefined || raw === '' || isSealed(raw)) {
          continue;
        }
        try {
          const key = isLegacySealed(raw) ? openLegacySecret(deps.encryptionKey, raw) : raw;
          entries[name] = sealSecret(deps.encryptionKey, key, binding(name, endpointOf(name, v)));
        } catch (error) {
          deps.log.error(
            { setting: name, err: error instanceof SecretBoxError ? error.message : 'decrypt failed' },
            'stored provider key unreadable; not upgraded',
          );
        }
      }
      if (Object.keys(entries).length > 0) {
        await deps.store.set(entries);
        deps.log.info({ settings: Object.keys(entries) }, 'stored provider keys sealed in the current format');
      }
    },

    /** The settings in effect now. */
    async current(): Promise<AiSettings> {
      return toAiSettings(await values());
    },

    /** The v1 `GET /settings` view (no secrets). */
    view,

    /**
     * Applies an update: a value sets a field (strings trimmed; an empty string is ignored, as in v1), `null`
     * clears the stored value, an absent field is untouched. A key is sealed for the endpoint in effect after the
     * update; a stored key whose endpoint changes without a new key is removed (it stays with the endpoint it was
     * given for). Returns the changed fields in v1 order.
     */
    async update(update: SettingsUpdate): Promise<{ updatedFields: string[]; settings: SettingsResponse }> {
      const stored = await deps.store.getAll();
      const entries: Record<string, string | null> = {};
      const newKeys: Partial<Record<SecretField, string>> = {};
      for (const [name, kind] of FIELDS) {
        if (!(name in update)) {
          continue;
        }
        const value = update[name];
        if (value === undefined) {
          continue;
        }
        if (value === null) {
          entries[name] = null;
          continue;
        }
        if (typeof value === 'string' && !isWellFormed(value)) {
          throw badRequest(`Setting ${name} contains invalid Unicode`);
        }
        // Strings are sanitized like any other user text (control characters removed, trimmed).
        const text = typeof value === 'string' ? sanitizeText(value) : String(value);
        if (text === '') {
          continue;
        }
        if (kind === 'secret') {
          // Sealed below, once the endpoint it is for is known.
          newKeys[name] = text;
          continue;
        }
        entries[name] = kind === 'url' ? text.replace(/\/+$/, '') : text;
      }
      const before = overlay(stored);
      const after = new Map(stored);
      for (const [name, value] of Object.entries(entries)) {
        if (value === null) {
          after.delete(name);
        } else {
          after.set(name, value);
        }
      }
      const next = overlay(after);
      for (const name of KEY_FIELDS) {
        const endpoint = endpointOf(name, next);
        const key = newKeys[name];
        if (key !== undefined) {
          entries[name] = sealSecret(deps.encryptionKey, key, binding(name, endpoint));
        } else if (stored.has(name) && !(name in entries) && endpoint !== endpointOf(name, before)) {
          entries[name] = null;
        }
      }
      const updatedFields = FIELDS.map(([name]) => name).filter((name) => name in entries);
      if (updatedFields.length > 0) {
        await deps.store.set(entries);
      }
      return { updatedFields, settings: await view() };
    },
  };
}
export type SettingsService = ReturnType<typeof createSettingsService>;
