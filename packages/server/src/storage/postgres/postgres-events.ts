import type pg from 'pg';

import { eventFilterColumns, type EventRow, rowToEvent } from '../rows.js';
import type { SecurityEventStore } from '../store.js';

const EVENT_COLUMNS = 'id, event, outcome, request_id, method, path, client_ip, actor, details, created_at';

/** The security audit log in PostgreSQL; same behaviour as `sqlite/sqlite-events.ts`. */
export function createPostgresEventStore(pool: pg.Pool): SecurityEventStore {
  return {
    insertMany: async (events) => {
      if (events.length === 0) {
        return;
      }
      // One statement over parallel arrays: atomic without an explicit transaction, and one round trip per batch.
      // WITH ORDINALITY keeps the batch order, so seq (the tie-break of list) follows it.
      await pool.query(
        `INSERT INTO security_events (${EVENT_COLUMNS})
         SELECT e.id, e.event, e.outcome, e.request_id, e.method, e.path, e.client_ip, e.actor, e.details::jsonb, e.created_at
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])
           WITH ORDINALITY AS e (id, event, outcome, request_id, method, path, client_ip, actor, details, created_at, ord)
         ORDER BY e.ord`,
        [
          events.map((e) => e.id),
          events.map((e) => e.event),
          events.map((e) => e.outcome),
          events.map((e) => e.requestId),
          events.map((e) => e.method),
          events.map((e) => e.path),
          events.map((e) => e.clientIp),
          events.map((e) => e.actor),
          events.map((e) => JSON.stringify(e.details)),
          events.map((e) => e.createdAt),
        ],
      );
    },
    list: async (filter) => {
      const set = eventFilterColumns(filter);
      const where = set.map(({ column }, i) => `${column} = $${i + 1}`);
      const params: unknown[] = [...set.map(({ value }) => value), filter.limit, filter.offset];
      const result = await pool.query<EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM security_events ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY created_at DESC, seq DESC LIMIT $${params.length - 1} OFFSET $${params.length}`,
        params,
      );
      return result.rows.map(rowToEvent);
    },
    deleteBefore: async (createdAt) =>
      (await pool.query('DELETE FROM security_events WHERE created_at < $1', [createdAt])).rowCount ?? 0,
  };
}
