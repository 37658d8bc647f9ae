import { errorCodes, type FastifyError } from 'fastify';
import { validatorCompiler } from 'fastify-type-provider-zod';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

import { ERROR_CODES, ErrorEnvelope } from '@contextpilot/contract';

import {
  AppError,
  badRequest,
  methodNotAllowed,
  payloadTooLarge,
  rateLimited,
  storageUnavailable,
  unknownRoute,
} from '../errors.js';
import { errorResponse, logError, type ErrorLog, type ErrorResponse } from './error-response.js';

const REQUEST_ID = '0f0e0d0c-0b0a-4908-8706-050403020100';

const Body = z.strictObject({ type: z.enum(['fact', 'goal']), content: z.string() });

/** The error Fastify raises when the zod validator refuses a request body. */
function validationError(body: unknown): FastifyError {
  const validate = validatorCompiler({ schema: Body, method: 'POST', url: '/contexts', httpPart: 'body' }) as (
    data: unknown,
  ) => { error?: FastifyError['validation'] };
  const { error } = validate(body);
  return Object.assign(new Error('body is invalid'), {
    code: 'FST_ERR_VALIDATION',
    statusCode: 400,
    validation: error,
    validationContext: 'body' as const,
  });
}

/** An error from Node's HTTP parser, as `clientError` receives it. */
const parserError = (code: string) => Object.assign(new Error('Parse Error'), { code });

function envelope(error_code: string, message: string, details: Record<string, unknown> = {}) {
  return { error_code, message, detail: message, details };
}

