import type pg from 'pg';
import type { PoolClient } from 'pg';

import { newId } from '../../ids.js';
import { PERSON_COLUMNS, type PersonRow, rowToPerson } from '../rows.js';
import type { NewPerson, PeopleStore, Person } from '../store.js';

const INSERT = `INSERT INTO people (id, name, created_at, disabled) VALUES ($1, $2, $3, false) RETURNING ${PERSON_COLUMNS}`;

function insertParams(person: NewPerson): unknown[] {
  return [person.id ?? newId(Date.parse(person.createdAt)), person.name, person.createdAt];
}

/** People in PostgreSQL; same behaviour as `sqlite/sqlite-people.ts`. */
export function createPostgresPeopleStore(
  pool: pg.Pool,
  transaction: <T>(fn: (client: PoolClient) => Promise<T>) => Promise<T>,
): PeopleStore {
  return {
    create: async (person) => rowToPerson((await pool.query<PersonRow>(INSERT, insertParams(person))).rows[0]!),
    get: async (id) =>
      mapPerson((await pool.query<PersonRow>(`SELECT ${PERSON_COLUMNS} FROM people WHERE id = $1`, [id])).rows[0]),
    list: async () =>
      (await pool.query<PersonRow>(`SELECT ${PERSON_COLUMNS} FROM people ORDER BY created_at, id`)).rows.map(
        rowToPerson,
      ),
    update: async (id, changes) =>
      mapPerson(
        (
          await pool.query<PersonRow>(
            `UPDATE people SET name = coalesce($2, name), disabled = coalesce($3, disabled) WHERE id = $1
             RETURNING ${PERSON_COLUMNS}`,
            [id, changes.name ?? null, changes.disabled ?? null],
          )
        ).rows[0],
      ),
    delete: async (id) => ((await pool.query('DELETE FROM people WHERE id = $1', [id])).rowCount ?? 0) > 0,
    // A plain INSERT … WHERE NOT EXISTS would let two instances both see an empty table and both insert. The lock,
    // held until commit, makes the second caller wait; its SELECT, a new statement, then sees the committed person.
    ensureFirst: (name, createdAt) =>
      transaction(async (client) => {
        await client.query("SELECT pg_advisory_xact_lock(hashtext('contextpilot:people:' || current_schema()))");
        const oldest = await client.query<PersonRow>(
          `SELECT ${PERSON_COLUMNS} FROM people ORDER BY created_at, id LIMIT 1`,
        );
        const found = oldest.rows[0];
        if (found !== undefined) {
          return rowToPerson(found);
        }
        return rowToPerson((await client.query<PersonRow>(INSERT, insertParams({ name, createdAt }))).rows[0]!);
      }),
  };
}

function mapPerson(row: PersonRow | undefined): Person | null {
  return row === undefined ? null : rowToPerson(row);
}
