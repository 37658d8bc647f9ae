import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';

import { closeServer, readRequest, serveOnLoopback } from './loopback.js';

/*
 * Loopback chat fakes. This file holds the shared server (recording, scripted replies, failure injection, streaming)
 * and the OpenAI protocol; anthropic-fake.ts and ollama-chat-fake.ts describe their own wire formats on top of it.
 */

/**
 * How the next request misbehaves. A status code answers with that status and the provider's own error body;
 * `malformed-json` sends 200 with a body (or a stream event) that is not JSON; `empty-body` sends 200 with nothing;
 * `hang` never answers; `disconnect` drops the socket at once; `slow-stream` answers normally but waits
 * `slowDeltaMs` before each stream event (a JSON answer waits as long as its stream would); `cut-stream` sends the
 * first half of the answer and drops the socket; `{redirect, location}` answers with that redirect status and
 * `Location`; `{endlessBody: status}` answers with that status and a JSON-looking body that never ends.
 */
export type ChatFailureMode =
  | { redirect: 301 | 302 | 303 | 307 | 308; location: string }
  | { endlessBody: number }
  | 400
  | 401
  | 403
  | 404
  | 429
  | 500
  | 503
  | 529
  | 'malformed-json'
  | 'empty-body'
  | 'hang'
  | 'disconnect'
  | 'slow-stream'
  | 'cut-stream';

/** One request as a fake saw it. */
export interface RecordedChatRequest {
  method: string;
  /** The request target, query string included. */
  path: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body, the raw text when it was not JSON, undefined when empty. */
  body: unknown;
  /** The connection closed before the answer was complete: the client went away, or a failure mode dropped it. */
  closedEarly: boolean;
}

/** What the next answers say. */
export interface ReplyScript {
  /** The answer in pieces: one stream event per piece; joined for a JSON answer. */
  deltas: string[];
  /** Default: the provider's normal stop reason. */
  finishReason?: string;
  /** The model the answer names. Default: the requested one. */
  model?: string;
  /** Token counts reported. Default: 17 in, one per delta out. */
  usage?: { input: number; output: number };
  /** Anthropic only: each delta in its own text block of a JSON answer. */
  separateBlocks?: boolean;
}

export type ReplyOptions = Omit<ReplyScript, 'deltas'>;

export const FAKE_INPUT_TOKENS = 17;

/** A running loopback fake. */
export interface ChatFake {
  /** `http://127.0.0.1:<port>`, no trailing slash (OpenAI's base URL is `${url}/v1`). */
  url: string;
  /** Every request received, in order, including the ones told to fail. */
  requests: RecordedChatRequest[];
  /**
   * Scripts every later answer. A string is split into words (each keeping its trailing space), one delta each; an
   * array gives the deltas themselves.
   */
  reply(text: string | string[], options?: ReplyOptions): void;
  /** Makes the next `count` requests (default 1), or the next ones to `path` when given, misbehave as `mode`. */
  failNext(mode: ChatFailureMode, count?: number, path?: string): void;
  close(): Promise<void>;
}

/** One answer from a protocol handler. */
export type FakeAnswer =
  | { kind: 'json'; status: number; body: unknown; headers?: Record<string, string> }
  | { kind: 'text'; status: number; contentType: string; text: string }
  | { kind: 'stream'; contentType: string; frames: string[] };

/** One provider's wire format. */
export interface ChatProtocol {
  /** The answer to a well-behaved request. */
  handle(request: RecordedChatRequest, script: ReplyScript): FakeAnswer;
  /** The provider's error answer with this status. */
  error(status: number, request: RecordedChatRequest): FakeAnswer;
  /** An answer whose JSON is broken, framed as this request expects (a stream or one body). */
  malformed(request: RecordedChatRequest, script: ReplyScript): FakeAnswer;
  /** Whether the request is authorised, when the fake was given a key. */
  authorised(request: RecordedChatRequest, apiKey: string): boolean;
}

export interface ChatFakeOptions {
  /** When set, requests without this key get the provider's 401. */
  apiKey?: string;
  /** Delay before each stream event in `slow-stream` mode. Default 100 ms. */
  slowDeltaMs?: number;
  /** When set, 429 and 5xx failures carry `retry-after-ms` (which the OpenAI and Anthropic SDKs obey). */
  retryAfterMs?: number;
}

