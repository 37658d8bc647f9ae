import type Database from 'better-sqlite3';

import { newId } from '../../ids.js';
import { PERSON_COLUMNS, type PersonRow, rowToPerson } from '../rows.js';
import type { NewPerson, PeopleStore, Person } from '../store.js';
import type { ChangeVersion } from './change-version.js';
import { settle } from './settle.js';

/** People in SQLite (see `PeopleStore`). Every write moves `changes`, the API keys' version. */
export function createSqlitePeopleStore(db: Database.Database, changes: ChangeVersion): PeopleStore {
  const insert = db.prepare(
    `INSERT INTO people (id, name, created_at, disabled) VALUES (?, ?, ?, 0) RETURNING ${PERSON_COLUMNS}`,
  );
  const get = db.prepare(`SELECT ${PERSON_COLUMNS} FROM people WHERE id = ?`);
  const list = db.prepare(`SELECT ${PERSON_COLUMNS} FROM people ORDER BY created_at, id`);
  const oldest = db.prepare(`SELECT ${PERSON_COLUMNS} FROM people ORDER BY created_at, id LIMIT 1`);
  const update = db.prepare(
    `UPDATE people SET name = coalesce(?, name), disabled = coalesce(?, disabled) WHERE id = ? RETURNING ${PERSON_COLUMNS}`,
  );
  const remove = db.prepare('DELETE FROM people WHERE id = ?');

  const create = (person: NewPerson): Person =>
    rowToPerson(
      insert.get(person.id ?? newId(Date.parse(person.createdAt)), person.name, person.createdAt) as PersonRow,
    );
  // IMMEDIATE: the write lock is taken before the read, so another connection (another instance on the same file)
  // cannot insert between this one finding no person and inserting one.
  const ensureFirst = db.transaction((name: string, createdAt: string): Person => {
    const found = oldest.get() as PersonRow | undefined;
    return found === undefined ? create({ name, createdAt }) : rowToPerson(found);
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
    create: (person) => write(() => create(person)),
    get: (id) => settle(() => mapPerson(get.get(id) as PersonRow | undefined)),
    list: () => settle(() => (list.all() as PersonRow[]).map(rowToPerson)),
    update: (id, changed) =>
      write(() => {
        const disabled = changed.disabled === undefined ? null : changed.disabled ? 1 : 0;
        return mapPerson(update.get(changed.name ?? null, disabled, id) as PersonRow | undefined);
      }),
    delete: (id) => write(() => remove.run(id).changes > 0),
    ensureFirst: (name, createdAt) => write(() => ensureFirst.immediate(name, createdAt)),
  };
}

function mapPerson(row: PersonRow | undefined): Person | null {
  return row === undefined ? null : rowToPerson(row);
}
