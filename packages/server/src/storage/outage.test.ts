import { describe, expect, it } from 'vitest';

import { AppError } from '../errors.js';
import { isPostgresOutage, isSqliteOutage, withOutageErrors } from './outage.js';
import { openSqlite } from './sqlite/sqlite-store.js';
import type { Storage } from './store.js';

const withCode = (code: string, message = 'driver error') => Object.assign(new Error(message), { code });

describe('isPostgresOutage', () => {
  it.each([
    withCode('ECONNREFUSED'),
    withCode('ECONNRESET'),
    withCode('ETIMEDOUT'),
    withCode('57P01', 'terminating connection due to administrator command'),
    withCode('57P03', 'the database system is starting up'),
    withCode('08006'),
    withCode('53300', 'sorry, too many clients already'),
    withCode('25006', 'cannot execute INSERT in a read-only transaction'),
    new Error('Connection terminated unexpectedly'),
    new Error('timeout exceeded when trying to connect'),
    new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')], 'connect failed'),
  ])('is true for %s', (error) => {
    expect(isPostgresOutage(error)).toBe(true);
  });

  it.each([
    withCode('23505', 'duplicate key value violates unique constraint'),
    withCode('42P01', 'relation "x" does not exist'),
    withCode('0800', 'not a full SQLSTATE'),
    new Error('something else'),
    'ECONNREFUSED',
    null,
  ])('is false for %s', (error) => {
    expect(isPostgresOutage(error)).toBe(false);
  });
});

describe('isSqliteOutage', () => {
  it('is true for busy, locked, I/O, full, unopenable and read-only databases only', () => {
    for (const code of [
      'SQLITE_BUSY',
      'SQLITE_BUSY_SNAPSHOT',
      'SQLITE_LOCKED',
      'SQLITE_IOERR_WRITE',
      'SQLITE_FULL',
      'SQLITE_CANTOPEN',
      'SQLITE_READONLY',
    ]) {
      expect(isSqliteOutage(withCode(code)), code).toBe(true);
    }
    for (const code of ['SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_ERROR', 'SQLITE_CORRUPT', '']) {
      expect(isSqliteOutage(withCode(code)), code).toBe(false);
    }
  });
});

describe('withOutageErrors', () => {
  const outage = withCode('OUTAGE');
  const other = new Error('not an outage');
  const failing = (error: Error): Storage => {
    const storage = openSqlite(':memory:');
    return {
      ...storage,
      contexts: {
        ...storage.contexts,
        get: () => Promise.reject(error),
        ping: () => {
          throw error;
        },
        readRankingFields: () => ({ [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(error) }) }),
      },
    };
  };
  const isOutage = (error: unknown) => error === outage;

  it('turns an outage into 503 "Storage unavailable" whether it is thrown, rejected or raised mid-iteration', async () => {
    const { contexts } = withOutageErrors(failing(outage), isOutage);
    const expected = { statusCode: 503, errorCode: 'SERVICE_UNAVAILABLE', cause: outage };
    await expect(contexts.get('x')).rejects.toMatchObject(expected);
    expect(() => contexts.ping()).toThrow(AppError);
    const iterate = async () => {
      for await (const unit of contexts.readRankingFields()) {
        expect(unit).toBeUndefined();
      }
    };
    await expect(iterate()).rejects.toMatchObject(expected);
  });

  it('wraps the people and API key stores too', async () => {
    const storage = openSqlite(':memory:');
    const reject = () => Promise.reject(outage);
    const wrapped = withOutageErrors(
      {
        ...storage,
        people: { ...storage.people, list: reject },
        apiKeys: { ...storage.apiKeys, findByDigest: reject },
      },
      isOutage,
    );
    const expected = { statusCode: 503, errorCode: 'SERVICE_UNAVAILABLE', cause: outage };
    await expect(wrapped.people.list()).rejects.toMatchObject(expected);
    await expect(wrapped.apiKeys.findByDigest('0'.repeat(64))).rejects.toMatchObject(expected);
    expect(wrapped.apiKeys.version?.()).toEqual(expect.any(Number));
    await storage.close();
  });

  it('passes other errors and every result through unchanged', async () => {
    const storage = withOutageErrors(failing(other), isOutage);
    await expect(storage.contexts.get('x')).rejects.toBe(other);
    await storage.settings.set({ kept: 'yes' });
    expect(await storage.settings.get('kept')).toBe('yes');
    expect(storage.settings.version?.()).toEqual(expect.any(Number));
    expect(storage.kind).toBe('memory');
    await storage.close();
  });
});
