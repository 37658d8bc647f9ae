import { describe, expect, it } from 'vitest';

import { AppError, methodNotAllowed, rateLimited, serviceUnavailable, storageUnavailable } from './errors.js';

describe('AppError', () => {
  it('takes its status, message, code, details, headers and cause as named options', () => {
    const cause = new Error('connect ECONNREFUSED 127.0.0.1:5432');
    const error = new AppError({
      status: 503,
      message: 'Storage unavailable, try again later',
      code: 'SERVICE_UNAVAILABLE',
      details: { attempt: 2 },
      headers: { 'retry-after': '5' },
      cause,
    });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('AppError');
    expect(error.statusCode).toBe(503);
    expect(error.message).toBe('Storage unavailable, try again later');
    expect(error.errorCode).toBe('SERVICE_UNAVAILABLE');
    expect(error.details).toEqual({ attempt: 2 });
    expect(error.headers).toEqual({ 'retry-after': '5' });
    expect(error.cause).toBe(cause);
  });

  it('defaults to HTTP_ERROR with no details, headers or cause', () => {
    const error = new AppError({ status: 404, message: 'Context not found' });
    expect(error.errorCode).toBe('HTTP_ERROR');
    expect(error.details).toEqual({});
    expect(error.headers).toEqual({});
    expect('cause' in error).toBe(false);
  });
});

describe('helpers', () => {
  it('rateLimited carries the wait in details and in Retry-After', () => {
    const error = rateLimited(42);
    expect([error.statusCode, error.errorCode, error.message]).toEqual([
      429,
      'RATE_LIMIT_EXCEEDED',
      'Rate limit exceeded',
    ]);
    expect(error.details).toEqual({ retry_after: 42 });
    expect(error.headers).toEqual({ 'retry-after': '42' });
  });

  it('serviceUnavailable sends Retry-After only when given one', () => {
    expect(serviceUnavailable('Busy').headers).toEqual({});
    expect(serviceUnavailable('Busy', 3).headers).toEqual({ 'retry-after': '3' });
  });

  it('storageUnavailable keeps the driver error as the cause, out of the message', () => {
    const cause = new Error('SQLITE_BUSY: database is locked');
    const error = storageUnavailable(cause);
    expect([error.statusCode, error.errorCode]).toEqual([503, 'SERVICE_UNAVAILABLE']);
    expect(error.message).toBe('Storage unavailable, try again later');
    expect(error.cause).toBe(cause);
  });

  it('methodNotAllowed lists the allowed methods in Allow', () => {
    const error = methodNotAllowed(['GET', 'HEAD']);
    expect([error.statusCode, error.errorCode, error.message]).toEqual([
      405,
      'METHOD_NOT_ALLOWED',
      'Method Not Allowed',
    ]);
    expect(error.headers).toEqual({ allow: 'GET, HEAD' });
  });
});
