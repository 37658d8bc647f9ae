import { randomUUID } from 'node:crypto';

import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';

import { POSTGRES_MIGRATIONS } from '../../src/storage/postgres/migrations.js';
import { FIND_BY_DIGEST_SQL } from '../../src/storage/postgres/postgres-api-keys.js';
import { openPostgres } from '../../src/storage/postgres/postgres-store.js';
import { describeStoreContract, digestOf, newKey } from '../../src/storage/store.contract.js';

// The real local server; unreachable means failing tests, never skipped ones.
const url = process.env.CONTEXTPILOT_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const created: string[] = [];

/** A fresh schema name for one test; dropped by `dropSchemas`. */
function newSchema(): string {
  const schema = `cp_test_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  created.push(schema);
  return schema;
}

async function withClient<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function dropSchemas(): Promise<void> {
  const schemas = created.splice(0);
  if (schemas.length === 0) {
    return;
  }
  await withClient(async (client) => {
    for (const schema of schemas) {
      await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
    }
  });
}

describeStoreContract('postgres', () => openPostgres({ url, schema: newSchema() }), dropSchemas);

describe('openPostgres', () => {
  afterEach(dropSchemas);

  it('reaches the test server', async () => {
    const rows = await withClient(async (client) => (await client.query<{ one: number }>('SELECT 1 AS one')).rows);
    expect(rows).toEqual([{ one: 1 }]);
  });

  it('creates its tables in the given schema and reports kind postgres', async () => {
    const schema = newSchema();
    const storage = await openPostgres({ url, schema });
    await storage.close();
    const tables = await withClient(
      async (client) =>
        (
          await client.query<{ table_name: string }>(
            'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
            [schema],
          )
        ).rows,
    );
    expect(storage.kind).toBe('postgres');
    expect(tables.map((t) => t.table_name)).toEqual([
      'api_keys',
      'context_changes',
      'context_embeddings',
      'context_units',
      'conversations',
      'messages',
      'people',
      'schema_migrations',
      'security_events',
      'settings',
      'used_signatures',
    ]);
  });

  it('lets two instances started together on one schema both migrate it once', async () => {
    const schema = newSchema();
    const [a, b] = await Promise.all([openPostgres({ url, schema }), openPostgres({ url, schema })]);
    try {
      await a.settings.set({ shared: 'from a' });
      expect(await b.settings.get('shared')).toBe('from a');
      const versions = await withClient(
        async (client) =>
          (
            await client.query<{ version: number }>(
              `SELECT version FROM ${pg.escapeIdentifier(schema)}.schema_migrations ORDER BY version`,
            )
          ).rows,
      );
      expect(versions.map((v) => v.version)).toEqual(POSTGRES_MIGRATIONS.map((m) => m.version));
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('shows one instance the changes another one wrote', async () => {
    const schema = newSchema();
    const [a, b] = await Promise.all([openPostgres({ url, schema }), openPostgres({ url, schema })]);
    try {
      const id = randomUUID();
      await a.contexts.insert(
        {
          id,
          type: 'fact',
          content: 'written by a',
          confidence: 1,
          createdAt: '2026-01-01T00:00:00.000Z',
          lastUsed: null,
          source: 'manual',
          tags: [],
          status: 'active',
          supersededBy: null,
        },
        null,
      );
      expect((await b.contexts.changesSince(0)).ids).toEqual([id]);
      expect((await b.contexts.get(id))?.content).toBe('written by a');
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('keeps data across reopening without re-applying migrations', async () => {
    const schema = newSchema();
    const first = await openPostgres({ url, schema });
    await first.settings.set({ kept: 'yes' });
    await first.close();
    const second = await openPostgres({ url, schema });
    try {
      expect(await second.settings.get('kept')).toBe('yes');
    } finally {
      await second.close();
    }
  });

  it('rejects a schema name that is not a plain identifier', async () => {
    await expect(openPostgres({ url, schema: 'bad"; DROP SCHEMA public; --' })).rejects.toThrow(/schema name/);
  });

  it('refuses to migrate when the URL options select another schema', async () => {
    const withOptions = `${url}${url.includes('?') ? '&' : '?'}options=${encodeURIComponent('-c search_path=public')}`;
    await expect(openPostgres({ url: withOptions, schema: newSchema() })).rejects.toThrow(/search_path/);
  });

  it('rejects when the server cannot be reached', async () => {
    await expect(openPostgres({ url: 'postgres://postgres@127.0.0.1:1/test', schema: newSchema() })).rejects.toThrow();
  });
});

describe('people and API keys on one PostgreSQL schema', () => {
  afterEach(dropSchemas);

  it('lets two instances started together ensure the first person and end with exactly one', async () => {
    const schema = newSchema();
    const [a, b] = await Promise.all([openPostgres({ url, schema }), openPostgres({ url, schema })]);
    try {
      for (let round = 0; round < 5; round++) {
        const found = await Promise.all([
          a.people.ensureFirst('from a', '2026-01-01T00:00:00.000Z'),
          b.people.ensureFirst('from b', '2026-01-01T00:00:00.000Z'),
          a.people.ensureFirst('from a again', '2026-01-01T00:00:00.000Z'),
          b.people.ensureFirst('from b again', '2026-01-01T00:00:00.000Z'),
        ]);
        const people = await a.people.list();
        expect(people, `round ${round}`).toHaveLength(1);
        expect(found).toEqual([people[0], people[0], people[0], people[0]]);
        expect(await a.people.delete(people[0]!.id)).toBe(true);
      }
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('shows one instance at once the keys another one created, rotated and revoked (no version to cache by)', async () => {
    const schema = newSchema();
    const [a, b] = await Promise.all([openPostgres({ url, schema }), openPostgres({ url, schema })]);
    try {
      expect('version' in b.apiKeys).toBe(false);
      const person = await a.people.ensureFirst('Owner', '2026-01-01T00:00:00.000Z');
      const key = await a.apiKeys.create(newKey(person.id, 'shared'));
      expect(await b.apiKeys.findByDigest(key.digest)).toEqual({ key, matched: 'current' });
      const rotated = await a.apiKeys.rotate(key.id, {
        digest: digestOf('shared next'),
        previousValidUntil: '2026-01-02T00:00:00.000Z',
      });
      expect(await b.apiKeys.findByDigest(key.digest)).toEqual({ key: rotated, matched: 'previous' });
      expect(await a.apiKeys.revoke(key.id, '2026-01-03T00:00:00.000Z')).toBe(true);
      expect((await b.apiKeys.findByDigest(digestOf('shared next')))?.key.revokedAt).toBe('2026-01-03T00:00:00.000Z');
      expect(await a.people.delete(person.id)).toBe(true);
      expect(await b.apiKeys.findByDigest(digestOf('shared next'))).toBeNull();
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('finds a key by either digest through the unique indexes, never by scanning the table', async () => {
    const schema = newSchema();
    const storage = await openPostgres({ url, schema });
    try {
      const person = await storage.people.ensureFirst('Owner', '2026-01-01T00:00:00.000Z');
      await storage.apiKeys.createMany(
        Array.from({ length: 2_000 }, (_, i) => ({ ...newKey(person.id, `k${i}`), digest: digestOf(`plan ${i}`) })),
      );
      const plan = await withClient(async (client) => {
        await client.query(`SET search_path = ${pg.escapeIdentifier(schema)}`);
        await client.query('ANALYZE api_keys');
        const explained = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${FIND_BY_DIGEST_SQL}`, [
          digestOf('plan 7'),
        ]);
        return explained.rows.map((r) => r['QUERY PLAN']).join('\n');
      });
      expect(plan).toMatch(/Index Scan using api_keys_digest_key on api_keys/);
      expect(plan).toMatch(/Index Scan using api_keys_previous_digest on api_keys/);
      expect(plan).not.toMatch(/Seq Scan/);
    } finally {
      await storage.close();
    }
  });

  it('reports an unreachable database as 503 from the people and key stores', async () => {
    const storage = await openPostgres({ url, schema: newSchema() });
    await storage.close();
    const unavailable = { statusCode: 503, errorCode: 'SERVICE_UNAVAILABLE' };
    await expect(storage.people.list()).rejects.toMatchObject(unavailable);
    await expect(storage.apiKeys.findByDigest(digestOf('any'))).rejects.toMatchObject(unavailable);
  });
});
