import type Database from 'better-sqlite3';

import type { SignatureStore } from '../store.js';
import { settle } from './settle.js';

/** Accepted request signatures in SQLite (see `SignatureStore`). */
export function createSqliteSignatureStore(db: Database.Database): SignatureStore {
  // An expired row with the same digest is taken over; a live one makes the insert change nothing.
  const add = db.prepare(
    `INSERT INTO used_signatures (digest, expires_at) VALUES (?, ?)
     ON CONFLICT (digest) DO UPDATE SET expires_at = excluded.expires_at WHERE used_signatures.expires_at <= ?`,
  );
  const deleteExpired = db.prepare('DELETE FROM used_signatures WHERE expires_at <= ?');
  return {
    add: (digest, expiresAtMs, nowMs) => settle(() => add.run(digest, expiresAtMs, nowMs).changes === 1),
    deleteExpired: (nowMs) => settle(() => deleteExpired.run(nowMs).changes),
  };
}
