import pg from 'pg';
import type { PoolClient, QueryResultRow } from 'pg';

import type { RankableUnit } from '../../domain/ranking.js';
import type { ContextStatus, ContextType, ContextUnit } from '../../domain/types.js';
import {
  CHANGE_LOG_KEEP,
  PENDING_SCAN_WINDOW,
  rowToRankingFields,
  rowToUnit,
  type ContextRow,
  type RankingRow,
} from '../rows.js';
import { isPostgresOutage, withOutageErrors } from '../outage.js';
import type {
  ChangeBatch,
  ContextCounts,
  ContextFilter,
  ContextStore,
  ImportItem,
  SettingsStore,
  Storage,
  TextHit,
  UnitEmbedding,
} from '../store.js';
import { bytesToVector, vectorToBytes } from '../vectors.js';
import { POSTGRES_MIGRATIONS } from './migrations.js';
import { createPostgresApiKeyStore } from './postgres-api-keys.js';
import { createPostgresConversationStore } from './postgres-conversations.js';
import { createPostgresEventStore } from './postgres-events.js';
import { createPostgresPeopleStore } from './postgres-people.js';
import { createPostgresSignatureStore } from './postgres-signatures.js';

/** Thrown inside the supersede transaction to roll it back when the old unit cannot be superseded. */
class NotSuperseded extends Error {}

/** Anything that runs a query: the pool (one statement, auto-commit) or a checked-out client (inside a transaction). */
interface Queryable {
  query<R extends QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

export interface PostgresOptions {
  /** `postgres://…` connection string. */
  url: string;
  /** Schema holding the tables; created when missing. Default `public`. */
  schema?: string | undefined;
}

// A plain identifier: it also travels in the start-up `options` string, where quoting rules differ from SQL.
const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * Connects to PostgreSQL, creates the schema when missing and applies pending migrations under an advisory lock, so
 * that instances starting together do not race. Every pooled connection uses the schema through `search_path`.
 * Throws when the schema name is not a plain identifier or the server cannot be reached.
 */
export async function openPostgres(options: PostgresOptions): Promise<Storage> {
  const schema = options.schema ?? 'public';
  if (!SCHEMA_NAME.test(schema)) {
    throw new Error(`Invalid PostgreSQL schema name "${schema}": use letters, digits and underscores`);
  }
  const pool = new pg.Pool({
    connectionString: options.url,
    options: `-c search_path=${pg.escapeIdentifier(schema)}`,
    connectionTimeoutMillis: 10_000,
  });
  // An idle client that loses its connection emits 'error' on the pool; without a listener the process would crash.
  // The pool already discards that client, and the next query reports the failure to its caller.
  pool.on('error', () => undefined);
  try {
    await migrate(pool, schema);
  } catch (error) {
    await pool.end();
    throw error;
  }
  let closing: Promise<void> | null = null;
  return withOutageErrors(
    {
      kind: 'postgres',
      contexts: createPostgresContextStore(pool),
      settings: createPostgresSettingsStore(pool),
      events: createPostgresEventStore(pool),
      conversations: createPostgresConversationStore(pool, (fn) => withTransaction(pool, fn)),
      signatures: createPostgresSignatureStore(pool),
      people: createPostgresPeopleStore(pool, (fn) => withTransaction(pool, fn)),
      apiKeys: createPostgresApiKeyStore(pool),
      close: () => (closing ??= pool.end()),
    },
    isPostgresOutage,
  );
}

/** Runs `fn` inside BEGIN/COMMIT on one client; any error rolls everything back and is rethrown. */
async function withTransaction<T>(pool: pg.Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    try {
      await client.query('ROLLBACK');
    } catch (rollbackError) {
      // The connection is unusable: destroy it instead of returning it to the pool.
      broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
    }
    throw error;
  } finally {
    client.release(broken);
  }
}

