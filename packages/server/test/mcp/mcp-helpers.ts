import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ResourceListChangedNotificationSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { expect } from 'vitest';

/** The SDK's own client, connected over `transport`. */
export async function connectClient(transport: Transport): Promise<Client> {
  const client = new Client({ name: 'contextpilot-test', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

/** A client of `base/mcp` over Streamable HTTP, sending `headers` with every request. */
export function connectHttp(base: string, headers: Record<string, string> = {}): Promise<Client> {
  return connectClient(new StreamableHTTPClientTransport(new URL('/mcp', base), { requestInit: { headers } }));
}

/** A tool call that must succeed: its structured result. */
export async function callOk<T = Record<string, unknown>>(
  client: Client,
  name: string,
  args: Record<string, unknown> = {},
): Promise<T> {
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
  expect(result.isError ?? false, JSON.stringify(result.content)).toBe(false);
  expect(result.content[0]?.type).toBe('text');
  return result.structuredContent as T;
}

/** A tool call that must fail as a tool error (not a protocol error): its message. */
export async function callError(client: Client, name: string, args: unknown): Promise<string> {
  const result = (await client.callTool({ name, arguments: args as Record<string, unknown> })) as CallToolResult;
  expect(result.isError, JSON.stringify(result)).toBe(true);
  expect(result.structuredContent).toBeUndefined();
  const first = result.content[0];
  expect(first?.type).toBe('text');
  const text = first?.type === 'text' ? first.text : '';
  // Never a stack trace or a file path.
  expect(text).not.toMatch(/\bat .*\(|\.ts:\d+|node_modules|SQLITE|\/work\//);
  return text;
}

/** Resolves at the next resources/list_changed notification the client receives. */
export function nextListChanged(client: Client): Promise<void> {
  return new Promise((resolve) => {
    client.setNotificationHandler(ResourceListChangedNotificationSchema, () => resolve());
  });
}
