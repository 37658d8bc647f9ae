import {
  AI_SETTINGS,
  type AiSetting,
  type AiSettings,
  type AiSettingsChange,
  type AiSettingValues,
  flattenAiSettings,
  groupAiSettings,
  trimBaseUrl,
} from '@contextpilot/contract/ai-settings';

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
import { effectiveBaseUrl, type ProviderName } from '../providers/llm/llm.js';
import type { SettingsStore } from '../storage/store.js';

type SecretRow = Extract<AiSetting, { kind: 'secret' }>;
type SecretField = SecretRow['key'];

/**
 * The provider keys. A key is only ever sent to the endpoint of its base URL setting (`endpoint` in the table): a
 * stored key is sealed with that endpoint (and its own name) as associated data, and the environment's key belongs
 * to the environment's base URL.
 */
const SECRETS = AI_SETTINGS.filter((row): row is SecretRow => row.kind === 'secret');
/** What stands for a provider key that is set, outside this service. */
const KEY_MASK = '********';

/** The AI settings in effect: configuration defaults overlaid with the values stored through `POST /settings`. */
export type { AiSettings };

/** A provider's saved key and base URL in effect (Ollama has no key). */
export function savedCredentials(provider: ProviderName, settings: AiSettings): { apiKey: string; baseUrl: string } {
  return provider === 'ollama'
    ? { apiKey: '', baseUrl: settings.ollama.baseUrl }
    : { apiKey: settings[provider].apiKey, baseUrl: settings[provider].baseUrl };
}

export interface SettingsLogger {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/**
 * User-editable AI settings. Stored values override configuration and are read from the store on every use, so a
 * change made on one instance applies at once on all instances sharing the database. Provider keys are stored
 * encrypted and never returned.
 */
export function createSettingsService(deps: {
  store: SettingsStore;
  ai: AiSettings;
  encryptionKey: Buffer;
  log: SettingsLogger;
}) {
  const base = flattenAiSettings(deps.ai);

  /** Configuration overlaid with the stored values, provider keys aside (they depend on the result). */
  function overlay(stored: ReadonlyMap<string, string>): AiSettingValues {
    const out: Record<string, string | number | null> = { ...base };
    for (const row of AI_SETTINGS) {
      const raw = stored.get(row.key);
      if (row.kind === 'secret' || raw === undefined || raw === '') {
        continue;
      }
      if (row.kind === 'number' || row.kind === 'integer') {
        const n = Number(raw);
        if (Number.isFinite(n)) {
          out[row.key] = n;
        }
      } else {
        out[row.key] = raw;
      }
    }
    return out as AiSettingValues;
  }

  /** The endpoint a key would be sent to with these values. */
  function endpointOf(row: SecretRow, v: AiSettingValues): string {
    return effectiveBaseUrl(row.provider, v[row.endpoint]);
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
  function usableKey(row: SecretRow, raw: string | undefined, v: AiSettingValues): string {
    const endpoint = endpointOf(row, v);
    if (raw !== undefined && raw !== '') {
      try {
        return openSecret(deps.encryptionKey, raw, binding(row.key, endpoint));
      } catch (error) {
        deps.log.error(
          { setting: row.key, err: error instanceof SecretBoxError ? error.message : 'decrypt failed' },
          'stored provider key unusable',
        );
      }
    }
    return endpoint === endpointOf(row, base) ? base[row.key] : '';
  }

  /** The values with each provider key replaced by a mask when set ('' when not). */
  function masked(v: AiSettingValues): AiSettingValues {
    const out = { ...v };
    for (const row of SECRETS) {
      out[row.key] = v[row.key] === '' ? '' : KEY_MASK;
    }
    return out;
  }

  async function values(): Promise<AiSettingValues> {
    const stored = await deps.store.getAll();
    const out = overlay(stored);
    for (const row of SECRETS) {
      out[row.key] = usableKey(row, stored.get(row.key), out);
    }
    return out;
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
      for (const row of SECRETS) {
        const raw = stored.get(row.key);
        if (raw === undefined || raw === '' || isSealed(raw)) {
          continue;
        }
        try {
          const key = isLegacySealed(raw) ? openLegacySecret(deps.encryptionKey, raw) : raw;
          entries[row.key] = sealSecret(deps.encryptionKey, key, binding(row.key, endpointOf(row, v)));
        } catch (error) {
          deps.log.error(
            { setting: row.key, err: error instanceof SecretBoxError ? error.message : 'decrypt failed' },
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
      return groupAiSettings(await values());
    },

    /**
     * Every setting in effect, by wire key, as it may be shown: a provider key is only said to be set (a mask in its
     * place), never given. The keys themselves leave this service only through `current()`, to the provider calls.
     */
    async shownValues(): Promise<AiSettingValues> {
      return masked(await values());
    },

    /**
     * Applies an update: a value sets a field (strings trimmed; an empty string is ignored, as in v1), `null`
     * clears the stored value, an absent field is untouched. A key is sealed for the endpoint in effect after the
     * update; a stored key whose endpoint changes without a new key is removed (it stays with the endpoint it was
     * given for). Returns the changed fields in v1 order.
     */
    async update(update: AiSettingsChange): Promise<{ updatedFields: string[]; values: AiSettingValues }> {
      const stored = await deps.store.getAll();
      const entries: Record<string, string | null> = {};
      const newKeys: Partial<Record<SecretField, string>> = {};
      for (const row of AI_SETTINGS) {
        const name = row.key;
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
        if (row.kind === 'secret') {
          // Sealed below, once the endpoint it is for is known.
          newKeys[row.key] = text;
          continue;
        }
        entries[name] = row.kind === 'url' ? trimBaseUrl(text) : text;
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
      for (const row of SECRETS) {
        const endpoint = endpointOf(row, next);
        const key = newKeys[row.key];
        if (key !== undefined) {
          entries[row.key] = sealSecret(deps.encryptionKey, key, binding(row.key, endpoint));
        } else if (stored.has(row.key) && !(row.key in entries) && endpoint !== endpointOf(row, before)) {
          entries[row.key] = null;
        }
      }
      const updatedFields = AI_SETTINGS.map((row) => row.key).filter((name) => name in entries);
      if (updatedFields.length > 0) {
        await deps.store.set(entries);
      }
      return { updatedFields, values: masked(await values()) };
    },
  };
}
export type SettingsService = ReturnType<typeof createSettingsService>;
