import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';

import type { ContextUnit } from '@contextpilot/contract';
import { isScope } from '@contextpilot/contract';
import { createMcpServer, MCP_TOOL_NAMES, type ContextBackend } from '@contextpilot/mcp';

import { createMcpSessions } from './http-sessions.js';
import { errorOptions, scopeOptions } from './options.js';
import { createAuditService, type AuditService } from '../services/audit-service.js';
import { openStorage } from '../storage/open-storage.js';
import type { Storage } from '../storage/store.js';
import { mcpRoutes } from '../http/routes/mcp.js';

/**
 * `/mcp` in a tiny app: a test hook stands in for the auth plugin and sets the principal from `x-test-scopes`, so that
 * the scopes of the request's key reach each tool call through the transport.
 */

const T0 = Date.UTC(2026, 2, 4, 5, 6, 7);
const UNIT: ContextUnit = {
  id: 'u1',
  type: 'fact',
  content: 'The sky is blue',
  confidence: 1,
  created_at: '2026-01-02T03:04:05.123Z',
  last_used: null,
  source: 'manual',
  tags: [],
  status: 'active',
  superseded_by: null,
};

const opened: { app: FastifyInstance; storage: Storage; clients: Client[] }[] = [];
afterEach(async () => {
  for (const { app, storage, clients } of opened.splice(0)) {
    await Promise.all(clients.map((c) => c.close()));
    await app.close();
    await storage.close();
  }
});

async function tinyMcp(): Promise<{ base: string; audit: AuditService; added: string[]; clients: Client[] }> {
  const storage = await openStorage({ kind: 'memory' });
  const audit = createAuditService({
    store: storage.events,
    clock: { now: () => new Date(T0) },
    log: { warn: () => undefined, error: () => undefined },
    retentionDays: 30,
  });
  const added: string[] = [];
  const refuse = () => Promise.reject(new Error('not used in this test'));
  const backend: ContextBackend = {
    search: refuse,
    composePrompt: refuse,
    add: (input) => {
      added.push(input.content);
      return Promise.resolve(UNIT);
    },
    update: refuse,
    supersede: refuse,
    delete: refuse,
    list: () => Promise.resolve([UNIT]),
    get: () => Promise.resolve(UNIT),
    stats: refuse,
    watch: () => () => undefined,
  };
  const sessions = createMcpSessions({
    createServer: () =>
      createMcpServer(backend, { ...errorOptions({ error: () => undefined }), ...scopeOptions(audit) }),
    maxSessions: 10,
    idleMs: 60_000,
    now: () => T0,
  });
  const app = Fastify();
  app.addHook('onRequest', (request, _reply, done) => {
    const header = request.headers['x-test-scopes'];
    request.keyFingerprint = 'abcd1234';
    request.principal = {
      keyId: 'key-1',
      personId: 'person-1',
      scopes: new Set(typeof header === 'string' ? header.split(',').filter(isScope) : []),
    };
    done();
  });
  app.addHook('preClose', () => sessions.closeAll());
  mcpRoutes(app, { sessions });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (typeof address !== 'object' || address === null) {
    throw new Error('no address');
  }
  const clients: Client[] = [];
  opened.push({ app, storage, clients });
  return { base: `http://127.0.0.1:${address.port}`, audit, added, clients };
}

async function connect(target: { base: string; clients: Client[] }, scopes: string): Promise<Client> {
  const client = new Client({ name: 'scope-test', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL('/mcp', target.base), {
      requestInit: { headers: { 'x-test-scopes': scopes } },
    }),
  );
  target.clients.push(client);
  return client;
}

describe('/mcp with the scopes of the request’s key', () => {
  it('lists every tool and lets contexts:read list, but refuses add_context with a tool error and a forbidden event', async () => {
    const target = await tinyMcp();
    const client = await connect(target, 'contexts:read');
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual([...MCP_TOOL_NAMES].sort());

    const listed = (await client.callTool({ name: 'list_contexts', arguments: {} })) as CallToolResult;
    expect(listed.isError ?? false).toBe(false);
    expect(listed.structuredContent).toEqual({ units: [UNIT], count: 1 });

    const refused = (await client.callTool({
      name: 'add_context',
      arguments: { type: 'fact', content: 'not stored' },
    })) as CallToolResult;
    expect(refused.isError).toBe(true);
    expect(refused.content).toEqual([{ type: 'text', text: 'This API key lacks the "contexts:write" scope' }]);
    expect(target.added).toEqual([]);

    const events = await target.audit.list({ limit: 10, offset: 0, event: 'forbidden' });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      event: 'forbidden',
      outcome: 'missing_scope',
      method: 'POST',
      path: '/mcp',
      actor: 'api_key:abcd1234',
      details: { scope: 'contexts:write', tool: 'add_context' },
    });
  });

  it('lets a key with contexts:write add, and admin do everything', async () => {
    const target = await tinyMcp();
    for (const scopes of ['contexts:write', 'admin']) {
      const client = await connect(target, scopes);
      const result = (await client.callTool({
        name: 'add_context',
        arguments: { type: 'fact', content: scopes },
      })) as CallToolResult;
      expect(result.isError ?? false, scopes).toBe(false);
    }
    expect(target.added).toEqual(['contexts:write', 'admin']);
    expect(await target.audit.list({ limit: 10, offset: 0, event: 'forbidden' })).toEqual([]);
  });

  it('checks the scopes of each request, not those of the one that opened the session', async () => {
    const target = await tinyMcp();
    // A client whose requests carry different scopes over one session: the first (initialize) one has admin.
    let scopes = 'admin';
    const client = new Client({ name: 'scope-test', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL('/mcp', target.base), {
        fetch: (url, init) => {
          const headers = new Headers(init?.headers);
          headers.set('x-test-scopes', scopes);
          return fetch(url, { ...init, headers });
        },
      }),
    );
    target.clients.push(client);
    scopes = 'prompts';
    const refused = (await client.callTool({
      name: 'get_context',
      arguments: { id: 'u1' },
    })) as CallToolResult;
    expect(refused.content).toEqual([{ type: 'text', text: 'This API key lacks the "contexts:read" scope' }]);
  });
});
