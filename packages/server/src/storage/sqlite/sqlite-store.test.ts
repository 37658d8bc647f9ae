import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';

import { describeStoreContract, makeEvent } from '../store.contract.js';
import { SQLITE_MIGRATIONS } from './migrations.js';
import { openSqlite } from './sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'contextpilot-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A new database file per test, so every test starts from an empty store.
describeStoreContract('sqlite', () => Promise.resolve(openSqlite(join(dir, `${randomUUID()}.db`))));
describeStoreContract('memory', () => Promise.resolve(openSqlite(':memory:')));

describe('openSqlite', () => {
  it('reports its kind', async () => {
    const file = openSqlite(join(dir, `${randomUUID()}.db`));
    const memory = openSqlite(':memory:');
    expect([file.kind, memory.kind]).toEqual(['sqlite', 'memory']);
    await file.close();
    await memory.close();
  });

  it('keeps data across reopening the same file without re-applying migrations', async () => {
    const path = join(dir, 'nested', `${randomUUID()}.db`);
    const first = openSqlite(path);
    await first.settings.set({ kept: 'yes' });
    await first.close();
    const second = openSqlite(path);
    expect(await second.settings.get('kept')).toBe('yes');
    await second.close();
  });
});

describe('migration 2: full-text index of active units only', () => {
  it('drops superseded units from an index built by the first schema and keeps active ones', async () => {
    const path = join(dir, `${randomUUID()}.db`);
    const legacy = new Database(path);
    const first = SQLITE_MIGRATIONS[0]!;
    legacy.exec(first.sql);
    legacy.exec(
      'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)',
    );
    legacy.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(first.version, first.name, 'then');
    const insert = legacy.prepare(
      "INSERT INTO context_units (id, type, content, created_at, status) VALUES (?, 'fact', ?, 'then', ?)",
    );
    insert.run('active-1', 'glacier hiking plan', 'active');
    insert.run('old-1', 'glacier hiking plan, first draft', 'superseded');
    expect(legacy.prepare("SELECT count(*) AS n FROM context_fts WHERE context_fts MATCH 'glacier'").get()).toEqual({
      n: 2,
    });
    legacy.close();

    const storage = openSqlite(path);
    expect((await storage.contexts.textSearch(['glacier'], 10)).map((h) => h.id)).toEqual(['active-1']);
    const old = (await storage.contexts.get('old-1'))!;
    await storage.contexts.update({ ...old, status: 'active' });
    expect((await storage.contexts.textSearch(['draft'], 10)).map((h) => h.id)).toEqual(['old-1']);
    await storage.close();
  });
});

describe('settings version', () => {
  it('changes with every settings write on this connection, and not with reads or other tables', async () => {
    const storage = openSqlite(join(dir, `${randomUUID()}.db`));
    const { settings } = storage;
    const v0 = settings.version?.();
    expect(v0).toEqual(expect.any(Number));
    await settings.get('missing');
    await storage.events.insertMany([makeEvent()]);
    expect(settings.version?.()).toBe(v0);
    await settings.set({ theme: 'dark' });
    const v1 = settings.version?.();
    expect(v1).not.toBe(v0);
    await settings.set({ theme: null });
    expect(settings.version?.()).not.toBe(v1);
    await storage.close();
  });

  it('changes when another connection to the same file writes a setting', async () => {
    const path = join(dir, `${randomUUID()}.db`);
    const one = openSqlite(path);
    const other = openSqlite(path);
    const before = one.settings.version?.();
    await other.settings.set({ api_key_hash: 'a'.repeat(64) });
    expect(one.settings.version?.()).not.toBe(before);
    expect(await one.settings.get('api_key_hash')).toBe('a'.repeat(64));
    await one.close();
    await other.close();
  });
});