interface QueuedFailure {
  mode: ChatFailureMode;
  path: string | undefined;
}

/** Splits a reply into word deltas: `"a b c"` → `["a ", "b ", "c"]`. */
export function splitWords(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [''];
}

/** Starts a loopback server that speaks `protocol`, records each request and applies queued failures. */
export async function startChatFake(protocol: ChatProtocol, options: ChatFakeOptions = {}): Promise<ChatFake> {
  const requests: RecordedChatRequest[] = [];
  const queue: QueuedFailure[] = [];
  let script: ReplyScript = { deltas: splitWords('Hello from the fake model.') };
  const slowDeltaMs = options.slowDeltaMs ?? 100;

  const takeFailure = (path: string): ChatFailureMode | undefined => {
    const index = queue.findIndex((f) => f.path === undefined || path.startsWith(f.path));
    return index === -1 ? undefined : queue.splice(index, 1)[0]?.mode;
  };

  const server = createServer((req, res) => {
    void readRequest(req).then(
      (recorded) => {
        const request: RecordedChatRequest = { ...recorded, closedEarly: false };
        requests.push(request);
        res.on('close', () => {
          if (!res.writableFinished) {
            request.closedEarly = true;
          }
        });
        const failure = takeFailure(request.path);
        respond(req, res, request, failure);
      },
      // The client went away mid-body: nothing to answer.
      () => req.socket.destroy(),
    );
  });

  function respond(
    req: IncomingMessage,
    res: ServerResponse,
    request: RecordedChatRequest,
    failure: ChatFailureMode | undefined,
  ): void {
    if (typeof failure === 'object') {
      if ('redirect' in failure) {
        res.writeHead(failure.redirect, { location: failure.location, 'content-type': 'text/plain' }).end('Moved.');
      } else {
        writeEndlessBody(res, failure.endlessBody);
      }
      return;
    }
    if (failure === 'hang') {
      return;
    }
    if (failure === 'disconnect') {
      req.socket.destroy();
      return;
    }
    if (typeof failure === 'number') {
      const answer = protocol.error(failure, request);
      const retryable = failure === 429 || failure >= 500;
      const extra: Record<string, string> =
        retryable && options.retryAfterMs !== undefined ? { 'retry-after-ms': String(options.retryAfterMs) } : {};
      send(req, res, withHeaders(answer, extra), 'normal');
      return;
    }
    if (failure === 'empty-body') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '0' }).end();
      return;
    }
    if (failure === 'malformed-json') {
      send(req, res, protocol.malformed(request, script), 'normal');
      return;
    }
    if (options.apiKey !== undefined && !protocol.authorised(request, options.apiKey)) {
      send(req, res, protocol.error(401, request), 'normal');
      return;
    }
    const pace = failure === 'slow-stream' ? 'slow' : failure === 'cut-stream' ? 'cut' : 'normal';
    send(req, res, protocol.handle(request, script), pace);
  }

  function send(req: IncomingMessage, res: ServerResponse, answer: FakeAnswer, pace: 'normal' | 'slow' | 'cut'): void {
    if (answer.kind === 'stream') {
      writeFrames(req, res, answer, pace);
      return;
    }
    const text = answer.kind === 'json' ? JSON.stringify(answer.body) : answer.text;
    const contentType = answer.kind === 'json' ? 'application/json' : answer.contentType;
    const headers = { 'content-type': contentType, ...(answer.kind === 'json' ? answer.headers : {}) };
    if (pace === 'cut') {
      res.writeHead(answer.status, headers);
      res.write(text.slice(0, Math.floor(text.length / 2)));
      setTimeout(() => req.socket.destroy(), 20);
      return;
    }
    const write = () => {
      if (!res.destroyed) {
        res.writeHead(answer.status, { ...headers, 'content-length': String(Buffer.byteLength(text)) }).end(text);
      }
    };
    if (pace === 'slow') {
      const timer = setTimeout(write, slowDeltaMs * script.deltas.length);
      res.on('close', () => clearTimeout(timer));
    } else {
      write();
    }
  }

  function writeFrames(
    req: IncomingMessage,
    res: ServerResponse,
    answer: Extract<FakeAnswer, { kind: 'stream' }>,
    pace: 'normal' | 'slow' | 'cut',
  ): void {
    res.writeHead(200, { 'content-type': answer.contentType, 'cache-control': 'no-cache' });
    res.flushHeaders();
    const frames = pace === 'cut' ? answer.frames.slice(0, Math.ceil(answer.frames.length / 2)) : answer.frames;
    if (pace === 'normal') {
      res.end(frames.join(''));
      return;
    }
    let index = 0;
    let timer: NodeJS.Timeout | undefined;
    const next = () => {
      if (res.destroyed) {
        return;
      }
      const frame = frames[index++];
      if (frame === undefined) {
        if (pace === 'cut') {
          req.socket.destroy();
        } else {
          res.end();
        }
        return;
      }
      res.write(frame);
      timer = setTimeout(next, pace === 'slow' ? slowDeltaMs : 10);
    };
    res.on('close', () => clearTimeout(timer));
    next();
  }

  return {
    url: await serveOnLoopback(server),
    requests,
    reply(text, replyOptions = {}) {
      script = { ...replyOptions, deltas: typeof text === 'string' ? splitWords(text) : [...text] };
    },
    failNext(mode, count = 1, path) {
      for (let i = 0; i < count; i++) {
        queue.push({ mode, path });
      }
    },
    close: () => closeServer(server),
  };
}

