import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { describeStoreContract } from '../store.contract.js';
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
