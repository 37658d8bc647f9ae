import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';

import { ERROR_CODES, type ErrorCode, type ErrorEnvelope, type ValidationIssue } from '@contextpilot/contract';

import { echo } from '../../domain/echo.js';
import { AppError } from '../../errors.js';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

function envelope(errorCode: ErrorCode, message: string, details: Record<string, unknown> = {}): ErrorEnvelope {
  return { error_code: errorCode, message, detail: message, details };
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

/** Fastify's own client errors (bad JSON, media type, body size) mapped to the envelope. */
function mapFrameworkError(error: FastifyError): { status: number; body: ErrorEnvelope } | null {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY': {
      const issues = [
        {
          loc: ['body'],
          msg: error.code.endsWith('EMPTY_JSON_BODY') ? 'Body is empty' : 'Malformed JSON',
          type: 'json_invalid',
        },
      ];
      return {
        status: 422,
        body: envelope(ERROR_CODES.validation, 'Invalid request: body is not valid JSON', { errors: issues }),
      };
    }
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, body: envelope(ERROR_CODES.payloadTooLarge, 'Request body is too large') };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
        ? {
            status: 415,
            body: envelope(ERROR_CODES.unsupportedMediaType, 'Unsupported media type: send application/json'),
          }
        : { status: 400, body: envelope(ERROR_CODES.http, 'Invalid Content-Length') };
    default:
      break;
  }
  if (error.code === 'FST_ERR_BAD_URL' || error.code === 'FST_ERR_ASYNC_CONSTRAINT') {
    return { status: 400, body: envelope(ERROR_CODES.http, 'Bad request') };
  }
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    // Other framework client errors carry safe, generic messages.
    return { status: error.statusCode, body: envelope(ERROR_CODES.http, error.message) };
  }
  return null;
}

/**
 * One error body for every failure: AppError as thrown, validation as 422 with `details.errors`, framework client
 * errors by their status, anything else 500 with a generic message and the request id. Unknown routes are 404 and
 * wrong methods 405 with `Allow`.
 */
export const errorsPlugin = fp(
  (app: FastifyInstance) => {
    app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      if (error instanceof AppError) {
        if (error.statusCode >= 500) {
          request.log.warn({ err: error.cause ?? error, status: error.statusCode }, error.message);
        }
        void reply
          .code(error.statusCode)
          .headers(error.headers)
          .send(envelope(error.errorCode, error.message, error.details));
        return;
      }
      if (hasZodFastifySchemaValidationErrors(error)) {
        const issues = validationIssues(error);
        void reply.code(422).send(envelope(ERROR_CODES.validation, describe(issues), { errors: issues }));
        return;
      }
      const mapped = mapFrameworkError(error);
      if (mapped) {
        void reply.code(mapped.status).send(mapped.body);
        return;
      }
      request.log.error({ err: error }, 'unhandled error');
      void reply
        .code(500)
        .send(envelope(ERROR_CODES.internal, 'An unexpected error occurred', { request_id: request.id }));
    });

    app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) => {
      const path = request.url.split('?')[0] ?? '/';
      const found = METHODS.filter((m) => app.findRoute({ method: m, url: path }) !== null);
      if (found.length > 0) {
        void reply
          .code(405)
          .header('allow', found.join(', '))
          .send(envelope(ERROR_CODES.methodNotAllowed, 'Method Not Allowed'));
        return;
      }
      void reply.code(404).send(envelope(ERROR_CODES.notFound, 'Not Found'));
    });
  },
  { name: 'errors' },
);
