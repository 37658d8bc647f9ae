import type Database from 'better-sqlite3';

import { settle } from './settle.js';
import { createStatementCache } from './statements.js';

import { eventFilterColumns, type EventRow, rowToEvent } from '../rows.js';
import type { SecurityEvent, SecurityEventStore } from '../store.js';

export function createSqliteEventStore(db: Database.Database): SecurityEventStore {
  const prepare = createStatementCache(db);
  const insert = db.prepare(
    `INSERT INTO security_events (id, event, outcome, request_id, method, path, client_ip, actor, details, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  // Positional values: writes, failures and (with summaries off) reads add a row per request.
  const insertMany = db.transaction((events: readonly SecurityEvent[]) => {
    for (const e of events) {
      const details = Object.keys(e.details).length === 0 ? '{}' : JSON.stringify(e.details);
      insert.run(e.id, e.event, e.outcome, e.requestId, e.method, e.path, e.clientIp, e.actor, details, e.createdAt);
    }
  });
  return {
    insertMany: (events) => settle(() => insertMany(events)),
    list: (filter) =>
      settle(() => {
        const set = eventFilterColumns(filter);
        const where = set.map(({ column }) => `${column} = ?`);
        const params = set.map(({ value }) => value);
        const rows = prepare(
          `SELECT * FROM security_events ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
             ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?`,
        ).all(...params, filter.limit, filter.offset) as EventRow[];
        return rows.map(rowToEvent);
      }),
    deleteBefore: (createdAt) =>
      settle(() => prepare('DELETE FROM security_events WHERE created_at < ?').run(createdAt).changes),
  };
}