/** A status and a body that keeps coming (16 KiB every few milliseconds) until the client goes away. */
function writeEndlessBody(res: ServerResponse, status: number): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.write('{"error": {"message": "');
  const chunk = 'x'.repeat(16 * 1024);
  const timer = setInterval(() => res.write(chunk), 2);
  res.on('close', () => clearInterval(timer));
}

function withHeaders(answer: FakeAnswer, extra: Record<string, string>): FakeAnswer {
  return answer.kind === 'json' ? { ...answer, headers: { ...answer.headers, ...extra } } : answer;
}

/** A field of a JSON request body, or undefined. */
export function field(body: unknown, name: string): unknown {
  return typeof body === 'object' && body !== null && name in body
    ? (body as Record<string, unknown>)[name]
    : undefined;
}

export function sse(data: unknown, event?: string): string {
  return `${event === undefined ? '' : `event: ${event}\n`}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;
}

// ---------------------------------------------------------------------------------------------------------------
// OpenAI: POST /v1/chat/completions (JSON, or SSE `data: {chunk}` … `data: [DONE]`), GET /v1/models.

export interface OpenAiChatFakeOptions extends ChatFakeOptions {
  /** Models that answer 400 "Unsupported parameter: 'max_tokens'" like OpenAI's reasoning models (o1, o3, gpt-5…). */
  rejectMaxTokensFor?: string[];
  /** What `GET /v1/models` lists. */
  models?: string[];
}

const REASONING_PREFIXES = ['o1', 'o3', 'o4', 'gpt-5'];

function openAiError(status: number, message: string, type: string, code: string | null, param: string | null = null) {
  return { kind: 'json', status, body: { error: { message, type, param, code } } } satisfies FakeAnswer;
}

/**
 * A loopback OpenAI. Reasoning models (o1/o3/o4/gpt-5 prefixes, and `rejectMaxTokensFor`) refuse `max_tokens` and
 * reasoning models refuse a `temperature`, with OpenAI's own 400 bodies.
 */
export function startOpenAiChatFake(options: OpenAiChatFakeOptions = {}): Promise<ChatFake> {
  const rejectMaxTokens = new Set(options.rejectMaxTokensFor ?? []);
  const models = options.models ?? ['gpt-4o', 'gpt-4o-mini', 'gpt-5.2', 'o1', 'o3-mini'];
  let counter = 0;

  const protocol: ChatProtocol = {
    authorised: (request, apiKey) => request.headers.authorization === `Bearer ${apiKey}`,

    handle(request, script) {
      if (request.method === 'GET' && request.path === '/v1/models') {
        return {
          kind: 'json',
          status: 200,
          body: {
            object: 'list',
            data: models.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'openai' })),
          },
        };
      }
      if (request.method !== 'POST' || request.path !== '/v1/chat/completions') {
        return openAiError(404, `Invalid URL (${request.method} ${request.path})`, 'invalid_request_error', null);
      }
      const body = request.body;
      const model = field(body, 'model');
      const messages = field(body, 'messages');
      if (typeof model !== 'string' || !Array.isArray(messages) || messages.length === 0) {
        return openAiError(400, "Missing required parameter: 'messages'.", 'invalid_request_error', null, 'messages');
      }
      const reasoning = REASONING_PREFIXES.some((p) => model.startsWith(p));
      if ((reasoning || rejectMaxTokens.has(model)) && field(body, 'max_tokens') !== undefined) {
        return openAiError(
          400,
          "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
          'invalid_request_error',
          'unsupported_parameter',
          'max_tokens',
        );
      }
      const temperature = field(body, 'temperature');
      if (reasoning && temperature !== undefined && temperature !== 1) {
        return openAiError(
          400,
          `Unsupported value: 'temperature' does not support ${JSON.stringify(temperature)} with this model. Only the default (1) value is supported.`,
          'invalid_request_error',
          'unsupported_value',
          'temperature',
        );
      }
      counter += 1;
      const id = `chatcmpl-fake${counter}`;
      const answerModel = script.model ?? model;
      const finishReason = script.finishReason ?? 'stop';
      const input = script.usage?.input ?? FAKE_INPUT_TOKENS;
      const output = script.usage?.output ?? script.deltas.length;
      const usage = { prompt_tokens: input, completion_tokens: output, total_tokens: input + output };
      const created = 1_700_000_000 + counter;
      if (field(body, 'stream') === true) {
        const includeUsage = field(field(body, 'stream_options'), 'include_usage') === true;
        const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => ({
          id,
          object: 'chat.completion.chunk',
          created,
          model: answerModel,
          system_fingerprint: 'fp_fake',
          choices,
          ...(includeUsage ? { usage: null } : {}),
          ...extra,
        });
        const choice = (delta: unknown, finish: string | null) => ({
          index: 0,
          delta,
          logprobs: null,
          finish_reason: finish,
        });
        const frames = [
          sse(chunk([choice({ role: 'assistant', content: '', refusal: null }, null)])),
          ...script.deltas.map((d) => sse(chunk([choice({ content: d }, null)]))),
          sse(chunk([choice({}, finishReason)])),
          ...(includeUsage ? [sse(chunk([], { usage }))] : []),
          sse('[DONE]'),
        ];
        return { kind: 'stream', contentType: 'text/event-stream; charset=utf-8', frames };
      }
      return {
        kind: 'json',
        status: 200,
        headers: { 'x-request-id': `req_fake${counter}` },
        body: {
          id,
          object: 'chat.completion',
          created,
          model: answerModel,
          system_fingerprint: 'fp_fake',
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content: script.deltas.join(''), refusal: null, annotations: [] },
              logprobs: null,
              finish_reason: finishReason,
            },
          ],
          usage,
        },
      };
    },

    error(status, request) {
      const model = field(request.body, 'model');
      switch (status) {
        case 400:
          return openAiError(400, 'Invalid request: the fake was told to refuse it.', 'invalid_request_error', null);
        case 401:
          return openAiError(
            401,
            'Incorrect API key provided: sk-fa***ey. You can find your API key at https://platform.openai.com/account/api-keys.',
            'invalid_request_error',
            'invalid_api_key',
          );
        case 403:
          return openAiError(403, 'You are not allowed to sample from this model', 'invalid_request_error', null);
        case 404:
          return openAiError(
            404,
            `The model \`${String(model)}\` does not exist or you do not have access to it.`,
            'invalid_request_error',
            'model_not_found',
          );
        case 429:
          return openAiError(
            429,
            `Rate limit reached for ${String(model)} on requests per min (RPM): Limit 3, Used 3, Requested 1.`,
            'requests',
            'rate_limit_exceeded',
          );
        case 503:
          return openAiError(503, 'The engine is currently overloaded, please try again later', 'server_error', null);
        default:
          return openAiError(
            status,
            'The server had an error while processing your request. Sorry about that!',
            'server_error',
            null,
          );
      }
    },

    malformed(request) {
      if (field(request.body, 'stream') === true) {
        return {
          kind: 'stream',
          contentType: 'text/event-stream; charset=utf-8',
          frames: ['data: {"id": "chatcmpl-broken", "choices": [{"delta": {"content": "Hel\n\n'],
        };
      }
      return {
        kind: 'text',
        status: 200,
        contentType: 'application/json',
        text: '{"id": "chatcmpl-broken", "choices": [',
      };
    },
  };
  return startChatFake(protocol, options);
}
