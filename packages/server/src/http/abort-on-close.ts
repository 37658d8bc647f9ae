import type { FastifyReply } from 'fastify';

/**
 * A signal that aborts when the client goes away before its response is complete, so that work done only for that
 * response (an embedding, a provider call) stops with it.
 */
export function abortOnClose(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) {
      controller.abort(new Error('the client closed the connection'));
    }
  });
  return controller.signal;
}
