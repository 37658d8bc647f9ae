import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';

import { AppError, badRequest, notFound } from '../../errors.js';
import type { McpSessions } from '../../mcp/http-sessions.js';
import { mcpAuthInfo } from '../../mcp/options.js';
import { singleHeader } from '../request-facts.js';

/** MCP messages per minute per client IP (each tool call also counts against the REST route it stands for). */
const MCP_MESSAGES_PER_MINUTE = 600;

/** The request as the SDK's transport reads it (its URL's host is not used). */
function toWebRequest(request: FastifyRequest): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) {
      headers.append(name, v);
    }
  }
  return new Request(`http://localhost${request.url}`, { method: request.method, headers });
}

/** The transport's own refusals (a JSON-RPC error body) as the error every other response uses. */
async function transportError(response: Response): Promise<AppError> {
  let message = response.statusText || 'Invalid MCP request';
  try {
    const body = (await response.json()) as { error?: { message?: unknown } };
    if (typeof body.error?.message === 'string') {
      message = body.error.message;
    }
  } catch {
    // No JSON body: the status text stands.
  }
  const allow = response.headers.get('allow');
  return new AppError({ status: response.status, message, headers: allow === null ? {} : { allow } });
}

/**
 * `POST`, `GET` and `DELETE /mcp`: the Model Context Protocol over Streamable HTTP (docs/MCP.md). Registered in the
 * protected context like every API route (API key, also as a bearer token; rate limits; audit), exempt from request
 * signing, which MCP clients cannot do, and with the Origin rule applied to every method (DNS rebinding).
 */
export function mcpRoutes(app: FastifyInstance, options: { sessions: McpSessions }): void {
  const { sessions } = options;
  app.route({
    method: ['POST', 'GET', 'DELETE'],
    url: '/mcp',
    config: {
      // Any valid key opens and uses a session; each tool call, prompt and resource read checks its own scope.
      scope: 'per-tool',
      acceptsBearer: true,
      unsigned: true,
      originCheck: 'every-request',
      rateLimit: MCP_MESSAGES_PER_MINUTE,
    },
    schema: { hide: true },
    handler: async (request, reply) => {
      const owner = request.keyFingerprint ?? null;
      const sessionId = singleHeader(request.headers['mcp-session-id']);
      let transport;
      let settle = () => Promise.resolve();
      if (sessionId === undefined) {
        if (request.method !== 'POST' || !isInitializeRequest(request.body)) {
          throw badRequest('Start an MCP session with an initialize request, then send its Mcp-Session-Id header');
        }
        ({ transport, settle } = await sessions.open(owner));
      } else {
        transport = sessions.find(sessionId, owner);
        if (transport === null) {
          throw notFound('MCP session not found: start a new session');
        }
      }
      try {
        const response = await transport.handleRequest(toWebRequest(request), {
          parsedBody: request.body,
          // The scopes of this request's key travel with each call it carries: every tool checks its own.
          authInfo: mcpAuthInfo(request),
        });
        if (response.status >= 400) {
          throw await transportError(response);
        }
        return await reply.send(response);
      } finally {
        await settle();
      }
    },
  });
}
