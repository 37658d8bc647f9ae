import type Database from 'better-sqlite3';

/**
 * Prepared statements by SQL text, prepared once per connection. Preparing costs more than running most of our
 * queries, and a statement prepared per call holds native memory until the garbage collector finalizes it. Statements
 * are run to completion in one call (`get`, `all`, `run`): an open `iterate()` would keep the connection busy across
 * awaits, while other requests need it.
 */
export function createStatementCache(db: Database.Database): (sql: string) => Database.Statement {
  const cache = new Map<string, Database.Statement>();
  return (sql) => {
    let statement = cache.get(sql);
    if (statement === undefined) {
      statement = db.prepare(sql);
      cache.set(sql, statement);
    }
    return statement;
  };
}
