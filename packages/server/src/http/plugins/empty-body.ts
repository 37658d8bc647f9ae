import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/**
 * A request without body bytes (`Content-Length: 0` or none, and no `Transfer-Encoding`: HTTP/1.1 says such a request
 * has no body) has no body, whatever media type it names: axios and many scripts send `Content-Type: application/json` with nothing after it. Without a media
 * type Fastify skips body parsing, so a route whose body is optional (or that takes none) runs as if no body was
 * sent, and a route that needs one refuses it through its schema (422), instead of the JSON parser's "Body is empty"
 * for every route alike.
 */
export const emptyBodyPlugin = fp(
  (app: FastifyInstance) => {
    app.addHook('onRequest', (request, _reply, done) => {
      const { headers } = request;
      if (
        headers['content-type'] !== undefined &&
        (headers['content-length'] === undefined || headers['content-length'] === '0') &&
        headers['transfer-encoding'] === undefined
      ) {
        delete headers['content-type'];
      }
      done();
    });
  },
  { name: 'empty-body' },
);
