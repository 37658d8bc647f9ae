import type Database from 'better-sqlite3';

import { newId } from '../../ids.js';
import { API_KEY_COLUMNS, type ApiKeyRow, rowToApiKey } from '../rows.js';
import type { ApiKeyMatch, ApiKeyStore, NewApiKey, StoredApiKey } from '../store.js';
import type { ChangeVersion } from './change-version.js';
import { settle } from './settle.js';

/**
 * The key whose current or previous digest is `@digest`: two unique-index lookups, the current digest first. Exported so
 * that a test can check its query plan.
 */
export const FIND_BY_DIGEST_SQL = `SELECT * FROM (
    SELECT ${API_KEY_COLUMNS}, 0 AS previous FROM api_keys WHERE digest = @digest
    UNION ALL
    SELECT ${API_KEY_COLUMNS}, 1 AS previous FROM api_keys WHERE previous_digest = @digest
  ) ORDER BY previous LIMIT 1`;

/** API keys in SQLite (see `ApiKeyStore`). Every write but `touchLastUsed` moves `changes`, the store's version. */
export function createSqliteApiKeyStore(db: Database.Database, changes: ChangeVersion): ApiKeyStore {
  const insert = db.prepare(
    `INSERT INTO api_keys (id, person_id, name, scopes, digest, created_at, expires_at, allowed_networks)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${API_KEY_COLUMNS}`,
  );
  const get = db.prepare(`SELECT ${API_KEY_COLUMNS} FROM api_keys WHERE id = ?`);
  const listAll = db.prepare(`SELECT ${API_KEY_COLUMNS} FROM api_keys ORDER BY created_at DESC, rowid DESC`);
  const listOf = db.prepare(
    `SELECT ${API_KEY_COLUMNS} FROM api_keys WHERE person_id = ? ORDER BY created_at DESC, rowid DESC`,
  );
  const findByDigest = db.prepare(FIND_BY_DIGEST_SQL);
  // The right-hand sides read the row as it was: the old digest moves to previous_digest.
  const rotate = db.prepare(
    `UPDATE api_keys SET previous_digest = digest, previous_valid_until = ?, digest = ? WHERE id = ?
     RETURNING ${API_KEY_COLUMNS}`,
  );
  const revoke = db.prepare('UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?');
  const remove = db.prepare('DELETE FROM api_keys WHERE id = ?');
  const touch = db.prepare(
    'UPDATE api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)',
  );
  const count = db.prepare('SELECT count(*) FROM api_keys').pluck();

  const create = (key: NewApiKey): StoredApiKey =>
    rowToApiKey(
      insert.get(
        key.id ?? newId(Date.parse(key.createdAt)),
        key.personId,
        key.name,
        JSON.stringify(key.scopes),
        key.digest,
        key.createdAt,
        key.expiresAt ?? null,
        JSON.stringify(key.allowedNetworks ?? []),
      ) as ApiKeyRow,
    );
  const createMany = db.transaction((keys: readonly NewApiKey[]) => {
    for (const key of keys) {
      create(key);
    }
  });

  /** Runs a write and counts it, whether or not it succeeded. */
  const write = <T>(fn: () => T): Promise<T> =>
    settle(() => {
      try {
        return fn();
      } finally {
        changes.bump();
      }
    });

  return {
    create: (key) => write(() => create(key)),
    createMany: (keys) => write(() => createMany(keys)),
    get: (id) => settle(() => mapKey(get.get(id) as ApiKeyRow | undefined)),
    list: (filter = {}) =>
      settle(() =>
        ((filter.personId === undefined ? listAll.all() : listOf.all(filter.personId)) as ApiKeyRow[]).map(rowToApiKey),
      ),
    findByDigest: (digest) =>
      settle((): ApiKeyMatch | null => {
        const row = findByDigest.get({ digest }) as (ApiKeyRow & { previous: number }) | undefined;
        return row === undefined
          ? null
          : { key: rowToApiKey(row), matched: row.previous === 1 ? 'previous' : 'current' };
      }),
    rotate: (id, next) =>
      write(() => mapKey(rotate.get(next.previousValidUntil, next.digest, id) as ApiKeyRow | undefined)),
    revoke: (id, at) => write(() => revoke.run(at, id).changes > 0),
    delete: (id) => write(() => remove.run(id).changes > 0),
    touchLastUsed: (id, at) =>
      settle(() => {
        touch.run(at, id, at);
      }),
    count: () => settle(() => count.get() as number),
    version: () => changes.current(),
  };
}

function mapKey(row: ApiKeyRow | undefined): StoredApiKey | null {
  return row === undefined ? null : rowToApiKey(row);
}
