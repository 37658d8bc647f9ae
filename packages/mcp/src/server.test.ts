import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';

import { ApiError } from '@contextpilot/client';
import type { ContextUnit } from '@contextpilot/contract';

import type { ContextBackend } from './backend.js';
import {
  createMcpServer,
  MCP_TOOL_NAMES,
  MCP_TOOL_SCOPES,
  UNEXPECTED_ERROR_MESSAGE,
  type CallInfo,
  type ForbiddenCall,
  type McpServerOptions,
} from './server.js';

const UNIT: ContextUnit = {
  id: 'u1',
  type: 'fact',
  content: 'The sky is blue',
  confidence: 1,
  created_at: '2026-01-02T03:04:05.123Z',
  last_used: null,
  source: 'manual',
  tags: ['sky'],
  status: 'active',
  superseded_by: null,
};

/** A backend whose every operation answers with `get`'s outcome; only what a test needs is filled in. */
function backend(get: () => Promise<ContextUnit>): ContextBackend {
  const refuse = () => Promise.reject(new Error('not used in this test'));
  return {
    search: refuse,
    composePrompt: refuse,
    add: refuse,
    update: refuse,
    supersede: refuse,
    delete: refuse,
    list: refuse,
    get,
    stats: refuse,
    watch: () => () => undefined,
  };
}

async function connected(b: ContextBackend, options: McpServerOptions = {}) {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const server = createMcpServer(b, options);
  await server.connect(serverSide);
  const client = new Client({ name: 'test', version: '1.0.0' });
  await client.connect(clientSide);
  return client;
}

const textOf = (result: CallToolResult) => (result.content[0]?.type === 'text' ? result.content[0].text : '');

describe('createMcpServer', () => {
  it('returns the structured unit and a short text', async () => {
    const client = await connected(backend(() => Promise.resolve(UNIT)));
    const result = (await client.callTool({ name: 'get_context', arguments: { id: 'u1' } })) as CallToolResult;
    expect(result.structuredContent).toEqual(UNIT);
    expect(textOf(result)).toBe('fact u1: The sky is blue [sky]');
  });

  it("answers an ApiError with the API's message as a tool error", async () => {
    const client = await connected(
      backend(() => Promise.reject(new ApiError(404, 'HTTP_ERROR', 'Context unit u2 not found'))),
    );
    const result = (await client.callTool({ name: 'get_context', arguments: { id: 'u2' } })) as CallToolResult;
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe('Context unit u2 not found');
  });

  it('answers an unexpected error with a generic message and hands the error to onUnexpectedError', async () => {
    const seen: unknown[] = [];
    const failure = new Error('SQLITE_CORRUPT at /var/lib/secret.db');
    const client = await connected(
      backend(() => Promise.reject(failure)),
      { onUnexpectedError: (error) => seen.push(error) },
    );
    const result = (await client.callTool({ name: 'get_context', arguments: { id: 'u1' } })) as CallToolResult;
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe(UNEXPECTED_ERROR_MESSAGE);
    expect(seen).toEqual([failure]);
  });

  it('uses describeError for errors of the backend it knows', async () => {
    class Refused extends Error {}
    const client = await connected(
      backend(() => Promise.reject(new Refused('Storage unavailable, try again later'))),
      { describeError: (error) => (error instanceof Refused ? error.message : null) },
    );
    const result = (await client.callTool({ name: 'get_context', arguments: { id: 'u1' } })) as CallToolResult;
    expect(textOf(result)).toBe('Storage unavailable, try again later');
  });

  it('runs beforeCall with the cost of the call, and a refusal there stops the call', async () => {
    const costs: string[] = [];
    let calls = 0;
    const b = backend(() => Promise.resolve(UNIT));
    b.add = () => {
      calls++;
      return Promise.resolve(UNIT);
    };
    const client = await connected(b, {
      beforeCall: (cost) => {
        costs.push(cost);
        return Promise.reject(new ApiError(429, 'RATE_LIMIT_EXCEEDED', 'Rate limit exceeded: 100 per 1 minute'));
      },
    });
    const result = (await client.callTool({
      name: 'add_context',
      arguments: { type: 'fact', content: 'x' },
    })) as CallToolResult;
    expect(textOf(result)).toBe('Rate limit exceeded: 100 per 1 minute');
    expect(calls).toBe(0);
    await client.callTool({ name: 'compose_prompt', arguments: { task: 't', compact: true } });
    await client.callTool({ name: 'get_context', arguments: { id: 'u1' } });
    expect(costs).toEqual(['create', 'rank-compact']);
  });
});

