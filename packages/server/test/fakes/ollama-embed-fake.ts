import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';

import { closeServer, readRequest, serveOnLoopback } from './loopback.js';

/**
 * How the next request misbehaves. Status codes answer with that status and an error body; `malformed-json` sends
 * 200 with a body that is not JSON; `hang` never answers (until the client gives up or the fake closes);
 * `disconnect` drops the socket; `ragged`, `wrong-count` and `non-numeric` send 200 with broken vectors;
 * `{redirect, location}` answers with that redirect status and `Location`.
 */
export type FakeFailureMode =
  | 401
  | 429
  | 500
  | 503
  | 'malformed-json'
  | 'hang'
  | 'disconnect'
  | 'ragged'
  | 'wrong-count'
  | 'non-numeric'
  | { redirect: 301 | 302 | 303 | 307 | 308; location: string };

/** Failures that change the vectors of an otherwise well-formed answer; each fake renders them in its own format. */
export type OutputFault = Extract<FakeFailureMode, 'ragged' | 'wrong-count' | 'non-numeric'>;

/** One request as the fake saw it. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body, or the raw text when it was not JSON. */
  body: unknown;
}

/** A running loopback fake. */
export interface EmbeddingFake {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  url: string;
  /** Every request received, in order, including the ones told to fail. */
  requests: RecordedRequest[];
  /** Makes the next `count` requests (default 1) misbehave as `mode`. */
  failNext(mode: FakeFailureMode, count?: number): void;
  close(): Promise<void>;
}

/** A JSON answer from a fake's wire-protocol handler. */
export interface FakeReply {
  status: number;
  json: unknown;
}

/**
 * Deterministic stand-in for a model: the same text always gives the same vector. Values come from SHA-256 of the
 * text and a counter, scaled to about ±3 so that the vectors are deliberately not unit length (the providers must
 * normalise them).
 */
export function fakeVector(text: string, dimension: number): number[] {
  const out: number[] = [];
  for (let block = 0; out.length < dimension; block++) {
    const digest = createHash('sha256').update(`${block}:${text}`).digest();
    for (const byte of digest) {
      if (out.length === dimension) {
        break;
      }
      out.push(((byte - 127.5) / 127.5) * 3);
    }
  }
  return out;
}

/** Applies an output fault to a list of vectors (ragged: last one shorter; wrong-count: one missing; non-numeric). */
export function breakVectors(vectors: unknown[][], fault: OutputFault): unknown[][] {
  switch (fault) {
    case 'ragged':
      return vectors.map((v, i) => (i === vectors.length - 1 ? v.slice(0, -1) : v));
    case 'wrong-count':
      return vectors.slice(1);
    case 'non-numeric':
      return vectors.map((v, i) => (i === 0 ? ['not a number', ...v.slice(1)] : v));
  }
}

/** The `input` field of an embedding request: one string or an array of strings. */
export function readInputs(body: unknown): string[] | undefined {
  if (typeof body !== 'object' || body === null || !('input' in body)) {
    return undefined;
  }
  const { input } = body;
  if (typeof input === 'string') {
    return [input];
  }
  if (Array.isArray(input) && input.every((x): x is string => typeof x === 'string')) {
    return input;
  }
  return undefined;
}

/**
 * Starts a loopback HTTP server that records each request, applies queued failures, and otherwise answers with
 * `handle(request, outputFault)`. Shared by the embedding fakes so each only describes its own wire format.
 */
export async function startJsonFake(
  handle: (request: RecordedRequest, fault: OutputFault | undefined) => FakeReply,
): Promise<EmbeddingFake> {
  const requests: RecordedRequest[] = [];
  const queue: FakeFailureMode[] = [];
  const server = createServer((req, res) => {
    void readRequest(req).then(
      (request: RecordedRequest) => {
        requests.push(request);
        respond(req, res, request, queue.shift(), handle);
      },
      // The client went away mid-body (e.g. it timed out): nothing to answer.
      () => req.socket.destroy(),
    );
  });
  return {
    url: await serveOnLoopback(server),
    requests,
    failNext(mode, count = 1) {
      for (let i = 0; i < count; i++) {
        queue.push(mode);
      }
    },
    close: () => closeServer(server),
  };
}

function respond(
  req: IncomingMessage,
  res: ServerResponse,
  request: RecordedRequest,
  failure: FakeFailureMode | undefined,
  handle: (request: RecordedRequest, fault: OutputFault | undefined) => FakeReply,
): void {
  if (failure === 'hang') {
    return;
  }
  if (failure === 'disconnect') {
    req.socket.destroy();
    return;
  }
  if (typeof failure === 'object') {
    res.writeHead(failure.redirect, { location: failure.location, 'content-type': 'text/plain' }).end('Moved.');
    return;
  }
  if (typeof failure === 'number') {
    sendJson(res, failure, { error: `fake failure ${failure}` });
    return;
  }
  if (failure === 'malformed-json') {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"embeddings": [[0.1, 0.2');
    return;
  }
  const reply = handle(request, failure);
  sendJson(res, reply.status, reply.json);
}

function sendJson(res: ServerResponse, status: number, json: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
}

/** Options for {@link startOllamaEmbedFake}. */
export interface OllamaEmbedFakeOptions {
  /** Vector length. Default 8. */
  dimension?: number;
  /** When set, any other model gets Ollama's 404 "not found, try pulling it first". */
  model?: string;
}

/**
 * A loopback Ollama that speaks `POST /api/embed` (`{model, input, truncate?}` → `{model, embeddings}`) with
 * deterministic vectors. Other paths answer 404 like Ollama does.
 */
export function startOllamaEmbedFake(options: OllamaEmbedFakeOptions = {}): Promise<EmbeddingFake> {
  const dimension = options.dimension ?? 8;
  return startJsonFake((request, fault) => {
    if (request.method !== 'POST' || request.path !== '/api/embed') {
      return { status: 404, json: '404 page not found' };
    }
    const body = request.body;
    const model = typeof body === 'object' && body !== null && 'model' in body ? body.model : undefined;
    const inputs = readInputs(body);
    if (typeof model !== 'string' || inputs === undefined) {
      return { status: 400, json: { error: 'invalid input type' } };
    }
    if (options.model !== undefined && model !== options.model) {
      return { status: 404, json: { error: `model "${model}" not found, try pulling it first` } };
    }
    const vectors = inputs.map((text) => fakeVector(text, dimension));
    const embeddings = fault === undefined ? vectors : breakVectors(vectors, fault);
    return {
      status: 200,
      json: { model, embeddings, total_duration: 1000, load_duration: 10, prompt_eval_count: inputs.length },
    };
  });
}
