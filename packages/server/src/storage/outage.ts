import { storageUnavailable } from '../errors.js';
import type { Storage } from './store.js';

/**
 * Driver errors that mean "the database cannot be used right now" (server down or restarting, connection lost, file
 * locked or unreadable) become 503 `storageUnavailable` here, at the storage boundary, so that every caller (a route,
 * the authentication hook, a background job) sees one kind of error for an outage. Other errors pass unchanged.
 */

/** Node socket errors on the way to a database server. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * SQLSTATEs of an unusable server: class 08 (connection exception), class 53 (insufficient resources: disk full, out
 * of memory, too many connections), 57P01–57P03 (shutting down, crashed, not yet accepting connections) and 25006
 * (a read-only server, e.g. a standby during fail-over).
 */
const POSTGRES_STATES = /^(08...|53...|57P0[123]|25006)$/;

/** Errors node-postgres raises itself, without a code, when a connection cannot be made or is lost. */
const POSTGRES_MESSAGES =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Query read timeout|Cannot use a pool after calling end on the pool)/;

/** Busy or locked past the busy timeout, I/O errors, a full disk, a file that cannot be opened or written. */
const SQLITE_CODES = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY)/;

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

/** True when a PostgreSQL (node-postgres) error means the server cannot be used right now. */
export function isPostgresOutage(error: unknown): boolean {
  if (!(error instanceof Error)) {
    return false;
  }
  const code = codeOf(error);
  if (NETWORK_CODES.has(code) || POSTGRES_STATES.test(code) || POSTGRES_MESSAGES.test(error.message)) {
    return true;
  }
  // A host name with several addresses fails with one error per address.
  return error instanceof AggregateError && error.errors.some(isPostgresOutage);
}

/** True when a SQLite (better-sqlite3) error means the database file cannot be used right now. */
export function isSqliteOutage(error: unknown): boolean {
  return SQLITE_CODES.test(codeOf(error));
}

type Translate = (error: unknown) => unknown;

async function* translatedIterable<T>(source: AsyncIterable<T>, translate: Translate): AsyncIterable<T> {
  try {
    yield* source;
  } catch (error) {
    throw translate(error);
  }
}

/** The same store with every method's failures passed through `translate` (thrown, rejected or mid-iteration). */
function translatedStore<T extends object>(store: T, translate: Translate): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, member] of Object.entries(store)) {
    if (typeof member !== 'function') {
      wrapped[name] = member;
      continue;
    }
    const method = member as (...args: unknown[]) => unknown;
    wrapped[name] = (...args: unknown[]): unknown => {
      let result: unknown;
      try {
        result = method.apply(store, args);
      } catch (error) {
        throw translate(error);
      }
      if (result instanceof Promise) {
        return result.catch((error: unknown) => {
          throw translate(error);
        });
      }
      if (typeof result === 'object' && result !== null && Symbol.asyncIterator in result) {
        return translatedIterable(result as AsyncIterable<unknown>, translate);
      }
      return result;
    };
  }
  return wrapped as T;
}

/** `storage` whose stores report an outage (as `isOutage` recognises it) as 503 `storageUnavailable`. */
export function withOutageErrors(storage: Storage, isOutage: (error: unknown) => boolean): Storage {
  const translate: Translate = (error) => (isOutage(error) ? storageUnavailable(error) : error);
  return {
    ...storage,
    contexts: translatedStore(storage.contexts, translate),
    settings: translatedStore(storage.settings, translate),
    events: translatedStore(storage.events, translate),
    conversations: translatedStore(storage.conversations, translate),
    signatures: translatedStore(storage.signatures, translate),
    people: translatedStore(storage.people, translate),
    apiKeys: translatedStore(storage.apiKeys, translate),
  };
}
