import {
  digestMatches,
  fingerprintOfDigest,
  generateApiKey,
  hashApiKey,
  keyDigest,
  keyFingerprint,
  LAST_USED_WRITE_INTERVAL_MS,
  parseKeyHash,
} from '../domain/api-key.js';
import type { StoredKeyRefusal } from '../domain/key-rules.js';
import { OWNER_PRINCIPAL, type Principal } from '../domain/principal.js';
import { toTimestamp, type Clock } from '../domain/types.js';
import { badRequest } from '../errors.js';
import type { SettingsStore } from '../storage/store.js';
import { keyActor, type EventRequest } from './audit-events.js';
import type { AuditService } from './audit-service.js';
import type { StoredKeys } from './stored-keys.js';

/** Settings keys of the API key lifecycle (v1 names). */
export const KEY_SETTINGS = {
  hash: 'api_key_hash',
  legacyPlain: 'api_key',
  createdAt: 'api_key_created_at',
  rotatedAt: 'api_key_last_rotated_at',
  lastUsedAt: 'api_key_last_used_at',
} as const;

/** A valid key names who the request acts for (`principal`); an invalid one why it was refused. */
export type KeyCheck =
  | {
      valid: true;
      fingerprint: string;
      principal: Principal;
      /** `grace_used`: a stored key's digest from before its rotation, inside the grace period. */
      outcome: 'valid_key' | 'grace_used';
    }
  | { valid: false; reason: 'missing_key' | 'invalid_key' | StoredKeyRefusal; fingerprint: string | null };

/** Who asked for a rotation, for its audit event. */
export interface RotationRequest {
  request?: EventRequest | undefined;
  /** Fingerprint of the key the request was made with. */
  keyFingerprint?: string | undefined;
}

/**
 * The API key: which one is valid, verification in constant time, rotation. After a rotation the hash in the
 * settings store is the only valid key on every instance sharing the store; keys from the environment stop working.
 */
