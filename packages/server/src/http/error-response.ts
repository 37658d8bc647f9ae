import type { FastifyError } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';

import { ERROR_CODES, type ErrorCode, type ErrorEnvelope, type ValidationIssue } from '@contextpilot/contract';

import { echo } from '../domain/echo.js';
import { AppError } from '../errors.js';

/** What to answer for an error: every error response, however it is written, is built from this. */
export interface ErrorResponse {
  status: number;
  /** Headers that belong to the error (`Retry-After`, `Allow`, `WWW-Authenticate`); the caller adds the rest. */
  headers: Record<string, string>;
  body: ErrorEnvelope;
}

function envelope(code: ErrorCode, message: string, details: Record<string, unknown> = {}): ErrorEnvelope {
  return { error_code: code, message, detail: message, details };
}

function answer(status: number, body: ErrorEnvelope, headers: Record<string, string> = {}): ErrorResponse {
  return { status, headers, body };
}

/** Unknown keys named in one validation issue; any more are summed up as "…". */
const MAX_LISTED_KEYS = 10;

function validationIssues(error: FastifyError): ValidationIssue[] {
  const where = error.validationContext ?? 'body';
  return (error.validation ?? []).map((v) => {
    // Paths and unknown key names come from the client: each is cut short and escaped, and only a few are listed.
    const path = v.instancePath
      .split('/')
      .filter(Boolean)
      .map((segment) => echo(segment));
    const params = v.params as { keys?: unknown };
    const allKeys = Array.isArray(params.keys) ? params.keys.map(String) : [];
    const keys = allKeys.slice(0, MAX_LISTED_KEYS).map((k) => echo(k));
    const more = allKeys.length > keys.length ? ', …' : '';
    return {
      loc: [where, ...path, ...keys],
      // Zod's own text for unknown keys repeats them verbatim; the same sentence is rebuilt from the safe names.
      msg:
        keys.length > 0
          ? `Unrecognized key${allKeys.length > 1 ? 's' : ''}: ${keys.map((k) => `"${k}"`).join(', ')}${more}`
          : (v.message ?? 'Invalid value'),
      type: v.keyword,
    };
  });
}

function describe(issues: ValidationIssue[]): string {
  const fields = [...new Set(issues.map((i) => i.loc.slice(1).join('.') || String(i.loc[0])))];
  return `Invalid request: ${fields.map((f) => `'${f}'`).join(', ')} ${issues.length === 1 ? `(${issues[0]?.msg})` : 'are invalid'}`;
}

/**
 * Client errors raised by Fastify (bad JSON, media type, body size, URL) and by Node's HTTP parser (bad bytes in the
 * request, oversized headers), or null when the error is not one of them.
 */
function clientError(error: { code?: unknown; statusCode?: unknown; message?: unknown }): ErrorResponse | null {
  const code = typeof error.code === 'string' ? error.code : '';
  switch (code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY': {
      const issues = [
        {
          loc: ['body'],
          msg: code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ? 'Body is empty' : 'Malformed JSON',
          type: 'json_invalid',
        },
      ];
      return answer(
        422,
        envelope(ERROR_CODES.validation, 'Invalid request: body is not valid JSON', { errors: issues }),
      );
    }
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return answer(413, envelope(ERROR_CODES.payloadTooLarge, 'Request body is too large'));
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return answer(415, envelope(ERROR_CODES.unsupportedMediaType, 'Unsupported media type: send application/json'));
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return answer(400, envelope(ERROR_CODES.http, 'Invalid Content-Length'));
    case 'FST_ERR_MAX_PARAM_LENGTH':
      // Fastify's own message quotes the whole path.
      return answer(414, envelope(ERROR_CODES.http, 'URI Too Long'));
    case 'FST_ERR_BAD_URL':
    case 'FST_ERR_ASYNC_CONSTRAINT':
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return answer(400, envelope(ERROR_CODES.http, 'Bad request'));
    case 'HPE_HEADER_OVERFLOW':
      return answer(431, envelope(ERROR_CODES.http, 'Bad request'));
    default:
      break;
  }
  if (code.startsWith('HPE_')) {
    return answer(400, envelope(ERROR_CODES.http, 'Bad request'));
  }
  const status = error.statusCode;
  if (typeof status === 'number' && Number.isInteger(status) && status >= 400 && status < 500) {
    // Other framework client errors carry safe, generic messages.
    return answer(
      status,
      envelope(ERROR_CODES.http, typeof error.message === 'string' ? error.message : 'Bad request'),
    );
  }
  return null;
}

/**
 * The one place an error becomes an answer, in the envelope `{error_code, message, detail, details}`: an AppError as
 * thrown (with its headers), request validation as 422 `VALIDATION_ERROR` with `details.errors`, framework and HTTP
 * parser client errors by their status, and anything else as 500 with a generic message and `details.request_id`, so
 * that no stack, SQL or path leaves the server. Pure: logging is {@link logError}'s job.
 */
export function errorResponse(error: unknown, requestId: string): ErrorResponse {
  if (error instanceof AppError) {
    return answer(error.statusCode, envelope(error.errorCode, error.message, error.details), { ...error.headers });
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    const issues = validationIssues(error);
    return answer(422, envelope(ERROR_CODES.validation, describe(issues), { errors: issues }));
  }
  const known = typeof error === 'object' && error !== null ? clientError(error) : null;
  return (
    known ?? answer(500, envelope(ERROR_CODES.internal, 'An unexpected error occurred', { request_id: requestId }))
  );
}

/** The part of a request's logger that {@link logError} uses. */
export type ErrorLog = Record<'warn' | 'error', (fields: object, message: string) => void>;

/** Logs the real error behind a 5xx answer, with the request id of `log`; a client's mistake needs no log line. */
export function logError(log: ErrorLog, error: unknown, response: ErrorResponse): void {
  if (response.status < 500) {
    return;
  }
  if (error instanceof AppError) {
    log.warn({ err: error.cause ?? error, status: error.statusCode }, error.message);
  } else {
    log.error({ err: error }, 'unhandled error');
  }
}
