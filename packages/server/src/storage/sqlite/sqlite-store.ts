import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

import Database from 'better-sqlite3';

import type { RankableUnit } from '../../domain/ranking.js';
import type { ContextUnit } from '../../domain/types.js';
import { fts5Query } from '../../domain/text-query.js';
import {
  CHANGE_LOG_KEEP,
  PENDING_SCAN_WINDOW,
  rowToRankingFields,
  rowToUnit,
  type ContextRow,
  type RankingRow,
} from '../rows.js';
import { isSqliteOutage, withOutageErrors } from '../outage.js';
import type {
  ChangeBatch,
  ContextCounts,
  ContextFilter,
  ContextStore,
  EmbeddedContent,
  ImportItem,
  SettingsStore,
  Storage,
  TextHit,
  UnitEmbedding,
} from '../store.js';
import { bytesToVector, vectorToBytes } from '../vectors.js';
import { createSqliteApiKeyStore } from './sqlite-api-keys.js';
import { createChangeVersion } from './change-version.js';
import { createSqliteConversationStore } from './sqlite-conversations.js';
import { createSqliteEventStore } from './sqlite-events.js';
import { createSqlitePeopleStore } from './sqlite-people.js';
import { createSqliteSignatureStore } from './sqlite-signatures.js';
import { SQLITE_MIGRATIONS } from './migrations.js';
import { settle } from './settle.js';
import { createStatementCache } from './statements.js';

type Db = Database.Database;
type Prepare = (sql: string) => Database.Statement;

/** Opens (creating when needed) a SQLite database and applies pending migrations. `:memory:` is ephemeral. */
export function openSqlite(path: string): Storage {
  if (path !== ':memory:') {
    mkdirSync(dirname(path), { recursive: true });
  }
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  // Unicode-aware lower(): SQLite's built-in one folds ASCII only.
  db.function('cp_lower', { deterministic: true }, (s: unknown) => (typeof s === 'string' ? s.toLowerCase() : s));
  migrate(db);
  // One marker for keys and people: a cache of keys by digest also holds whether their owner is enabled.
  const keyChanges = createChangeVersion(db);
  return withOutageErrors(
    {
      kind: path === ':memory:' ? 'memory' : 'sqlite',
      contexts: createSqliteContextStore(db),
      settings: createSqliteSettingsStore(db),
      events: createSqliteEventStore(db),
      conversations: createSqliteConversationStore(db),
      signatures: createSqliteSignatureStore(db),
      people: createSqlitePeopleStore(db, keyChanges),
      apiKeys: createSqliteApiKeyStore(db, keyChanges),
      close: () => {
        db.close();
        return Promise.resolve();
      },
    },
    isSqliteOutage,
  );
}

function migrate(db: Db): void {
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)',
  );
  const applied = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version),
  );
  for (const migration of SQLITE_MIGRATIONS) {
    if (applied.has(migration.version)) {
      continue;
    }
    db.transaction(() => {
      db.exec(migration.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        migration.version,
        migration.name,
        new Date().toISOString(),
      );
    })();
  }
}

const UNIT_COLUMNS = 'id, type, content, confidence, created_at, last_used, source, tags, status, superseded_by';

