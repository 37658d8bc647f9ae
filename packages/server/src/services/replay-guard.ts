import { hash } from 'node:crypto';

import type { SignatureStore } from '../storage/store.js';

/** Expired digests are deleted once per this many checks (and at the first), so old rows never pile up. */
const SWEEP_EVERY = 1000;

/**
 * Replay protection of signed requests: a signature is accepted once. Accepted signatures are kept in the database
 * (not in Redis or process memory), so neither a restart of the app nor one of Redis forgets them, and every
 * instance sharing the database refuses what another accepted.
 *
 * A signature verifies only while its timestamp is within ±`maxAgeSeconds` of the clock, so it is kept for twice
 * that (plus a second for the rounding of the timestamp) after it was accepted; after that it fails the time check.
 * The table therefore holds the signatures accepted in the last 2 × max age, plus at most `SWEEP_EVERY` expired
 * rows per instance between sweeps.
 */
export function createReplayGuard(deps: { store: SignatureStore; maxAgeSeconds: number }) {
  const retainMs = 2 * deps.maxAgeSeconds * 1000 + 1000;
  let checks = 0;
  return {
    /**
     * True the first time `signature` (hex, either case) is presented, false for a replay. `nowMs` is the current time
     * in epoch milliseconds. Rejects when the store does; the signature is then not recorded.
     */
    async firstUse(signature: string, nowMs: number): Promise<boolean> {
      if (checks++ % SWEEP_EVERY === 0) {
        await deps.store.deleteExpired(nowMs);
      }
      // Upper- and lower-case hex are the same signature.
      const digest = hash('sha256', signature.toLowerCase(), 'buffer');
      return deps.store.add(digest, nowMs + retainMs, nowMs);
    },
  };
}
export type ReplayGuard = ReturnType<typeof createReplayGuard>;
