/**
 * The benchmark's fallback (used when the shared `test/fakes/openai-chat-fake.ts` is missing, see chat-fake.ts).
 * A loopback OpenAI-compatible chat server: `POST /v1/chat/completions` answers at once, as JSON
 * or, with `stream: true`, as SSE chunks (`chat.completion.chunk` … `[DONE]`); `GET /v1/models` lists one model.
 * It runs in the benchmark's own process, so the time it writes its first token and the time the client reads the
 * first `delta` event are on the same clock (performance.now()). After the first content chunk it waits `gapMs`
 * before the rest, so a server that buffered the stream instead of relaying it would show the gap.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface FakeCall {
  stream: boolean;
  /** performance.now() when the request body was read. */
  receivedAt: number;
  /** performance.now() just after the first content chunk was written (streams only). */
  firstChunkAt: number | null;
  /** Time the fake spent from reading the body to finishing the response, gap excluded. */
  handlerMs: number;
}

export interface ChatFake {
  baseUrl: string;
  calls: FakeCall[];
  close(): Promise<void>;
}

const CHUNKS = ['Here is', ' a short plan', ' based on', ' your context:', ' start with', ' the first step.'];

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    request.on('data', (chunk: Buffer) => parts.push(chunk));
    request.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    request.on('error', reject);
  });
}

export async function startChatFake(options: { gapMs?: number } = {}): Promise<ChatFake> {
  const gapMs = options.gapMs ?? 20;
  const calls: FakeCall[] = [];
  let sequence = 0;

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = request.url ?? '/';
    if (request.method === 'GET' && url.startsWith('/v1/models')) {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({ object: 'list', data: [{ id: 'gpt-4o', object: 'model', created: 0, owned_by: 'bench' }] }),
      );
      return;
    }
    if (request.method !== 'POST' || !url.startsWith('/v1/chat/completions')) {
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({ error: { message: 'Not found', type: 'invalid_request_error', param: null, code: null } }),
      );
      return;
    }
    const text = await readBody(request);
    const receivedAt = performance.now();
    const body = JSON.parse(text) as { model?: string; stream?: boolean; stream_options?: { include_usage?: boolean } };
    const model = body.model ?? 'gpt-4o';
    const id = `chatcmpl-bench-${++sequence}`;
    const created = Math.floor(Date.now() / 1000);
    const usage = {
      prompt_tokens: Math.ceil(text.length / 4),
      completion_tokens: CHUNKS.length,
      total_tokens: Math.ceil(text.length / 4) + CHUNKS.length,
    };
    if (!body.stream) {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          id,
          object: 'chat.completion',
          created,
          model,
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content: CHUNKS.join(''), refusal: null },
              finish_reason: 'stop',
              logprobs: null,
            },
          ],
          usage,
        }),
      );
      calls.push({ stream: false, receivedAt, firstChunkAt: null, handlerMs: performance.now() - receivedAt });
      return;
    }
    const chunk = (delta: Record<string, unknown>, finishReason: string | null) =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }] })}\n\n`;
    response.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    response.write(chunk({ role: 'assistant', content: '' }, null));
    response.write(chunk({ content: CHUNKS[0] }, null));
    const firstChunkAt = performance.now();
    const beforeGap = firstChunkAt - receivedAt;
    await new Promise((resolve) => setTimeout(resolve, gapMs));
    const afterGap = performance.now();
    for (const piece of CHUNKS.slice(1)) {
      response.write(chunk({ content: piece }, null));
    }
    response.write(chunk({}, 'stop'));
    if (body.stream_options?.include_usage) {
      response.write(
        `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage })}\n\n`,
      );
    }
    response.end('data: [DONE]\n\n');
    calls.push({ stream: true, receivedAt, firstChunkAt, handlerMs: beforeGap + (performance.now() - afterGap) });
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      response.writeHead(500, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({ error: { message: String(error), type: 'server_error', param: null, code: null } }),
      );
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
