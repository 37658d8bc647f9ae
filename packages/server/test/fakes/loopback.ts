import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/*
 * What the loopback fakes' servers share: reading and recording a request, listening on a random loopback port,
 * and closing with requests still open.
 */

/**
 * Reads a request to the end and records it as a test sees it: method, target (query string included), headers,
 * and the body parsed as JSON, the raw text when it is not JSON, undefined when empty. Rejects when the client goes
 * away mid-body.
 */
export async function readRequest(req: IncomingMessage) {
  const text = await readBody(req);
  return { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: parseOrRaw(text) };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseOrRaw(text: string): unknown {
  if (text === '') {
    return undefined;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // Recorded as text so a test can see exactly what a client sent.
    return text;
  }
}

/** Starts `server` on a random loopback port; resolves to `http://127.0.0.1:<port>`, no trailing slash. */
export async function serveOnLoopback(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}

/** Closes `server`. Hanging and slow requests hold their sockets open; they are dropped so that close() resolves. */
export function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
}
