import type pg from 'pg';

import { newId } from '../../ids.js';
import { API_KEY_COLUMNS, type ApiKeyRow, rowToApiKey } from '../rows.js';
import type { ApiKeyStore, NewApiKey, StoredApiKey } from '../store.js';

/**
 * The key whose current or previous digest is `$1`: two unique-index lookups in one round trip, the current digest
 * first. Exported so that a test can check its query plan.
 */
export const FIND_BY_DIGEST_SQL = `SELECT * FROM (
    SELECT ${API_KEY_COLUMNS}, 0 AS previous FROM api_keys WHERE digest = $1
    UNION ALL
    SELECT ${API_KEY_COLUMNS}, 1 AS previous FROM api_keys WHERE previous_digest = $1
  ) k ORDER BY previous LIMIT 1`;

/** Inserts keys from parallel arrays in one statement; WITH ORDINALITY keeps their order, so `seq` follows it. */
const INSERT_MANY = `INSERT INTO api_keys (id, person_id, name, scopes, digest, created_at, expires_at, allowed_networks)
  SELECT k.id, k.person_id, k.name, k.scopes::jsonb, k.digest, k.created_at, k.expires_at, k.allowed_networks::jsonb
  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
    WITH ORDINALITY AS k (id, person_id, name, scopes, digest, created_at, expires_at, allowed_networks, ord)
  ORDER BY k.ord`;

function insertArrays(keys: readonly NewApiKey[]): unknown[][] {
  return [
    keys.map((k) => k.id ?? newId(Date.parse(k.createdAt))),
    keys.map((k) => k.personId),
    keys.map((k) => k.name),
    keys.map((k) => JSON.stringify(k.scopes)),
    keys.map((k) => k.digest),
    keys.map((k) => k.createdAt),
    keys.map((k) => k.expiresAt ?? null),
    keys.map((k) => JSON.stringify(k.allowedNetworks ?? [])),
  ];
}

/**
 * API keys in PostgreSQL; same behaviour as `sqlite/sqlite-api-keys.ts`, except that there is no `version`: like the
 * settings store, nothing tells this instance cheaply that another one changed a key, so callers look keys up every
 * time (one index lookup).
 */
export function createPostgresApiKeyStore(pool: pg.Pool): ApiKeyStore {
  return {
    create: async (key) =>
      rowToApiKey(
        (await pool.query<ApiKeyRow>(`${INSERT_MANY} RETURNING ${API_KEY_COLUMNS}`, insertArrays([key]))).rows[0]!,
      ),
    // One statement: atomic without an explicit transaction, one round trip for the whole batch.
    createMany: async (keys) => {
      if (keys.length > 0) {
        await pool.query(INSERT_MANY, insertArrays(keys));
      }
    },
    get: async (id) =>
      mapKey((await pool.query<ApiKeyRow>(`SELECT ${API_KEY_COLUMNS} FROM api_keys WHERE id = $1`, [id])).rows[0]),
    list: async (filter = {}) => {
      const result =
        filter.personId === undefined
          ? await pool.query<ApiKeyRow>(`SELECT ${API_KEY_COLUMNS} FROM api_keys ORDER BY created_at DESC, seq DESC`)
          : await pool.query<ApiKeyRow>(
              `SELECT ${API_KEY_COLUMNS} FROM api_keys WHERE person_id = $1 ORDER BY created_at DESC, seq DESC`,
              [filter.personId],
            );
      return result.rows.map(rowToApiKey);
    },
    findByDigest: async (digest) => {
      const row = (await pool.query<ApiKeyRow & { previous: number }>(FIND_BY_DIGEST_SQL, [digest])).rows[0];
      return row === undefined ? null : { key: rowToApiKey(row), matched: row.previous === 1 ? 'previous' : 'current' };
    },
    // The right-hand sides read the row as it was: the old digest moves to previous_digest.
    rotate: async (id, next) =>
      mapKey(
        (
          await pool.query<ApiKeyRow>(
            `UPDATE api_keys SET previous_digest = digest, previous_valid_until = $2, digest = $3 WHERE id = $1
             RETURNING ${API_KEY_COLUMNS}`,
            [id, next.previousValidUntil, next.digest],
          )
        ).rows[0],
      ),
    revoke: async (id, at) =>
      ((await pool.query('UPDATE api_keys SET revoked_at = coalesce(revoked_at, $2) WHERE id = $1', [id, at]))
        .rowCount ?? 0) > 0,
    delete: async (id) => ((await pool.query('DELETE FROM api_keys WHERE id = $1', [id])).rowCount ?? 0) > 0,
    touchLastUsed: async (id, at) => {
      await pool.query(
        'UPDATE api_keys SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2)',
        [id, at],
      );
    },
    count: async () => (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM api_keys')).rows[0]?.n ?? 0,
  };
}

function mapKey(row: ApiKeyRow | undefined): StoredApiKey | null {
  return row === undefined ? null : rowToApiKey(row);
}