describe('errorResponse', () => {
  it('answers an AppError with its status, code, message, details and headers', () => {
    expect(errorResponse(badRequest('Invalid tag', { field: 'tags' }), REQUEST_ID)).toEqual({
      status: 400,
      headers: {},
      body: envelope('HTTP_ERROR', 'Invalid tag', { field: 'tags' }),
    });
  });

  it('answers a refused body as 422 VALIDATION_ERROR naming each field, with details.errors', () => {
    const one = errorResponse(validationError({ type: 'fact', content: 1 }), REQUEST_ID);
    expect(one).toEqual({
      status: 422,
      headers: {},
      body: envelope(
        'VALIDATION_ERROR',
        "Invalid request: 'content' (Invalid input: expected string, received number)",
        {
          errors: [
            { loc: ['body', 'content'], msg: 'Invalid input: expected string, received number', type: 'invalid_type' },
          ],
        },
      ),
    });
    const two = errorResponse(validationError({ type: 'wish', content: 1 }), REQUEST_ID);
    expect(two.status).toBe(422);
    expect(two.body.message).toBe("Invalid request: 'type', 'content' are invalid");
    expect((two.body.details.errors as { loc: unknown[] }[]).map((e) => e.loc)).toEqual([
      ['body', 'type'],
      ['body', 'content'],
    ]);
  });

  it('names unknown keys escaped and cut short, never as sent', () => {
    const key = `x"<script>${'k'.repeat(100)}`;
    const { body } = errorResponse(validationError({ type: 'fact', content: 'c', [key]: 1 }), REQUEST_ID);
    const [issue] = body.details.errors as { loc: string[]; msg: string; type: string }[];
    expect(issue?.type).toBe('unrecognized_keys');
    expect(JSON.stringify(body)).not.toContain('<script>');
    expect(issue?.msg).toMatch(/^Unrecognized key: "x\\"\\u003cscript\\u003ek+…"$/);
  });

  it('answers malformed and empty JSON as 422 VALIDATION_ERROR', () => {
    expect(errorResponse(new errorCodes.FST_ERR_CTP_INVALID_JSON_BODY(), REQUEST_ID)).toEqual({
      status: 422,
      headers: {},
      body: envelope('VALIDATION_ERROR', 'Invalid request: body is not valid JSON', {
        errors: [{ loc: ['body'], msg: 'Malformed JSON', type: 'json_invalid' }],
      }),
    });
    expect(errorResponse(new errorCodes.FST_ERR_CTP_EMPTY_JSON_BODY(), REQUEST_ID).body.details).toEqual({
      errors: [{ loc: ['body'], msg: 'Body is empty', type: 'json_invalid' }],
    });
  });

  it('answers a body over the limit as 413, whether Fastify or our parser found it', () => {
    const expected = { status: 413, headers: {}, body: envelope('PAYLOAD_TOO_LARGE', 'Request body is too large') };
    expect(errorResponse(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE(), REQUEST_ID)).toEqual(expected);
    expect(errorResponse(payloadTooLarge('Request body is too large'), REQUEST_ID)).toEqual(expected);
  });

  it('answers an unknown route as 404 NOT_FOUND', () => {
    expect(errorResponse(unknownRoute(), REQUEST_ID)).toEqual({
      status: 404,
      headers: {},
      body: envelope('NOT_FOUND', 'Not Found'),
    });
  });

  it('answers a wrong method as 405 with Allow', () => {
    expect(errorResponse(methodNotAllowed(['GET', 'HEAD', 'POST']), REQUEST_ID)).toEqual({
      status: 405,
      headers: { allow: 'GET, HEAD, POST' },
      body: envelope('METHOD_NOT_ALLOWED', 'Method Not Allowed'),
    });
  });

  it('answers a rate limit as 429 with Retry-After and details.retry_after', () => {
    expect(errorResponse(rateLimited(17), REQUEST_ID)).toEqual({
      status: 429,
      headers: { 'retry-after': '17' },
      body: envelope('RATE_LIMIT_EXCEEDED', 'Rate limit exceeded', { retry_after: 17 }),
    });
  });

  it('answers an unexpected error as 500 with a generic message and the request id, and nothing of the error', () => {
    const error = new Error('relation "contexts" does not exist: SELECT * FROM contexts');
    error.stack = `${error.message}\n    at query (/srv/contextpilot/packages/server/src/storage/postgres/postgres-store.ts:42:7)`;
    const response = errorResponse(error, REQUEST_ID);
    expect(response).toEqual({
      status: 500,
      headers: {},
      body: envelope('INTERNAL_SERVER_ERROR', 'An unexpected error occurred', { request_id: REQUEST_ID }),
    });
    const text = JSON.stringify(response);
    for (const leak of ['SELECT', 'contexts', '/srv/', 'postgres-store', ' at ']) {
      expect(text).not.toContain(leak);
    }
  });

  it('answers values that are not errors as 500 too', () => {
    for (const thrown of [undefined, null, 'boom', 42, { message: 'no status' }, { code: 42 }, { statusCode: '400' }]) {
      expect(errorResponse(thrown, REQUEST_ID).status).toBe(500);
    }
  });

  it('answers URLs the router refuses as 400 or 414, without repeating the URL', () => {
    const path = `/contexts/${'b'.repeat(600)}`;
    expect(errorResponse(new errorCodes.FST_ERR_BAD_URL('/%zz'), REQUEST_ID)).toEqual({
      status: 400,
      headers: {},
      body: envelope('HTTP_ERROR', 'Bad request'),
    });
    expect(errorResponse(new errorCodes.FST_ERR_MAX_PARAM_LENGTH(path), REQUEST_ID)).toEqual({
      status: 414,
      headers: {},
      body: envelope('HTTP_ERROR', 'URI Too Long'),
    });
  });

  it("answers requests Node's HTTP parser refuses as 400, or 431 for oversized headers", () => {
    expect(errorResponse(parserError('HPE_INVALID_METHOD'), REQUEST_ID)).toEqual({
      status: 400,
      headers: {},
      body: envelope('HTTP_ERROR', 'Bad request'),
    });
    expect(errorResponse(parserError('HPE_HEADER_OVERFLOW'), REQUEST_ID).status).toBe(431);
    expect(errorResponse(parserError('ERR_HTTP_REQUEST_TIMEOUT'), REQUEST_ID).status).toBe(400);
  });

  it('answers other media types as 415', () => {
    expect(errorResponse(new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE('text/xml'), REQUEST_ID)).toEqual({
      status: 415,
      headers: {},
      body: envelope('UNSUPPORTED_MEDIA_TYPE', 'Unsupported media type: send application/json'),
    });
  });

  it('copies the headers of an AppError rather than sharing them', () => {
    const error = rateLimited(1);
    errorResponse(error, REQUEST_ID).headers.connection = 'close';
    expect(error.headers).toEqual({ 'retry-after': '1' });
  });

  it('builds only envelopes of the contract, with an error_code from ERROR_CODES', () => {
    const responses: ErrorResponse[] = [
      badRequest('x'),
      validationError({}),
      new errorCodes.FST_ERR_CTP_INVALID_JSON_BODY(),
      new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE(),
      new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE('text/xml'),
      new errorCodes.FST_ERR_CTP_INVALID_CONTENT_LENGTH(),
      new errorCodes.FST_ERR_BAD_URL('/%'),
      unknownRoute(),
      methodNotAllowed(['GET']),
      rateLimited(1),
      storageUnavailable(new Error('down')),
      new AppError({ status: 502, message: 'OpenAI request failed (500)', code: ERROR_CODES.aiService }),
      parserError('HPE_HEADER_OVERFLOW'),
      new Error('unexpected'),
    ].map((error) => errorResponse(error, REQUEST_ID));
    for (const { body } of responses) {
      expect(ErrorEnvelope.strict().parse(body)).toEqual(body);
      expect(Object.values(ERROR_CODES)).toContain(body.error_code);
      expect(body.detail).toBe(body.message);
    }
  });
});

describe('logError', () => {
  function recorder() {
    const lines: { level: string; fields: object; message: string }[] = [];
    const log: ErrorLog = {
      warn: (fields, message) => lines.push({ level: 'warn', fields, message }),
      error: (fields, message) => lines.push({ level: 'error', fields, message }),
    };
    return { lines, log };
  }

  it('logs nothing for a client error', () => {
    const { lines, log } = recorder();
    for (const error of [badRequest('x'), rateLimited(1), new errorCodes.FST_ERR_CTP_INVALID_JSON_BODY()]) {
      logError(log, error, errorResponse(error, REQUEST_ID));
    }
    expect(lines).toEqual([]);
  });

  it('logs the cause of a 5xx AppError as a warning, and an unexpected error as an error', () => {
    const { lines, log } = recorder();
    const cause = new Error('connect ECONNREFUSED');
    const outage = storageUnavailable(cause);
    logError(log, outage, errorResponse(outage, REQUEST_ID));
    const bug = new TypeError('x is undefined');
    logError(log, bug, errorResponse(bug, REQUEST_ID));
    expect(lines).toEqual([
      { level: 'warn', fields: { err: cause, status: 503 }, message: 'Storage unavailable, try again later' },
      { level: 'error', fields: { err: bug }, message: 'unhandled error' },
    ]);
  });
});
