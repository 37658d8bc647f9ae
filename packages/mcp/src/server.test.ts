import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';

import { ApiError } from '@contextpilot/client';
import type { ContextUnit } from '@contextpilot/contract';

import type { ContextBackend } from './backend.js';
import { createMcpServer, UNEXPECTED_ERROR_MESSAGE, type McpServerOptions } from './server.js';

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