async function migrate(pool: pg.Pool, schema: string): Promise<void> {
  await withTransaction(pool, async (client) => {
    // Held until COMMIT. It also makes the check-then-create of the schema and tables below race-free.
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`contextpilot:migrate:${schema}`]);
    // Look before creating: CREATE SCHEMA IF NOT EXISTS checks the database CREATE privilege even when the schema
    // exists, and a deployment user often owns its schema without holding that privilege.
    const exists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    if (exists.rowCount === 0) {
      await client.query(`CREATE SCHEMA ${pg.escapeIdentifier(schema)}`);
    }
    const current = await client.query<{ schema: string | null }>('SELECT current_schema() AS schema');
    if (current.rows[0]?.schema !== schema) {
      // E.g. the URL carries its own `options`, which win over ours: tables would land in the wrong schema.
      throw new Error(`PostgreSQL search_path does not select schema "${schema}"`);
    }
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at text NOT NULL)',
    );
    const applied = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
    const done = new Set(applied.rows.map((r) => r.version));
    for (const migration of POSTGRES_MIGRATIONS) {
      if (done.has(migration.version)) {
        continue;
      }
      await client.query(migration.sql);
      await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
        migration.version,
        migration.name,
        new Date().toISOString(),
      ]);
    }
  });
}

const UNIT_COLUMNS = 'id, type, content, confidence, created_at, last_used, source, tags, status, superseded_by';
const UNIT_VALUES = '$1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10';

function unitParams(u: ContextUnit): unknown[] {
  return [
    u.id,
    u.type,
    u.content,
    u.confidence,
    u.createdAt,
    u.lastUsed,
    u.source,
    JSON.stringify(u.tags),
    u.status,
    u.supersededBy,
  ];
}

const SQL = {
  get: `SELECT ${UNIT_COLUMNS} FROM context_units WHERE id = $1`,
  insert: `INSERT INTO context_units (${UNIT_COLUMNS}) VALUES (${UNIT_VALUES})`,
  upsert: `INSERT INTO context_units (${UNIT_COLUMNS}) VALUES (${UNIT_VALUES})
    ON CONFLICT (id) DO UPDATE SET type = excluded.type, content = excluded.content, confidence = excluded.confidence,
      created_at = excluded.created_at, last_used = excluded.last_used, source = excluded.source, tags = excluded.tags,
      status = excluded.status, superseded_by = excluded.superseded_by`,
  update: `UPDATE context_units SET type = $2, content = $3, confidence = $4, created_at = $5, last_used = $6, source = $7,
      tags = $8::jsonb, status = $9, superseded_by = $10 WHERE id = $1`,
  // FOR UPDATE: the content must not change between reading it and acting on it.
  contentOf: 'SELECT content FROM context_units WHERE id = $1 FOR UPDATE',
  // Writers that log changes take this lock first, so change-log sequence numbers become visible in commit order and a
  // reader never skips a number that commits later (a bare bigserial does not promise that).
  lockChanges: "SELECT pg_advisory_xact_lock(hashtext('contextpilot:changes:' || current_schema()))",
};

