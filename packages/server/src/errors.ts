import { ERROR_CODES, type ErrorCode } from '@contextpilot/contract';

export interface AppErrorOptions {
  /** HTTP status of the answer. */
  status: number;
  /** Safe to show to the client: it becomes the envelope's `message` and `detail`. */
  message: string;
  /** The envelope's `error_code`; `HTTP_ERROR` unless the contract names a more specific one. */
  code?: ErrorCode;
  /** The envelope's `details`. */
  details?: Record<string, unknown>;
  /** Response headers that belong to the error (`Retry-After`, `Allow`, `WWW-Authenticate`). */
  headers?: Record<string, string>;
  /** The underlying error, logged with the request id and never sent. */
  cause?: unknown;
}

/** An error with an HTTP status and a message that is safe to show to the client. */
export class AppError extends Error {
  readonly statusCode: number;
  readonly errorCode: ErrorCode;
  readonly details: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor({ status, message, code = ERROR_CODES.http, details = {}, headers = {}, cause }: AppErrorOptions) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'AppError';
    this.statusCode = status;
    this.errorCode = code;
    this.details = details;
    this.headers = headers;
  }
}

export const badRequest = (message: string, details: Record<string, unknown> = {}) =>
  new AppError({ status: 400, message, details });
export const notFound = (message: string) => new AppError({ status: 404, message });
/** The request contradicts the resource's current state (a unit already superseded). */
export const conflict = (message: string) => new AppError({ status: 409, message });
/** A 401 names the scheme it wants (RFC 9110 §11.6.1): the API key in its header. */
export const unauthorized = (message: string, details: Record<string, unknown> = {}) =>
  new AppError({ status: 401, message, details, headers: { 'www-authenticate': 'ApiKey header="X-API-Key"' } });
export const payloadTooLarge = (message: string) =>
  new AppError({ status: 413, message, code: ERROR_CODES.payloadTooLarge });
export const unsupportedMediaType = (message: string) =>
  new AppError({ status: 415, message, code: ERROR_CODES.unsupportedMediaType });
export const serviceUnavailable = (message: string, retryAfterSeconds?: number) =>
  new AppError({
    status: 503,
    message,
    code: ERROR_CODES.unavailable,
    headers: retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) },
  });
/** The database cannot be used right now (server down, connection lost, file locked); `cause` is the driver error. */
export const storageUnavailable = (cause: unknown) =>
  new AppError({
    status: 503,
    message: 'Storage unavailable, try again later',
    code: ERROR_CODES.unavailable,
    cause,
  });
/** The counters behind rate limits and lockouts cannot be used (Redis unreachable); `cause` is the driver error. */
export const securityStoreUnavailable = (cause: unknown) =>
  new AppError({
    status: 503,
    message: 'Security store unavailable, try again later',
    code: ERROR_CODES.unavailable,
    cause,
  });
export const rateLimited = (retryAfterSeconds: number, message = 'Rate limit exceeded') =>
  new AppError({
    status: 429,
    message,
    code: ERROR_CODES.rateLimited,
    details: { retry_after: retryAfterSeconds },
    headers: { 'retry-after': String(retryAfterSeconds) },
  });
/** A language-model provider failed or timed out (`AI_SERVICE_ERROR`: the AI service, not this server). */
export const aiServiceError = (status: number, message: string, details: Record<string, unknown> = {}) =>
  new AppError({ status, message, code: ERROR_CODES.aiService, details });
/** The client went away before its answer was ready: nothing to answer, and nothing went wrong here. */
export const clientClosedRequest = () => new AppError({ status: 499, message: 'Client closed the request' });
/** No route has this path. */
export const unknownRoute = () => new AppError({ status: 404, message: 'Not Found', code: ERROR_CODES.notFound });
/** Routes have this path, but not with this method; `allowed` are the methods they do have. */
export const methodNotAllowed = (allowed: readonly string[]) =>
  new AppError({
    status: 405,
    message: 'Method Not Allowed',
    code: ERROR_CODES.methodNotAllowed,
    headers: { allow: allowed.join(', ') },
  });
