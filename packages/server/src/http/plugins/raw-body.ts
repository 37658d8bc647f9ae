import { Readable } from 'node:stream';

import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

import { echo } from '../../domain/echo.js';
import { findDuplicateKey } from '../../domain/json-keys.js';
import { badRequest, payloadTooLarge, unsupportedMediaType } from '../../errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The exact bytes received, before any parsing (request signing hashes these). */
    rawBody?: Buffer;
  }
  interface FastifyContextConfig {
    /** Body limit of this route in bytes, when it differs from the default. */
    bodyLimit?: number;
  }
}

/** True unless the Content-Type names a charset other than UTF-8 (JSON is UTF-8 only, RFC 8259 §8.1). */
function isUtf8ContentType(contentType: string): boolean {
  return contentType
    .split(';')
    .slice(1)
    .every((param) => {
      const [name = '', value = ''] = param.split('=').map((part) => part.trim().toLowerCase());
      return name !== 'charset' || ['utf-8', 'utf8', '"utf-8"', '"utf8"'].includes(value);
    });
}

// `fatal` refuses malformed bytes: Node's default decoding would store U+FFFD in place of the client's text.
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The JSON body of a request, from the exact bytes received: another charset is 415, bytes that are not UTF-8
 * and objects with a repeated key are 400. No bytes at all is no body (as the empty-body plugin decides for a request
 * that says so in its headers; this is the chunked one that turns out empty): the route's schema decides. Syntax
 * errors and prototype keys go through Fastify's own JSON parser, so they keep their usual answers.
 */
async function parseJsonBody(
  request: FastifyRequest,
  parse: ReturnType<FastifyInstance['getDefaultJsonParser']>,
): Promise<unknown> {
  if (!isUtf8ContentType(request.headers['content-type'] ?? '')) {
    throw unsupportedMediaType('Unsupported charset: JSON must be sent as UTF-8');
  }
  if (request.rawBody === undefined || request.rawBody.length === 0) {
    return undefined;
  }
  let text: string;
  try {
    text = utf8.decode(request.rawBody);
  } catch {
    throw badRequest('Invalid request body: not valid UTF-8');
  }
  const body = await new Promise<unknown>((resolve, reject) => {
    void parse(request, text, (error, value) => (error ? reject(error) : resolve(value)));
  });
  const duplicate = findDuplicateKey(text);
  if (duplicate !== undefined) {
    throw badRequest(`Invalid request body: duplicate key "${echo(duplicate)}"`);
  }
  return body;
}

/**
 * Buffers every request body once, up to the route's limit, keeps the raw bytes on the request, and hands the
 * parsers a replay of them. JSON is parsed from those bytes by {@link parseJsonBody}. Multipart bodies are parsed from the same bytes with the platform's FormData parser
 * (a streaming multipart plugin would read the already-drained socket).
 */
export const rawBodyPlugin = fp(
  (app: FastifyInstance, options: { defaultLimit: number }) => {
    app.addHook('preParsing', async (request, _reply, payload) => {
      const limit = request.routeOptions.config.bodyLimit ?? options.defaultLimit;
      const declared = Number(request.headers['content-length']);
      if (Number.isFinite(declared) && declared > limit) {
        throw payloadTooLarge('Request body is too large');
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of payload) {
        const buffer = chunk as Buffer;
        size += buffer.length;
        if (size > limit) {
          throw payloadTooLarge('Request body is too large');
        }
        chunks.push(buffer);
      }
      request.rawBody = Buffer.concat(chunks);
      const replay = Readable.from([request.rawBody]) as Readable & { receivedEncodedLength?: number };
      replay.receivedEncodedLength = request.rawBody.length;
      return replay;
    });

    const defaultJsonParser = app.getDefaultJsonParser('error', 'error');
    app.removeContentTypeParser(['application/json', 'text/plain']);
    app.addContentTypeParser('application/json', (request: FastifyRequest) =>
      parseJsonBody(request, defaultJsonParser),
    );
    app.addContentTypeParser('multipart/form-data', async (request: FastifyRequest) => {
      // Only routes that declare multipart (the import) take it; elsewhere a FormData would reach the JSON schema.
      const consumes = (request.routeOptions.schema as { consumes?: unknown } | undefined)?.consumes;
      if (!Array.isArray(consumes) || !consumes.includes('multipart/form-data')) {
        throw unsupportedMediaType('Unsupported media type: send application/json');
      }
      const body = request.rawBody ?? Buffer.alloc(0);
      try {
        return await new Request('http://localhost/', {
          method: 'POST',
          headers: { 'content-type': String(request.headers['content-type']) },
          body: new Uint8Array(body),
        }).formData();
      } catch {
        throw badRequest('Invalid multipart form body');
      }
    });
  },
  { name: 'raw-body' },
);
