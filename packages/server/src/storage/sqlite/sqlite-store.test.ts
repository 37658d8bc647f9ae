import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';

import { describeStoreContract, digestOf, makeEvent, newKey } from '../store.contract.js';
import { SQLITE_MIGRATIONS } from './migrations.js';
import { FIND_BY_DIGEST_SQL } from './sqlite-api-keys.js';
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

describe('API keys version', () => {
  it('changes with every key and person write on this connection, not with reads, last use or other tables', async () => {
    const storage = openSqlite(join(dir, `${randomUUID()}.db`));
    const { apiKeys, people } = storage;
    const moved = async (write: () => Promise<unknown>): Promise<boolean> => {
      const before = apiKeys.version?.();
      await write();
      return apiKeys.version?.() !== before;
    };
    expect(apiKeys.version?.()).toEqual(expect.any(Number));
    const person = await people.create({ name: 'Ada', createdAt: '2026-01-01T00:00:00.000Z' });
    const key = await apiKeys.create(newKey(person.id, 'k'));
    const next = { digest: digestOf('next'), previousValidUntil: '2026-01-02T00:00:00.000Z' };
    const writes: [string, () => Promise<unknown>][] = [
      ['create person', () => people.create({ name: 'Bob', createdAt: '2026-01-01T00:00:00.000Z' })],
      ['update person', () => people.update(person.id, { disabled: true })],
      ['ensure first', () => people.ensureFirst('Owner', '2026-01-01T00:00:00.000Z')],
      ['create key', () => apiKeys.create(newKey(person.id, 'other'))],
      ['create many', () => apiKeys.createMany([newKey(person.id, 'many')])],
      ['rotate', () => apiKeys.rotate(key.id, next)],
      ['revoke', () => apiKeys.revoke(key.id, '2026-01-03T00:00:00.000Z')],
      ['delete key', () => apiKeys.delete(key.id)],
      ['failed create', () => apiKeys.create(newKey(person.id, 'other')).catch(() => undefined)],
      ['delete person', () => people.delete(person.id)],
    ];
    for (const [what, write] of writes) {
      expect(await moved(write), what).toBe(true);
    }
    const kept = await apiKeys.create(newKey((await people.ensureFirst('x', '2026-01-01T00:00:00.000Z')).id, 'kept'));
    const quiet: [string, () => Promise<unknown>][] = [
      ['find', () => apiKeys.findByDigest(kept.digest)],
      ['get', () => apiKeys.get(kept.id)],
      ['list', () => apiKeys.list()],
      ['count', () => apiKeys.count()],
      ['people', () => people.list()],
      ['touch', () => apiKeys.touchLastUsed(kept.id, '2026-01-05T00:00:00.000Z')],
      ['events', () => storage.events.insertMany([makeEvent()])],
      ['settings', () => storage.settings.set({ theme: 'dark' })],
    ];
    for (const [what, read] of quiet) {
      expect(await moved(read), what).toBe(false);
    }
    const settingsBefore = storage.settings.version?.();
    await apiKeys.revoke(kept.id, '2026-01-06T00:00:00.000Z');
    expect(storage.settings.version?.()).toBe(settingsBefore);
    await storage.close();
  });

  it('changes when another connection to the same file revokes a key, which this one then finds revoked', async () => {
    const path = join(dir, `${randomUUID()}.db`);
    const one = openSqlite(path);
    const other = openSqlite(path);
    const person = await one.people.ensureFirst('Owner', '2026-01-01T00:00:00.000Z');
    const key = await one.apiKeys.create(newKey(person.id, 'shared'));
    const before = one.apiKeys.version?.();
    expect(one.apiKeys.version?.()).toBe(before);
    expect(await other.apiKeys.revoke(key.id, '2026-01-02T00:00:00.000Z')).toBe(true);
    expect(one.apiKeys.version?.()).not.toBe(before);
    expect((await one.apiKeys.findByDigest(key.digest))?.key.revokedAt).toBe('2026-01-02T00:00:00.000Z');
    await one.close();
    await other.close();
  });
});

describe('people and API keys on one file', () => {
  it('finds a key by either digest through the unique indexes, never by scanning the table', () => {
    const db = new Database(':memory:');
    for (const migration of SQLITE_MIGRATIONS) {
      db.exec(migration.sql);
    }
    const plan = (
      db.prepare(`EXPLAIN QUERY PLAN ${FIND_BY_DIGEST_SQL}`).all({ digest: digestOf('x') }) as {
        detail: string;
      }[]
    ).map((row) => row.detail);
    db.close();
    expect(plan.filter((d) => /SEARCH api_keys USING INDEX \S+ \((previous_)?digest=\?\)/.test(d))).toHaveLength(2);
    expect(plan.some((d) => /SCAN api_keys/.test(d))).toBe(false);
  });

  it('lets two connections ensure the first person and end with one', async () => {
    const path = join(dir, `${randomUUID()}.db`);
    const [one, other] = [openSqlite(path), openSqlite(path)];
    const [a, b] = await Promise.all([
      one.people.ensureFirst('from one', '2026-01-01T00:00:00.000Z'),
      other.people.ensureFirst('from other', '2026-01-01T00:00:00.000Z'),
    ]);
    expect(b).toEqual(a);
    expect(await other.people.list()).toEqual([a]);
    await one.close();
    await other.close();
  });
});