function createSqliteContextStore(db: Db): ContextStore {
  const prepare = createStatementCache(db);
  const stmt = {
    get: db.prepare(`SELECT ${UNIT_COLUMNS} FROM context_units WHERE id = ?`),
    insert: db.prepare(
      `INSERT INTO context_units (${UNIT_COLUMNS}) VALUES (@id, @type, @content, @confidence, @created_at, @last_used, @source, @tags, @status, @superseded_by)`,
    ),
    upsert: db.prepare(
      `INSERT INTO context_units (${UNIT_COLUMNS}) VALUES (@id, @type, @content, @confidence, @created_at, @last_used, @source, @tags, @status, @superseded_by)
       ON CONFLICT (id) DO UPDATE SET type = excluded.type, content = excluded.content, confidence = excluded.confidence,
         created_at = excluded.created_at, last_used = excluded.last_used, source = excluded.source, tags = excluded.tags,
         status = excluded.status, superseded_by = excluded.superseded_by`,
    ),
    update: db.prepare(
      `UPDATE context_units SET type = @type, content = @content, confidence = @confidence, created_at = @created_at,
         last_used = @last_used, source = @source, tags = @tags, status = @status, superseded_by = @superseded_by WHERE id = @id`,
    ),
    delete: db.prepare('DELETE FROM context_units WHERE id = ?'),
    deleteEmbedding: db.prepare('DELETE FROM context_embeddings WHERE context_id = ?'),
    insertChunk: db.prepare(
      'INSERT INTO context_embeddings (context_id, chunk_index, model_id, vector) VALUES (?, ?, ?, ?)',
    ),
    logChange: db.prepare('INSERT INTO context_changes (context_id) VALUES (?)'),
    touch: db.prepare('UPDATE context_units SET last_used = ? WHERE id = ?'),
    contentOf: db.prepare('SELECT content FROM context_units WHERE id = ?'),
    linkedTo: db.prepare('SELECT id FROM context_units WHERE superseded_by = ?'),
    unlink: db.prepare('UPDATE context_units SET superseded_by = NULL WHERE id = ?'),
    supersede: db.prepare(
      "UPDATE context_units SET status = 'superseded', superseded_by = ? WHERE id = ? AND status = 'active'",
    ),
    // A range scan over one window: an indexing run never rescans the units it has already handled.
    pending: db.prepare(
      `SELECT seq, ${UNIT_COLUMNS} FROM context_units u WHERE seq > ? AND seq <= ?
       AND NOT EXISTS (SELECT 1 FROM context_embeddings e WHERE e.context_id = u.id AND e.model_id = ?)
       ORDER BY seq LIMIT ?`,
    ),
    newestSeq: db.prepare('SELECT max(seq) AS seq FROM context_units'),
  };

  const toParams = (u: ContextUnit) => ({
    id: u.id,
    type: u.type,
    content: u.content,
    confidence: u.confidence,
    created_at: u.createdAt,
    last_used: u.lastUsed,
    source: u.source,
    tags: JSON.stringify(u.tags),
    status: u.status,
    superseded_by: u.supersededBy,
  });

  const writeEmbedding = (id: string, embedding: UnitEmbedding | null) => {
    stmt.deleteEmbedding.run(id);
    embedding?.vectors.forEach((v, i) => stmt.insertChunk.run(id, i, embedding.modelId, vectorToBytes(v)));
  };

  let writes = 0;
  const logChange = (id: string) => {
    const info = stmt.logChange.run(id);
    if (++writes % 1000 === 0) {
      prepare('DELETE FROM context_changes WHERE seq <= ?').run(Number(info.lastInsertRowid) - CHANGE_LOG_KEEP);
    }
  };

  const insertTx = db.transaction((unit: ContextUnit, embedding: UnitEmbedding | null) => {
    stmt.insert.run(toParams(unit));
    writeEmbedding(unit.id, embedding);
    logChange(unit.id);
  });
  const updateTx = db.transaction((unit: ContextUnit, embedding: UnitEmbedding | null | undefined) => {
    stmt.update.run(toParams(unit));
    if (embedding !== undefined) {
      writeEmbedding(unit.id, embedding);
    }
    logChange(unit.id);
  });
  const deleteTx = db.transaction((id: string): boolean => {
    const removed = stmt.delete.run(id).changes > 0;
    if (removed) {
      logChange(id);
      // Units it superseded stay superseded, but no longer point at a unit that is gone.
      for (const { id: linked } of stmt.linkedTo.all(id) as { id: string }[]) {
        stmt.unlink.run(linked);
        logChange(linked);
      }
    }
    return removed;
  });
  const supersedeTx = db.transaction((oldId: string, replacement: ContextUnit, embedding: UnitEmbedding | null) => {
    // Inserted first: the old unit's link must point at a unit that exists.
    stmt.insert.run(toParams(replacement));
    if (stmt.supersede.run(replacement.id, oldId).changes === 0) {
      // Rolls the insert back: the old unit is gone or no longer active.
      throw new NotSuperseded();
    }
    writeEmbedding(replacement.id, embedding);
    logChange(replacement.id);
    logChange(oldId);
  });
  const importTx = db.transaction((items: readonly ImportItem[], replaceExisting: boolean) => {
    if (replaceExisting) {
      const keep = new Set(items.map((i) => i.unit.id));
      for (const { id } of prepare('SELECT id FROM context_units').all() as { id: string }[]) {
        if (!keep.has(id)) {
          stmt.delete.run(id);
          logChange(id);
        }
      }
    }
    for (const item of items) {
      const before = stmt.contentOf.get(item.unit.id) as { content: string } | undefined;
      stmt.upsert.run(toParams(item.unit));
      if (item.embedding !== null) {
        writeEmbedding(item.unit.id, item.embedding);
      } else if (before !== undefined && before.content !== item.unit.content) {
        writeEmbedding(item.unit.id, null);
      }
      logChange(item.unit.id);
    }
  });
  const touchTx = db.transaction((ids: readonly string[], at: string) => {
    for (const id of ids) {
      stmt.touch.run(at, id);
    }
  });
  const saveEmbeddingsTx = db.transaction((entries: readonly EmbeddedContent[]): number => {
    let saved = 0;
    for (const { id, content, embedding } of entries) {
      const row = stmt.contentOf.get(id) as { content: string } | undefined;
      if (row?.content === content) {
        writeEmbedding(id, embedding);
        logChange(id);
        saved++;
      }
    }
    return saved;
  });

  return {
    get: (id) => settle(() => mapRow(stmt.get.get(id) as ContextRow | undefined)),
    getMany: (ids) => {
      if (ids.length === 0) {
        return Promise.resolve([]);
      }
      const rows = prepare(
        `SELECT ${UNIT_COLUMNS} FROM context_units WHERE id IN (SELECT value FROM json_each(?))`,
      ).all(JSON.stringify(ids)) as ContextRow[];
      return Promise.resolve(rows.map(rowToUnit));
    },
    list: (filter) => settle(() => listUnits(prepare, filter)),
    listAll: () =>
      settle(() =>
        (prepare(`SELECT ${UNIT_COLUMNS} FROM context_units ORDER BY seq`).all() as ContextRow[]).map(rowToUnit),
      ),
    insert: (unit, embedding) => settle(() => insertTx(unit, embedding)),
    update: (unit, embedding) => settle(() => updateTx(unit, embedding)),
    delete: (id) => settle(() => deleteTx(id)),
    supersede: (oldId, replacement, embedding) =>
      settle(() => {
        try {
          supersedeTx(oldId, replacement, embedding);
          return true;
        } catch (error) {
          if (error instanceof NotSuperseded) {
            return false;
          }
          throw error;
        }
      }),
    importUnits: (items, { replaceExisting }) => settle(() => importTx(items, replaceExisting)),
    touchLastUsed: (ids, at) => settle(() => touchTx(ids, at)),
    counts: (modelId) => settle(() => countUnits(prepare, modelId)),
    successors: (ids) =>
      settle(() => {
        const rows = prepare(
          `SELECT u.id AS predecessor,
               (SELECT n.id FROM context_units n WHERE n.source = u.source AND n.seq > u.seq ORDER BY n.seq LIMIT 1) AS next
             FROM context_units u WHERE u.id IN (SELECT value FROM json_each(?)) AND u.source <> 'manual'`,
        ).all(JSON.stringify(ids)) as { predecessor: string; next: string | null }[];
        return new Map(rows.filter((r) => r.next !== null).map((r) => [r.next as string, r.predecessor]));
      }),
    textSearch: (terms, limit) => settle(() => textSearch(prepare, terms, limit)),
    readEmbeddings: (modelId, ids) => readEmbeddings(prepare, modelId, ids),
    readRankingFields: (ids) => readRankingFields(prepare, ids),
    pendingEmbeddings: (modelId, limit, after = 0) =>
      settle(() => {
        const end = after + PENDING_SCAN_WINDOW;
        const rows = stmt.pending.all(after, end, modelId, limit) as (ContextRow & { seq: number })[];
        const last = rows.at(-1);
        if (last !== undefined && rows.length >= limit) {
          return { units: rows.map(rowToUnit), next: last.seq, exhausted: false };
        }
        const newest = (stmt.newestSeq.get() as { seq: number | null }).seq ?? 0;
        return { units: rows.map(rowToUnit), next: end, exhausted: end >= newest };
      }),
    // Units minus units with vectors of this model: two index scans instead of a probe per unit (cheap enough for
    // /health at 100k units). Vectors always belong to an existing unit (ON DELETE CASCADE).
    countPendingEmbeddings: (modelId) =>
      settle(() => {
        const row = prepare(
          `SELECT (SELECT count(*) FROM context_units)
               - (SELECT count(*) FROM (SELECT DISTINCT context_id FROM context_embeddings WHERE model_id = ?)) AS n`,
        ).get(modelId) as { n: number };
        return row.n;
      }),
    saveEmbeddings: (entries) => settle(() => saveEmbeddingsTx(entries)),
    changesSince: (seq) => settle(() => changesSince(prepare, seq)),
    ping: () => {
      prepare('SELECT 1').get();
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
}

/** Thrown inside the supersede transaction to roll it back when the old unit cannot be superseded. */
class NotSuperseded extends Error {}

function mapRow(row: ContextRow | undefined): ContextUnit | null {
  return row === undefined ? null : rowToUnit(row);
}

function listUnits(prepare: Prepare, filter: ContextFilter): ContextUnit[] {
  const where: string[] = [];
  const params: unknown[] = [];
  // Nearly every unit is active: reading in `seq` order and stopping after `limit` beats the status index, with which
  // SQLite sorted every active unit to return the first page (5 ms and a 16 MB sort buffer per request at 100k
  // units). `+status` keeps the index out; it still serves a filter on the few superseded units.
  if (!filter.includeSuperseded) {
    where.push("+status = 'active'");
  }
  if (filter.status !== undefined) {
    where.push(filter.status === 'superseded' ? 'status = ?' : '+status = ?');
    params.push(filter.status);
  }
  if (filter.type !== undefined) {
    where.push('type = ?');
    params.push(filter.type);
  }
  if (filter.tags !== undefined && filter.tags.length > 0) {
    where.push('EXISTS (SELECT 1 FROM json_each(tags) t WHERE cp_lower(t.value) IN (SELECT value FROM json_each(?)))');
    params.push(JSON.stringify(filter.tags.map((t) => t.toLowerCase())));
  }
  if (filter.search !== undefined && filter.search !== '') {
    where.push(
      '(instr(cp_lower(content), ?) > 0 OR EXISTS (SELECT 1 FROM json_each(tags) t WHERE instr(cp_lower(t.value), ?) > 0))',
    );
    const needle = filter.search.toLowerCase();
    params.push(needle, needle);
  }
  const sql = `SELECT ${UNIT_COLUMNS} FROM context_units ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY seq LIMIT ? OFFSET ?`;
  params.push(filter.limit, filter.offset);
  return (prepare(sql).all(...params) as ContextRow[]).map(rowToUnit);
}

function countUnits(prepare: Prepare, modelId: string): ContextCounts {
  const totals = prepare(
    "SELECT (SELECT count(*) FROM context_units) AS total, (SELECT count(*) FROM context_units WHERE status = 'active') AS active",
  ).get() as { total: number; active: number };
  const byTypeRows = prepare(
    "SELECT type, count(*) AS n, min(seq) AS first FROM context_units WHERE status = 'active' GROUP BY type ORDER BY first",
  ).all() as { type: ContextUnit['type']; n: number }[];
  // Units with vectors (one index scan) minus the superseded ones among them (few, found through the status index):
  // probing the vectors of every active unit took over 100 ms at 100k units.
  const withEmbeddings = prepare(
    `SELECT (SELECT count(*) FROM (SELECT DISTINCT context_id FROM context_embeddings WHERE model_id = ?))
       - (SELECT count(*) FROM context_units u WHERE status = 'superseded'
            AND EXISTS (SELECT 1 FROM context_embeddings e WHERE e.context_id = u.id AND e.model_id = ?)) AS n`,
  ).get(modelId, modelId) as { n: number };
  const byType: ContextCounts['byType'] = {};
  for (const row of byTypeRows) {
    byType[row.type] = row.n;
  }
  return { total: totals.total, active: totals.active, byType, withEmbeddings: withEmbeddings.n };
}

function textSearch(prepare: Prepare, terms: readonly string[], limit: number): TextHit[] {
  if (terms.length === 0 || limit <= 0) {
    return [];
  }
  // The index holds active units only (migration 2), so the best rows are picked from it alone and only those are
  // joined to their units. bm25() is negative (lower is better); the content column weighs twice the tags column.
  const rows = prepare(
    `SELECT u.id AS id, hits.score AS score FROM (
         SELECT rowid, -bm25(context_fts, 2.0, 1.0) AS score FROM context_fts
         WHERE context_fts MATCH ? ORDER BY score DESC LIMIT ?
       ) hits JOIN context_units u ON u.seq = hits.rowid
       ORDER BY hits.score DESC, u.seq`,
  ).all(fts5Query(terms), limit) as TextHit[];
  return rows.filter((r) => r.score > 0);
}

/**
 * Rows read per query by the readers below. They read page by page with `all()` rather than through one open
 * iterator: the connection cannot run any other statement while an iterator is open, and a consumer awaits between
 * rows (other requests then use the connection).
 */
const READ_PAGE = 1_000;

type VectorRow = { id: string; status: ContextUnit['status']; chunk: number; vector: Buffer };

async function* readEmbeddings(
  prepare: Prepare,
  modelId: string,
  ids: readonly string[] | undefined,
): AsyncIterable<{ id: string; status: ContextUnit['status']; vectors: Float32Array[] }> {
  const columns = `SELECT e.context_id AS id, u.status AS status, e.chunk_index AS chunk, e.vector AS vector
    FROM context_embeddings e JOIN context_units u ON u.id = e.context_id WHERE e.model_id = ?`;
  const pages =
    ids === undefined
      ? pagesAfter<VectorRow>((last) =>
          last === undefined
            ? prepare(`${columns} ORDER BY e.context_id, e.chunk_index LIMIT ${READ_PAGE}`).all(modelId)
            : prepare(
                `${columns} AND (e.context_id, e.chunk_index) > (?, ?) ORDER BY e.context_id, e.chunk_index LIMIT ${READ_PAGE}`,
              ).all(modelId, last.id, last.chunk),
        )
      : [
          prepare(
            `${columns} AND e.context_id IN (SELECT value FROM json_each(?)) ORDER BY e.context_id, e.chunk_index`,
          ).all(modelId, JSON.stringify(ids)) as VectorRow[],
        ];
  // A unit's chunks are consecutive (and may straddle two pages): it is yielded once its last chunk has been read.
  let group: { id: string; status: ContextUnit['status']; vectors: Float32Array[] } | undefined;
  for await (const page of pages) {
    for (const row of page) {
      if (group?.id === row.id) {
        group.vectors.push(bytesToVector(row.vector));
        continue;
      }
      if (group !== undefined) {
        yield group;
      }
      group = { id: row.id, status: row.status, vectors: [bytesToVector(row.vector)] };
    }
  }
  if (group !== undefined) {
    yield group;
  }
}

async function* readRankingFields(prepare: Prepare, ids: readonly string[] | undefined): AsyncIterable<RankableUnit> {
  const columns = 'SELECT seq, id, type, confidence, tags, status FROM context_units';
  const pages =
    ids === undefined
      ? pagesAfter<RankingRow & { seq: number }>((last) =>
          prepare(`${columns} WHERE seq > ? ORDER BY seq LIMIT ${READ_PAGE}`).all(last?.seq ?? 0),
        )
      : [
          prepare(`${columns} WHERE id IN (SELECT value FROM json_each(?)) ORDER BY seq`).all(
            JSON.stringify(ids),
          ) as (RankingRow & { seq: number })[],
        ];
  for await (const page of pages) {
    for (const row of page) {
      yield rowToRankingFields(row);
    }
  }
}

/** Pages of a keyset-paginated query: each read continues after the last row of the previous page. */
// The driver is synchronous; the generator is async only to fit the store interface shared with PostgreSQL.
// eslint-disable-next-line @typescript-eslint/require-await
async function* pagesAfter<Row>(read: (last: Row | undefined) => unknown[]): AsyncIterable<Row[]> {
  let last: Row | undefined;
  for (;;) {
    const page = read(last) as Row[];
    if (page.length > 0) {
      yield page;
    }
    if (page.length < READ_PAGE) {
      return;
    }
    last = page[page.length - 1];
  }
}

function changesSince(prepare: Prepare, seq: number): ChangeBatch {
  // Two subqueries: SQLite answers a lone min() or max() from the end of the index, but not both in one SELECT.
  const oldest = prepare(
    'SELECT (SELECT min(seq) FROM context_changes) AS first, (SELECT max(seq) FROM context_changes) AS last',
  ).get() as {
    first: number | null;
    last: number | null;
  };
  if (oldest.last === null || oldest.last <= seq) {
    return { lastSeq: Math.max(seq, oldest.last ?? 0), ids: [], truncated: false };
  }
  const truncated = oldest.first !== null && oldest.first > seq + 1 && seq > 0;
  const rows = prepare('SELECT DISTINCT context_id AS id FROM context_changes WHERE seq > ? AND seq <= ?').all(
    seq,
    oldest.last,
  ) as {
    id: string;
  }[];
  return { lastSeq: oldest.last, ids: rows.map((r) => r.id), truncated };
}

function createSqliteSettingsStore(db: Db): SettingsStore {
  const upsert = db.prepare(
    'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  );
  const remove = db.prepare('DELETE FROM settings WHERE key = ?');
  // Prepared once: the API-key check reads a setting whenever the settings have changed.
  const selectAll = db.prepare('SELECT key, value FROM settings');
  const selectOne = db.prepare('SELECT value FROM settings WHERE key = ?');
  const changes = createChangeVersion(db);
  const setTx = db.transaction((entries: Record<string, string | null>) => {
    for (const [key, value] of Object.entries(entries)) {
      if (value === null) {
        remove.run(key);
      } else {
        upsert.run(key, value);
      }
    }
  });
  return {
    getAll: () =>
      settle(() => new Map((selectAll.all() as { key: string; value: string }[]).map((r) => [r.key, r.value]))),
    get: (key) => settle(() => (selectOne.get(key) as { value: string } | undefined)?.value ?? null),
    set: (entries) =>
      settle(() => {
        try {
          setTx(entries);
        } finally {
          changes.bump();
        }
      }),
    version: () => changes.current(),
  };
}
