import { LAST_USED_WRITE_INTERVAL_MS } from '../domain/api-key.js';
import { judgeStoredKey, type StoredKeyJudgement } from '../domain/key-rules.js';
import { toTimestamp, type Clock } from '../domain/types.js';
import type { ApiKeyMatch, ApiKeyStore, PeopleStore } from '../storage/store.js';

/** Most digests kept in the lookup cache; past it the cache starts over (random keys could otherwise fill it). */
const MAX_CACHED = 20_000;

interface Cached {
  match: ApiKeyMatch | null;
  personDisabled: boolean;
}

/**
 * The stored API keys a request may present, looked up by the SHA-256 of the key (never the key). Lookups are cached
 * by digest while the store's version stays the same, so a key created, rotated or revoked through any instance
 * applies at once; a back end without a version is asked every time. Unknown digests are cached too: the v1 key and
 * wrong keys cost no query either.
 */
export function createStoredKeys(deps: {
  keys: Pick<ApiKeyStore, 'findByDigest' | 'touchLastUsed' | 'version'>;
  people: Pick<PeopleStore, 'get'>;
  clock: Clock;
}) {
  let cacheVersion: number | undefined;
  const cache = new Map<string, Cached>();
  const lastTouched = new Map<string, number>();

  async function lookup(digestHex: string): Promise<Cached> {
    const version = deps.keys.version?.();
    if (version === undefined || version !== cacheVersion) {
      cache.clear();
      cacheVersion = version;
    }
    const cached = version === undefined ? undefined : cache.get(digestHex);
    if (cached !== undefined) {
      return cached;
    }
    const match = await deps.keys.findByDigest(digestHex);
    const person = match === null ? null : await deps.people.get(match.key.personId);
    const found: Cached = { match, personDisabled: person === null || person.disabled };
    if (version !== undefined) {
      if (cache.size >= MAX_CACHED) {
        cache.clear();
      }
      cache.set(digestHex, found);
    }
    return found;
  }

  return {
    /**
     * What the stored keys say of a presented key's digest: null when it is none of theirs (the v1 key, or a wrong
     * key), else whether it lets the request in and as whom (see `judgeStoredKey`).
     */
    async check(digestHex: string, clientIp: string): Promise<StoredKeyJudgement | null> {
      const { match, personDisabled } = await lookup(digestHex);
      if (match === null) {
        return null;
      }
      const now = deps.clock.now();
      const judged = judgeStoredKey(match.key, match.matched, { nowMs: now.getTime(), clientIp, personDisabled });
      if (judged.valid && now.getTime() - (lastTouched.get(match.key.id) ?? 0) >= LAST_USED_WRITE_INTERVAL_MS) {
        lastTouched.set(match.key.id, now.getTime());
        await deps.keys.touchLastUsed(match.key.id, toTimestamp(now));
      }
      return judged;
    },
  };
}
export type StoredKeys = ReturnType<typeof createStoredKeys>;
