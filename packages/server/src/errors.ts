import { ERROR_CODES } from '@contextpilot/contract';

/** An error with an HTTP status and a message that is safe to show to the client. */
export class AppError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly errorCode: string = ERROR_CODES.http,
    readonly details: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'AppError';
  }
}

export const badRequest = (message: string, details: Record<string, unknown> = {}) =>
  new AppError(400, message, ERROR_CODES.http, details);
export const notFound = (message: string) => new AppError(404, message);
/** A 401 names the scheme it wants (RFC 9110 §11.6.1): the API key in its header. */
export const unauthorized = (message: string) =>
  new AppError(401, message, ERROR_CODES.http, {}, { 'www-authenticate': 'ApiKey header="X-API-Key"' });
export const payloadTooLarge = (message: string) => new AppError(413, message, ERROR_CODES.payloadTooLarge);
export const unsupportedMediaType = (message: string) => new AppError(415, message, ERROR_CODES.unsupportedMediaType);
export const serviceUnavailable = (message: string, retryAfterSeconds?: number) =>
  new AppError(
    503,
    message,
    ERROR_CODES.unavailable,
    {},
    retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) },
  );
/** The database cannot be used right now (server down, connection lost, file locked); `cause` is the driver error. */
export const storageUnavailable = (cause: unknown) =>
  new AppError(503, 'Storage unavailable, try again later', ERROR_CODES.unavailable, {}, {}, cause);
/** The counters behind rate limits and lockouts cannot be used (Redis unreachable); `cause` is the driver error. */
export const securityStoreUnavailable = (cause: unknown) =>
  new AppError(503, 'Security store unavailable, try again later', ERROR_CODES.unavailable, {}, {}, cause);
export const rateLimited = (retryAfterSeconds: number, message = 'Rate limit exceeded') =>
  new AppError(
    429,
    message,
    ERROR_CODES.rateLimited,
    { retry_after: retryAfterSeconds },
    { 'retry-after': String(retryAfterSeconds) },
  );
