import { randomUUID } from 'node:crypto';

import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';

interface Session {
  server: McpServer;
  transport: WebStandardStreamableHTTPServerTransport;
  /** Fingerprint of the API key that opened it (null with authentication off): only that key may use it. */
  owner: string | null;
  lastUsedMs: number;
}

/**
 * The Streamable HTTP sessions of `/mcp`: one MCP server and transport each, so that a client's GET stream receives
 * the list-changed notifications meant for it. Bounded in number (the least recently used is closed to make room)
 * and in idle time; a session belongs to the key that opened it, and for any other key it does not exist.
 */
export function createMcpSessions(deps: {
  createServer: () => McpServer;
  maxSessions: number;
  idleMs: number;
  /** Current time in milliseconds. */
  now: () => number;
}) {
  // In order of last use: the first entry is the least recently used.
  const sessions = new Map<string, Session>();

  function drop(id: string): void {
    const session = sessions.get(id);
    if (session !== undefined) {
      sessions.delete(id);
      // Closing the server closes its transport and any stream still open.
      void session.server.close();
    }
  }

  function sweep(): void {
    const now = deps.now();
    for (const [id, session] of sessions) {
      if (now - session.lastUsedMs > deps.idleMs) {
        drop(id);
      }
    }
  }

  return {
    /** The session `id` if `owner` opened it and it has not expired; marks it used. */
    find(id: string, owner: string | null): WebStandardStreamableHTTPServerTransport | null {
      sweep();
      const session = sessions.get(id);
      if (session === undefined || session.owner !== owner) {
        return null;
      }
      sessions.delete(id);
      sessions.set(id, { ...session, lastUsedMs: deps.now() });
      return session.transport;
    },

    /**
     * A transport for an initialize request of `owner`. It becomes a session once the request succeeds; call
     * `settle` after handling the request, so that a transport whose initialization failed is closed.
     */
    async open(owner: string | null) {
      sweep();
      const server = deps.createServer();
      const transport: WebStandardStreamableHTTPServerTransport = new WebStandardStreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        // Answers come as JSON; notifications go to the client's GET stream.
        enableJsonResponse: true,
        onsessioninitialized: (id) => {
          while (sessions.size >= deps.maxSessions) {
            const oldest = sessions.keys().next().value;
            if (oldest === undefined) {
              break;
            }
            drop(oldest);
          }
          sessions.set(id, { server, transport, owner, lastUsedMs: deps.now() });
        },
        onsessionclosed: (id) => drop(id),
      });
      await server.connect(transport);
      return {
        transport,
        settle: async () => {
          if (transport.sessionId === undefined) {
            await server.close();
          }
        },
      };
    },

    get size(): number {
      return sessions.size;
    },

    async closeAll(): Promise<void> {
      const open = [...sessions.values()];
      sessions.clear();
      await Promise.all(open.map((s) => s.server.close()));
    },
  };
}
export type McpSessions = ReturnType<typeof createMcpSessions>;
