import type { DatabaseConfig } from '../config.js';
import type { Storage } from './store.js';
import { openSqlite } from './sqlite/sqlite-store.js';

/** Opens the configured back end and brings its schema up to date. */
export async function openStorage(database: DatabaseConfig, options: { pgSchema?: string } = {}): Promise<Storage> {
  switch (database.kind) {
    case 'sqlite':
      return openSqlite(database.path);
    case 'memory':
      return openSqlite(':memory:');
    case 'postgres': {
      // Loaded only when used, so SQLite deployments never load the PostgreSQL driver.
      const { openPostgres } = await import('./postgres/postgres-store.js');
      return openPostgres({ url: database.url, schema: options.pgSchema });
    }
  }
}