function createPostgresContextStore(pool: pg.Pool): ContextStore {
  let writes = 0;

  async function logChanges(db: Queryable, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) {
      return;
    }
    await db.query('INSERT INTO context_changes (context_id) SELECT unnest($1::text[])', [ids]);
    const before = writes;
    writes += ids.length;
    // Prune about once per thousand logged writes, like the SQLite back end.
    if (Math.floor(before / 1000) !== Math.floor(writes / 1000)) {
      await db.query('DELETE FROM context_changes WHERE seq <= (SELECT max(seq) FROM context_changes) - $1', [
        CHANGE_LOG_KEEP,
      ]);
    }
  }

  /** One transaction that may log changes: takes the change-log lock first. */
  function writeTx<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    return withTransaction(pool, async (client) => {
      await client.query(SQL.lockChanges);
      return fn(client);
    });
  }

  return {
    get: async (id) => mapRow((await pool.query<ContextRow>(SQL.get, [id])).rows[0]),
    getMany: async (ids) => {
      if (ids.length === 0) {
        return [];
      }
      const result = await pool.query<ContextRow>(
        `SELECT ${UNIT_COLUMNS} FROM context_units WHERE id = ANY($1::text[]) ORDER BY seq`,
        [ids],
      );
      return result.rows.map(rowToUnit);
    },
    list: (filter) => listUnits(pool, filter),
    listAll: async () =>
      (await pool.query<ContextRow>(`SELECT ${UNIT_COLUMNS} FROM context_units ORDER BY seq`)).rows.map(rowToUnit),
    insert: (unit, embedding) =>
      writeTx(async (client) => {
        await client.query(SQL.insert, unitParams(unit));
        await writeEmbedding(client, unit.id, embedding);
        await logChanges(client, [unit.id]);
      }),
    update: (unit, embedding) =>
      writeTx(async (client) => {
        await client.query(SQL.update, unitParams(unit));
        if (embedding !== undefined) {
          await writeEmbedding(client, unit.id, embedding);
        }
        await logChanges(client, [unit.id]);
      }),
    delete: (id) =>
      writeTx(async (client) => {
        const removed = ((await client.query('DELETE FROM context_units WHERE id = $1', [id])).rowCount ?? 0) > 0;
        if (removed) {
          // Units it superseded stay superseded, but no longer point at a unit that is gone.
          const unlinked = await client.query<{ id: string }>(
            'UPDATE context_units SET superseded_by = NULL WHERE superseded_by = $1 RETURNING id',
            [id],
          );
          await logChanges(client, [id, ...unlinked.rows.map((r) => r.id)]);
        }
        return removed;
      }),
    supersede: async (oldId, replacement, embedding) => {
      try {
        await writeTx(async (client) => {
          // Inserted first: the old unit's link must point at a unit that exists.
          await client.query(SQL.insert, unitParams(replacement));
          const marked = await client.query(
            "UPDATE context_units SET status = 'superseded', superseded_by = $1 WHERE id = $2 AND status = 'active'",
            [replacement.id, oldId],
          );
          if ((marked.rowCount ?? 0) === 0) {
            // Rolls the insert back: the old unit is gone or no longer active.
            throw new NotSuperseded();
          }
          await writeEmbedding(client, replacement.id, embedding);
          await logChanges(client, [replacement.id, oldId]);
        });
        return true;
      } catch (error) {
        if (error instanceof NotSuperseded) {
          return false;
        }
        throw error;
      }
    },
    importUnits: (items, { replaceExisting }) =>
      writeTx((client) => importUnits(client, items, replaceExisting, logChanges)),
    touchLastUsed: async (ids, at) => {
      if (ids.length > 0) {
        // One statement, so it is atomic without an explicit transaction.
        await pool.query('UPDATE context_units SET last_used = $1 WHERE id = ANY($2::text[])', [at, ids]);
      }
    },
    counts: (modelId) => countUnits(pool, modelId),
    successors: async (ids) => {
      const { rows } = await pool.query<{ predecessor: string; next: string | null }>(
        `SELECT u.id AS predecessor,
           (SELECT n.id FROM context_units n WHERE n.source = u.source AND n.seq > u.seq ORDER BY n.seq LIMIT 1) AS next
         FROM context_units u WHERE u.id = ANY($1::text[]) AND u.source <> 'manual'`,
        [ids],
      );
      return new Map(rows.filter((r) => r.next !== null).map((r) => [r.next as string, r.predecessor]));
    },
    textSearch: (terms, limit) => textSearch(pool, terms, limit),
    readEmbeddings: (modelId, ids) => readEmbeddings(pool, modelId, ids),
    readRankingFields: (ids) => readRankingFields(pool, ids),
    pendingEmbeddings: async (modelId, limit, after = 0) => {
      const end = after + PENDING_SCAN_WINDOW;
      // bigint seq comes back as a string from the driver.
      const result = await pool.query<ContextRow & { seq: string }>(
        `SELECT seq, ${UNIT_COLUMNS} FROM context_units u WHERE seq > $3 AND seq <= $4
         AND NOT EXISTS (SELECT 1 FROM context_embeddings e WHERE e.context_id = u.id AND e.model_id = $1)
         ORDER BY seq LIMIT $2`,
        [modelId, limit, after, end],
      );
      const units = result.rows.map(rowToUnit);
      const last = result.rows.at(-1);
      if (last !== undefined && result.rows.length >= limit) {
        return { units, next: Number(last.seq), exhausted: false };
      }
      const newest = await pool.query<{ seq: string | null }>('SELECT max(seq) AS seq FROM context_units');
      return { units, next: end, exhausted: end >= Number(newest.rows[0]?.seq ?? 0) };
    },
    countPendingEmbeddings: async (modelId) => {
      const result = await pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM context_units u
         WHERE NOT EXISTS (SELECT 1 FROM context_embeddings e WHERE e.context_id = u.id AND e.model_id = $1)`,
        [modelId],
      );
      return result.rows[0]?.n ?? 0;
    },
    saveEmbeddings: (entries) =>
      writeTx(async (client) => {
        const saved: string[] = [];
        for (const { id, content, embedding } of entries) {
          const row = (await client.query<{ content: string }>(SQL.contentOf, [id])).rows[0];
          if (row?.content === content) {
            await writeEmbedding(client, id, embedding);
            saved.push(id);
          }
        }
        await logChanges(client, saved);
        return saved.length;
      }),
    changesSince: (seq) => changesSince(pool, seq),
    ping: async () => {
      await pool.query('SELECT 1');
    },
    // The pool belongs to the Storage object; Storage.close() ends it.
    close: () => Promise.resolve(),
  };
}

function mapRow(row: ContextRow | undefined): ContextUnit | null {
  return row === undefined ? null : rowToUnit(row);
}

/** Replaces a unit's vectors; `null` only deletes them. */
async function writeEmbedding(db: Queryable, id: string, embedding: UnitEmbedding | null): Promise<void> {
  await db.query('DELETE FROM context_embeddings WHERE context_id = $1', [id]);
  if (embedding === null || embedding.vectors.length === 0) {
    return;
  }
  await db.query(
    `INSERT INTO context_embeddings (context_id, chunk_index, model_id, vector)
     SELECT $1, v.ord - 1, $2, v.vector FROM unnest($3::bytea[]) WITH ORDINALITY AS v (vector, ord)`,
    [id, embedding.modelId, embedding.vectors.map(vectorToBytes)],
  );
}

async function importUnits(
  client: PoolClient,
  items: readonly ImportItem[],
  replaceExisting: boolean,
  logChanges: (db: Queryable, ids: readonly string[]) => Promise<void>,
): Promise<void> {
  if (replaceExisting) {
    const keep = items.map((i) => i.unit.id);
    const removed = await client.query<{ id: string }>(
      'DELETE FROM context_units WHERE id <> ALL($1::text[]) RETURNING id',
      [keep],
    );
    await logChanges(
      client,
      removed.rows.map((r) => r.id),
    );
  }
  for (const item of items) {
    const before = (await client.query<{ content: string }>(SQL.contentOf, [item.unit.id])).rows[0];
    await client.query(SQL.upsert, unitParams(item.unit));
    if (item.embedding !== null) {
      await writeEmbedding(client, item.unit.id, item.embedding);
    } else if (before !== undefined && before.content !== item.unit.content) {
      // Old vectors describe old content: drop them so the indexer embeds the new content.
      await writeEmbedding(client, item.unit.id, null);
    }
    await logChanges(client, [item.unit.id]);
  }
}

async function listUnits(db: Queryable, filter: ContextFilter): Promise<ContextUnit[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  const param = (value: unknown): string => {
    params.push(value);
    return `$${params.length}`;
  };
  if (!filter.includeSuperseded) {
    where.push("status = 'active'");
  }
  if (filter.status !== undefined) {
    where.push(`status = ${param(filter.status)}`);
  }
  if (filter.type !== undefined) {
    where.push(`type = ${param(filter.type)}`);
  }
  if (filter.tags !== undefined && filter.tags.length > 0) {
    // Both sides go through the same lower(), so case folding cannot disagree between the filter and the data.
    where.push(
      `EXISTS (SELECT 1 FROM jsonb_array_elements_text(tags) t (tag)
        WHERE lower(t.tag) IN (SELECT lower(w) FROM unnest(${param(filter.tags)}::text[]) w))`,
    );
  }
  if (filter.search !== undefined && filter.search !== '') {
    // strpos, not LIKE: the needle's % and _ are plain characters.
    const needle = param(filter.search);
    where.push(
      `(strpos(lower(content), lower(${needle})) > 0
        OR EXISTS (SELECT 1 FROM jsonb_array_elements_text(tags) t (tag) WHERE strpos(lower(t.tag), lower(${needle})) > 0))`,
    );
  }
  const sql = `SELECT ${UNIT_COLUMNS} FROM context_units ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY seq LIMIT ${param(filter.limit)} OFFSET ${param(filter.offset)}`;
  return (await db.query<ContextRow>(sql, params)).rows.map(rowToUnit);
}

async function countUnits(db: Queryable, modelId: string): Promise<ContextCounts> {
  // One statement, so every number comes from the same snapshot.
  const result = await db.query<{
    total: number;
    active: number;
    with_embeddings: number;
    by_type: [ContextType, number][];
  }>(
    `SELECT
       (SELECT count(*) FROM context_units)::int AS total,
       (SELECT count(*) FROM context_units WHERE status = 'active')::int AS active,
       (SELECT count(*) FROM context_units u WHERE status = 'active'
          AND EXISTS (SELECT 1 FROM context_embeddings e WHERE e.context_id = u.id AND e.model_id = $1))::int AS with_embeddings,
       (SELECT coalesce(jsonb_agg(jsonb_build_array(type, n) ORDER BY first), '[]'::jsonb)
          FROM (SELECT type, count(*) AS n, min(seq) AS first FROM context_units WHERE status = 'active' GROUP BY type) t) AS by_type`,
    [modelId],
  );
  const row = result.rows[0];
  const byType: ContextCounts['byType'] = {};
  for (const [type, n] of row?.by_type ?? []) {
    byType[type] = n;
  }
  return { total: row?.total ?? 0, active: row?.active ?? 0, byType, withEmbeddings: row?.with_embeddings ?? 0 };
}

async function textSearch(db: Queryable, terms: readonly string[], limit: number): Promise<TextHit[]> {
  if (terms.length === 0 || limit <= 0) {
    return [];
  }
  // One plainto_tsquery per term, ORed with ||. Each term is a bound parameter, so no tsquery syntax can be injected;
  // a term that is only a stop word becomes an empty query and drops out of the OR.
  const query = terms.map((_, i) => `plainto_tsquery('english', $${i + 2})`).join(' || ');
  // ts_rank weights are {D, C, B, A}: content (A) counts twice the tags (B), as in SQLite's bm25(…, 2.0, 1.0).
  // Normalisation 1 divides by 1 + log(document length), the length damping BM25 also applies.
  const result = await db.query<{ id: string; score: number }>(
    `SELECT id, score FROM (
       SELECT u.id, u.seq, ts_rank('{0.1, 0.2, 0.5, 1.0}', u.search_vector, q.query, 1) AS score
       FROM context_units u, (SELECT ${query} AS query) q
       WHERE u.status = 'active' AND u.search_vector @@ q.query
     ) hits
     WHERE score > 0
     ORDER BY score DESC, seq
     LIMIT $1`,
    [limit, ...terms],
  );
  return result.rows.map((r) => ({ id: r.id, score: Number(r.score) }));
}

async function* readEmbeddings(
  db: Queryable,
  modelId: string,
  ids: readonly string[] | undefined,
): AsyncIterable<{ id: string; status: ContextStatus; vectors: Float32Array[] }> {
  const base = `SELECT e.context_id AS id, u.status AS status, e.vector AS vector FROM context_embeddings e
    JOIN context_units u ON u.id = e.context_id WHERE e.model_id = $1`;
  type Row = { id: string; status: ContextStatus; vector: Buffer };
  const result =
    ids === undefined
      ? await db.query<Row>(`${base} ORDER BY e.context_id, e.chunk_index`, [modelId])
      : await db.query<Row>(`${base} AND e.context_id = ANY($2::text[]) ORDER BY e.context_id, e.chunk_index`, [
          modelId,
          ids,
        ]);
  yield* groupChunks(result.rows);
}

async function* readRankingFields(db: Queryable, ids: readonly string[] | undefined): AsyncIterable<RankableUnit> {
  const base = 'SELECT id, type, confidence, tags, status FROM context_units';
  const result =
    ids === undefined
      ? await db.query<RankingRow>(`${base} ORDER BY seq`)
      : await db.query<RankingRow>(`${base} WHERE id = ANY($1::text[]) ORDER BY seq`, [ids]);
  yield* result.rows.map(rowToRankingFields);
}

/** Folds chunk rows (sorted by unit, then chunk) into one entry per unit, chunks in order. */
function groupChunks(
  rows: readonly { id: string; status: ContextStatus; vector: Buffer }[],
): { id: string; status: ContextStatus; vectors: Float32Array[] }[] {
  const groups: { id: string; status: ContextStatus; vectors: Float32Array[] }[] = [];
  for (const row of rows) {
    const last = groups[groups.length - 1];
    if (last?.id === row.id) {
      last.vectors.push(bytesToVector(row.vector));
    } else {
      groups.push({ id: row.id, status: row.status, vectors: [bytesToVector(row.vector)] });
    }
  }
  return groups;
}

async function changesSince(db: Queryable, seq: number): Promise<ChangeBatch> {
  // bigint comes back as a string from the driver.
  const bounds = (
    await db.query<{ first: string | null; last: string | null }>(
      'SELECT min(seq) AS first, max(seq) AS last FROM context_changes',
    )
  ).rows[0];
  const first = toNumber(bounds?.first);
  const last = toNumber(bounds?.last);
  if (last === null || last <= seq) {
    return { lastSeq: Math.max(seq, last ?? 0), ids: [], truncated: false };
  }
  const truncated = first !== null && first > seq + 1 && seq > 0;
  const rows = await db.query<{ id: string }>(
    'SELECT DISTINCT context_id AS id FROM context_changes WHERE seq > $1 AND seq <= $2',
    [seq, last],
  );
  return { lastSeq: last, ids: rows.rows.map((r) => r.id), truncated };
}

function toNumber(value: string | null | undefined): number | null {
  return value === null || value === undefined ? null : Number(value);
}

function createPostgresSettingsStore(pool: pg.Pool): SettingsStore {
  return {
    getAll: async () => {
      const result = await pool.query<{ key: string; value: string }>('SELECT key, value FROM settings');
      return new Map(result.rows.map((r) => [r.key, r.value]));
    },
    get: async (key) =>
      (await pool.query<{ value: string }>('SELECT value FROM settings WHERE key = $1', [key])).rows[0]?.value ?? null,
    set: (entries) =>
      withTransaction(pool, async (client) => {
        for (const [key, value] of Object.entries(entries)) {
          if (value === null) {
            await client.query('DELETE FROM settings WHERE key = $1', [key]);
          } else {
            await client.query(
              'INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
              [key, value],
            );
          }
        }
      }),
  };
}
