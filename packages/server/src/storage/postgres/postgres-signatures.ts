import type pg from 'pg';

import type { SignatureStore } from '../store.js';

/** Accepted request signatures in PostgreSQL; same behaviour as `sqlite/sqlite-signatures.ts`. */
export function createPostgresSignatureStore(pool: pg.Pool): SignatureStore {
  return {
    // One statement: a concurrent insert of the same digest by another instance waits for this one and then changes
    // nothing, so exactly one of them sees its first use.
    add: async (digest, expiresAtMs, nowMs) =>
      (
        await pool.query(
          `INSERT INTO used_signatures (digest, expires_at) VALUES ($1, $2)
           ON CONFLICT (digest) DO UPDATE SET expires_at = excluded.expires_at WHERE used_signatures.expires_at <= $3`,
          [digest, expiresAtMs, nowMs],
        )
      ).rowCount === 1,
    deleteExpired: async (nowMs) =>
      (await pool.query('DELETE FROM used_signatures WHERE expires_at <= $1', [nowMs])).rowCount ?? 0,
  };
}
