import { Readable } from 'node:stream';

import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

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

/**
 * Buffers every request body once, up to the route's limit, keeps the raw bytes on the request, and hands the
 * parsers a replay of them. Multipart bodies are parsed from the same bytes with the platform's FormData parser
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

    app.removeContentTypeParser('text/plain');
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
