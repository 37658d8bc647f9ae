import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

import { methodNotAllowed, unknownRoute } from '../../errors.js';
import { errorResponse, logError } from '../error-response.js';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

function sendError(request: FastifyRequest, reply: FastifyReply, error: unknown): void {
  const response = errorResponse(error, request.id);
  logError(request.log, error, response);
  void reply.code(response.status).headers(response.headers).send(response.body);
}

/**
 * Answers every error thrown while handling a request, and requests no route takes: unknown routes are 404 and
 * wrong methods 405 with `Allow`. The body is {@link errorResponse}'s.
 */
export const errorsPlugin = fp(
  (app: FastifyInstance) => {
    app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
      sendError(request, reply, error);
    });

    app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) => {
      const path = request.url.split('?')[0] ?? '/';
      const found = METHODS.filter((m) => app.findRoute({ method: m, url: path }) !== null);
      sendError(request, reply, found.length > 0 ? methodNotAllowed(found) : unknownRoute());
    });
  },
  { name: 'errors' },
);
