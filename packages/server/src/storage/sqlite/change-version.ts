import type Database from 'better-sqlite3';

/** A number that moves whenever some tables may have changed; see `createChangeVersion`. */
export interface ChangeVersion {
  /** The current number; reads one pragma, no table. */
  current(): number;
  /** Counts a write by this connection to the tables it watches (call it even when the write failed). */
  bump(): void;
}

/**
 * A change marker for caches of some tables, across every connection to one database file. Commits by other
 * connections (another instance) change SQLite's `data_version`; this connection's own commits do not, so the store
 * counts them with `bump`. Either kind of change moves the number. Any commit by another connection counts, not only
 * to the watched tables: the number may move needlessly, never stay put across a change.
 *
 * Each marker keeps its own last-seen `data_version`, so several markers on one connection do not hide changes from
 * one another.
 */
export function createChangeVersion(db: Database.Database): ChangeVersion {
  const dataVersion = db.prepare('PRAGMA data_version').pluck();
  let seenDataVersion = dataVersion.get() as number;
  let version = 0;
  return {
    current: () => {
      const now = dataVersion.get() as number;
      if (now !== seenDataVersion) {
        seenDataVersion = now;
        version++;
      }
      return version;
    },
    bump: () => {
      version++;
    },
  };
}