export function createKeyService(deps: {
  settings: SettingsStore;
  clock: Clock;
  /** Rotation records its own event here. */
  audit: Pick<AuditService, 'record'>;
  /** Keys are checked at all; without that a rotated key would protect nothing, so rotation is refused. */
  authEnabled: boolean;
  env: { apiKey: string; apiKeyHash: string; rotationBytes: number };
  /** Keys created through the API, each with its person and scopes; without it only the v1 key exists. */
  stored?: Pick<StoredKeys, 'check'>;
}) {
  const envHash =
    deps.env.apiKeyHash !== '' ? deps.env.apiKeyHash : deps.env.apiKey !== '' ? hashApiKey(deps.env.apiKey) : '';
  let lastUsedWrite = 0;
  /** The expected hash as bytes, parsed once per distinct stored value rather than on every request. */
  let parsed: { hex: string; digest: Buffer | null } = { hex: '', digest: null };
  const expectedDigest = (hex: string): Buffer | null => {
    if (parsed.hex !== hex) {
      parsed = { hex, digest: parseKeyHash(hex) };
    }
    return parsed.digest;
  };

  /** The expected hash and the settings version it was read at, for stores that can tell when settings change. */
  let cached: { version: number; hash: string } | null = null;

  /**
   * The hash a presented key must match. Cached while the store's settings version stays the same (a change through
   * any connection moves it, so a rotation on another instance applies at once); read every time from stores without
   * one. A cached hash is returned as is, so the common case awaits nothing.
   */
  function expectedHash(): string | Promise<string> {
    const version = deps.settings.version?.();
    if (version === undefined) {
      return readExpectedHash();
    }
    if (cached?.version === version) {
      return cached.hash;
    }
    return readExpectedHash().then((hash) => {
      cached = { version, hash };
      return hash;
    });
  }

  async function readExpectedHash(): Promise<string> {
    const stored = await deps.settings.get(KEY_SETTINGS.hash);
    if (stored) {
      return stored;
    }
    if (envHash !== '') {
      return envHash;
    }
    // v1 kept a plaintext key in the settings table; honour it only when nothing else is configured.
    const legacy = await deps.settings.get(KEY_SETTINGS.legacyPlain);
    return legacy ? hashApiKey(legacy) : '';
  }

  /** Writes `api_key_last_used_at` (and `api_key_created_at` when missing). */
  async function touch(now: Date): Promise<void> {
    lastUsedWrite = now.getTime();
    const entries: Record<string, string> = { [KEY_SETTINGS.lastUsedAt]: toTimestamp(now) };
    if ((await deps.settings.get(KEY_SETTINGS.createdAt)) === null) {
      entries[KEY_SETTINGS.createdAt] = toTimestamp(now);
    }
    await deps.settings.set(entries);
  }

  return {
    /** Checks a presented `X-API-Key` value (undefined when absent). */
    async verify(presented: string | undefined, request: { clientIp?: string } = {}): Promise<KeyCheck> {
      if (presented === undefined || presented === '') {
        return { valid: false, reason: 'missing_key', fingerprint: null };
      }
      const digest = keyDigest(presented);
      const fingerprint = fingerprintOfDigest(digest);
      // Stored keys first: found by digest, they decide; a digest none of them has is checked as the v1 key.
      const stored = await deps.stored?.check(digest.toString('hex'), request.clientIp ?? '');
      if (stored !== undefined && stored !== null) {
        return stored.valid
          ? {
              valid: true,
              fingerprint,
              principal: stored.principal,
              outcome: stored.grace ? 'grace_used' : 'valid_key',
            }
          : { valid: false, reason: stored.refusal, fingerprint };
      }
      const hash = expectedHash();
      const expected = expectedDigest(typeof hash === 'string' ? hash : await hash);
      if (expected === null || !digestMatches(digest, expected)) {
        return { valid: false, reason: 'invalid_key', fingerprint };
      }
      const now = deps.clock.now();
      if (now.getTime() - lastUsedWrite >= LAST_USED_WRITE_INTERVAL_MS) {
        await touch(now);
      }
      // The single v1 key is the owner's: every scope.
      return { valid: true, fingerprint, principal: OWNER_PRINCIPAL, outcome: 'valid_key' };
    },

    /**
     * Replaces the key: returns the new key once; only its hash and the lifecycle times are stored. Records an
     * `api_key_rotation` event naming the new key by its fingerprint. Throws 400 when authentication is off.
     */
    async rotate(by: RotationRequest = {}): Promise<{ key: string; rotatedAt: string }> {
      const actor = keyActor(by.keyFingerprint);
      if (!deps.authEnabled) {
        deps.audit.record({ event: 'api_key_rotation', outcome: 'auth_disabled', request: by.request, actor });
        throw badRequest('Enable authentication before rotating API keys');
      }
      const key = generateApiKey(deps.env.rotationBytes);
      const rotatedAt = toTimestamp(deps.clock.now());
      const entries: Record<string, string | null> = {
        [KEY_SETTINGS.hash]: hashApiKey(key),
        [KEY_SETTINGS.rotatedAt]: rotatedAt,
        [KEY_SETTINGS.lastUsedAt]: rotatedAt,
        [KEY_SETTINGS.legacyPlain]: null,
      };
      if ((await deps.settings.get(KEY_SETTINGS.createdAt)) === null) {
        entries[KEY_SETTINGS.createdAt] = rotatedAt;
      }
      await deps.settings.set(entries);
      lastUsedWrite = deps.clock.now().getTime();
      deps.audit.record({
        event: 'api_key_rotation',
        outcome: 'success',
        request: by.request,
        actor,
        details: { rotated_at: rotatedAt, new_key: keyFingerprint(key) },
      });
      return { key, rotatedAt };
    },

    /** True when a rotated key in the store overrides a key configured in the environment. */
    async environmentKeyOverridden(): Promise<boolean> {
      return envHash !== '' && (await deps.settings.get(KEY_SETTINGS.hash)) !== null;
    },
  };
}
export type KeyService = ReturnType<typeof createKeyService>;
