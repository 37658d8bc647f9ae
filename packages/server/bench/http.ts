/**
 * A small HTTP/1.1 client over node:http with keep-alive, for loopback only: low and steady client overhead, exact
 * timing from the first byte written to the last byte read, a timeout on every request, and SSE reading.
 */
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { performance } from 'node:perf_hooks';

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** From just before the request is written to the end of the response body. */
  ms: number;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  timeoutMs?: number;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** A keep-alive client for one base URL on the loopback interface. */
export function createClient(
  baseUrl: string,
  options: { maxSockets?: number; defaultHeaders?: Record<string, string> } = {},
) {
  const base = new URL(baseUrl);
  if (!LOOPBACK.has(base.hostname)) {
    throw new Error(`the benchmark only talks to loopback addresses, got ${base.hostname}`);
  }
  const agent = new Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 16, keepAliveMsecs: 10_000 });
  const defaults = options.defaultHeaders ?? {};

  function send(path: string, opts: RequestOptions = {}): Promise<HttpResponse> {
    const body = opts.body === undefined ? undefined : Buffer.isBuffer(opts.body) ? opts.body : Buffer.from(opts.body);
    const headers: Record<string, string> = { ...defaults, ...opts.headers };
    if (body !== undefined) {
      headers['content-length'] = String(body.byteLength);
    }
    return new Promise((resolve, reject) => {
      const start = performance.now();
      const req = httpRequest(
        {
          host: base.hostname,
          port: base.port,
          path,
          method: opts.method ?? 'GET',
          headers,
          agent,
          timeout: opts.timeoutMs ?? 30_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks),
              ms: performance.now() - start,
            }),
          );
          res.on('error', reject);
        },
      );
      req.on('timeout', () =>
        req.destroy(new Error(`timeout after ${opts.timeoutMs ?? 30_000} ms: ${opts.method ?? 'GET'} ${path}`)),
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  /**
   * Sends a request answered with Server-Sent Events and calls `onEvent` with each event as it arrives (with the
   * arrival time on the performance clock). Resolves with the status and total time when the stream ends.
   */
  function stream(
    path: string,
    opts: RequestOptions,
    onEvent: (event: { name: string; data: string; at: number }) => void,
  ): Promise<{ status: number; ms: number; body: string }> {
    const body = opts.body === undefined ? undefined : Buffer.from(opts.body);
    const headers: Record<string, string> = { ...defaults, accept: 'text/event-stream', ...opts.headers };
    if (body !== undefined) {
      headers['content-length'] = String(body.byteLength);
    }
    return new Promise((resolve, reject) => {
      const start = performance.now();
      const req = httpRequest(
        {
          host: base.hostname,
          port: base.port,
          path,
          method: opts.method ?? 'POST',
          headers,
          agent,
          timeout: opts.timeoutMs ?? 30_000,
        },
        (res) => {
          let buffered = '';
          let all = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            const at = performance.now();
            all += chunk;
            buffered += chunk;
            let end: number;
            while ((end = buffered.indexOf('\n\n')) !== -1) {
              const raw = buffered.slice(0, end);
              buffered = buffered.slice(end + 2);
              let name = 'message';
              const data: string[] = [];
              for (const line of raw.split('\n')) {
                if (line.startsWith('event:')) {
                  name = line.slice(6).trim();
                } else if (line.startsWith('data:')) {
                  data.push(line.slice(5).trimStart());
                }
              }
              onEvent({ name, data: data.join('\n'), at });
            }
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - start, body: all }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`timeout after ${opts.timeoutMs ?? 30_000} ms: POST ${path}`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  return {
    baseUrl: base.origin,
    send,
    stream,
    /** Sends JSON (object → string) and parses a JSON answer; throws on an unexpected status. */
    async json<T>(
      path: string,
      opts: Omit<RequestOptions, 'body'> & { body?: unknown; expect?: number } = {},
    ): Promise<T> {
      const response = await send(path, {
        ...opts,
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        headers: { ...(opts.body === undefined ? {} : { 'content-type': 'application/json' }), ...opts.headers },
      });
      if (response.status !== (opts.expect ?? 200)) {
        throw new Error(
          `${opts.method ?? 'GET'} ${path}: HTTP ${response.status}: ${response.body.toString('utf8').slice(0, 300)}`,
        );
      }
      return JSON.parse(response.body.toString('utf8')) as T;
    },
    close: () => agent.destroy(),
  };
}
export type Client = ReturnType<typeof createClient>;

/** A multipart/form-data body with one file field. */
export function multipartFile(
  field: string,
  filename: string,
  contentType: string,
  content: Buffer,
): { body: Buffer; contentType: string } {
  const boundary = `----contextpilot-bench-${Math.random().toString(16).slice(2)}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\nContent-Type: ${contentType}\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return { body: Buffer.concat([head, content, tail]), contentType: `multipart/form-data; boundary=${boundary}` };
}