describe('scopes', () => {
  /** A backend that answers reads with UNIT and counts the writes that reach it. */
  function counting() {
    const writes: string[] = [];
    const b = backend(() => Promise.resolve(UNIT));
    b.list = () => Promise.resolve([UNIT]);
    b.add = () => {
      writes.push('add');
      return Promise.resolve(UNIT);
    };
    b.composePrompt = () => {
      writes.push('rank');
      return Promise.reject(new Error('not used in this test'));
    };
    return { b, writes };
  }

  it('lets a caller with only contexts:read list and read, and refuses adding with the API’s 403 message', async () => {
    const { b, writes } = counting();
    const forbidden: ForbiddenCall[] = [];
    const client = await connected(b, {
      grantedScopes: () => ['contexts:read'],
      onForbidden: (call) => forbidden.push(call),
    });
    // The list still names every tool, the ones the caller may not use included.
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([...MCP_TOOL_NAMES].sort());

    const listed = (await client.callTool({ name: 'list_contexts', arguments: {} })) as CallToolResult;
    expect(listed.isError ?? false).toBe(false);
    expect(listed.structuredContent).toEqual({ units: [UNIT], count: 1 });
    const read = await client.readResource({ uri: 'contextpilot://contexts/u1' });
    expect(read.contents).toHaveLength(1);

    const added = (await client.callTool({
      name: 'add_context',
      arguments: { type: 'fact', content: 'x' },
    })) as CallToolResult;
    expect(added.isError).toBe(true);
    expect(textOf(added)).toBe('This API key lacks the "contexts:write" scope');
    await expect(client.getPrompt({ name: 'with-my-context', arguments: { task: 't' } })).rejects.toThrow(
      'This API key lacks the "prompts" scope',
    );
    expect(writes).toEqual([]);
    expect(forbidden).toEqual([
      { scope: 'contexts:write', kind: 'tool', name: 'add_context' },
      { scope: 'prompts', kind: 'prompt', name: 'with-my-context' },
    ]);
  });

  it('refuses resource reads without contexts:read and lists no units then', async () => {
    const forbidden: ForbiddenCall[] = [];
    const client = await connected(counting().b, {
      grantedScopes: () => ['prompts'],
      onForbidden: (call) => forbidden.push(call),
    });
    await expect(client.readResource({ uri: 'contextpilot://contexts' })).rejects.toThrow(
      'This API key lacks the "contexts:read" scope',
    );
    await expect(client.readResource({ uri: 'contextpilot://contexts/u1' })).rejects.toThrow(
      'This API key lacks the "contexts:read" scope',
    );
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri)).not.toContain('contextpilot://contexts/u1');
    expect(resources.map((r) => r.uri)).toContain('contextpilot://contexts');
    expect(forbidden.map((f) => `${f.kind} ${f.name}`)).toEqual([
      'resource contextpilot://contexts',
      'resource contextpilot://contexts/u1',
    ]);
  });

  it('reads the caller’s scopes per call, and lets admin do everything', async () => {
    const { b, writes } = counting();
    const seen: CallInfo[] = [];
    const client = await connected(b, {
      grantedScopes: (info) => {
        seen.push(info);
        return ['admin'];
      },
    });
    expect(
      ((await client.callTool({ name: 'add_context', arguments: { type: 'fact', content: 'x' } })) as CallToolResult)
        .isError ?? false,
    ).toBe(false);
    expect(writes).toEqual(['add']);
    expect(seen).toHaveLength(1);
  });

  it('declares the scope of every tool: that of the REST route doing the same work', () => {
    expect(MCP_TOOL_SCOPES).toEqual({
      search_context: 'prompts',
      compose_prompt: 'prompts',
      add_context: 'contexts:write',
      update_context: 'contexts:write',
      supersede_context: 'contexts:write',
      delete_context: 'contexts:write',
      list_contexts: 'contexts:read',
      get_context: 'contexts:read',
      context_stats: 'contexts:read',
    });
  });
});
