import type { Readable, Writable } from 'node:stream';

import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';

import type { ContextBackend } from './backend.js';
import { createMcpServer, type McpServerOptions } from './server.js';

/**
 * Serves `backend` over stdio (standard input and output carry the protocol; nothing else may write to stdout).
 * Resolves once connected, to a function that closes the server; the server also closes when the input ends.
 */
export async function runStdioServer(
  backend: ContextBackend,
  options: McpServerOptions & { stdin?: Readable; stdout?: Writable } = {},
): Promise<{ close: () => Promise<void>; closed: Promise<void> }> {
  const { stdin = process.stdin, stdout = process.stdout, ...serverOptions } = options;
  const server = createMcpServer(backend, serverOptions);
  const transport = new StdioServerTransport(stdin, stdout);
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
  });
  // The transport does not notice the end of its input by itself.
  stdin.once('end', () => void server.close());
  await server.connect(transport);
  return { close: () => server.close(), closed };
}
