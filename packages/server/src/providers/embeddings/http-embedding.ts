import { setTimeout as delay } from 'node:timers/promises';

import { chunkText, estimateTokens } from '../../domain/chunking.js';
import type { Embedder } from './embedder.js';
import { EmbeddingError, normalize } from './embedder.js';

/** Waits between attempts: one entry per retry, so two entries mean at most three attempts. */
export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [200, 400];

/** How to reach one HTTP embedding endpoint. */
export interface JsonPostOptions {
  /** Human-readable provider name used in every error message (e.g. `Ollama`). */
  provider: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
  timeoutMs: number;
  fetch: typeof fetch;
  retryDelaysMs: readonly number[];
  /** Aborting (the caller's client went away) ends the request and any retry at once. */
  signal?: AbortSignal | undefined;
}

/** The outcome of one attempt that may be worth repeating. */
type Attempt = { kind: 'ok'; text: string } | { kind: 'retryable'; error: EmbeddingError };

/**
 * POSTs a JSON body and returns the parsed JSON response.
 *
 * Each attempt has its own `AbortSignal.timeout(timeoutMs)`, covering the response headers and body. Connection
 * errors, 429 and 5xx are retried after each delay in `retryDelaysMs`; a timeout is not retried, because the caller's
 * budget is already spent. A redirect is never followed (nor retried). Error messages name the provider and the HTTP
 * status only: the request body holds user content and the headers may hold a key, so neither is ever quoted.
 *
 * @throws EmbeddingError on any failure (HTTP status, connection, timeout, invalid JSON).
 */
export async function postJson(options: JsonPostOptions): Promise<unknown> {
  const payload = JSON.stringify(options.body);
  for (let attempt = 0; ; attempt++) {
    const result = await attemptPost(options, payload);
    if (result.kind === 'ok') {
      return parseJson(options.provider, result.text);
    }
    const delayMs = options.retryDelaysMs[attempt];
    if (delayMs === undefined || options.signal?.aborted) {
      throw result.error;
    }
    try {
      await delay(delayMs, undefined, { signal: options.signal });
    } catch {
      // Aborted while waiting: no further attempt.
      throw result.error;
    }
  }
}

async function attemptPost(options: JsonPostOptions, payload: string): Promise<Attempt> {
  const { provider } = options;
  let response: Response;
  try {
    response = await options.fetch(options.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...options.headers },
      body: payload,
      signal:
        options.signal === undefined
          ? AbortSignal.timeout(options.timeoutMs)
          : AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs)]),
      // The texts are the user's contexts: they go to the configured endpoint or nowhere.
      redirect: 'manual',
    });
  } catch (error) {
    return transportFailure(provider, error, options.timeoutMs);
  }
  if (!response.ok) {
    // Release the connection; the error body is not needed (and may echo the input).
    await response.body?.cancel();
    if (response.status >= 300 && response.status < 400) {
      throw new EmbeddingError(
        `${provider} embedding endpoint answered with a redirect (HTTP ${response.status}), which is not followed; check its base URL`,
      );
    }
    const error = new EmbeddingError(`${provider} embedding request failed with HTTP ${response.status}`);
    if (!isRetryableStatus(response.status)) {
      throw error;
    }
    return { kind: 'retryable', error };
  }
  try {
    return { kind: 'ok', text: await response.text() };
  } catch (error) {
    return transportFailure(provider, error, options.timeoutMs);
  }
}

/** A thrown fetch or body read: a timeout is final, anything else is a broken connection and worth a retry. */
function transportFailure(provider: string, error: unknown, timeoutMs: number): Attempt {
  if (isTimeout(error)) {
    throw new EmbeddingError(`${provider} embedding request timed out after ${timeoutMs} ms`, { cause: error });
  }
  const code = connectionErrorCode(error);
  const detail = code === undefined ? '' : ` (${code})`;
  return {
    kind: 'retryable',
    error: new EmbeddingError(`${provider} embedding request failed: connection error${detail}`, { cause: error }),
  };
}

function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
}

/** undici wraps the socket error (`ECONNREFUSED`, `ECONNRESET`…) as the `cause` of a generic `fetch failed`. */
function connectionErrorCode(error: unknown): string | undefined {
  const cause = error instanceof Error ? error.cause : undefined;
  if (typeof cause === 'object' && cause !== null && 'code' in cause && typeof cause.code === 'string') {
    return cause.code;
  }
  return undefined;
}

function parseJson(provider: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new EmbeddingError(`${provider} returned a response that is not valid JSON`, { cause: error });
  }
}

/**
 * Checks one returned embedding and turns it into an L2-normalised Float32Array.
 *
 * @param expectedDimension the known dimension, or `undefined` while it is being discovered.
 * @throws EmbeddingError if it is not a non-empty array of finite numbers of the expected length.
 */
export function toVector(provider: string, value: unknown, expectedDimension: number | undefined): Float32Array {
  if (!Array.isArray(value) || value.length === 0) {
    throw new EmbeddingError(`${provider} returned an embedding that is not a non-empty array`);
  }
  if (expectedDimension !== undefined && value.length !== expectedDimension) {
    throw new EmbeddingError(
      `${provider} returned an embedding of dimension ${value.length}, expected ${expectedDimension}`,
    );
  }
  const vector = new Float32Array(value.length);
  for (let i = 0; i < value.length; i++) {
    const x: unknown = value[i];
    if (typeof x !== 'number' || !Number.isFinite(x)) {
      throw new EmbeddingError(`${provider} returned an embedding with a value that is not a finite number`);
    }
    vector[i] = x;
  }
  return normalize(vector);
}

/**
 * Splits inputs into request-sized batches, in order: at most `maxInputs` per batch and, when given, at most
 * `maxTokens` estimated tokens per batch (a single input over the token cap still gets a batch of its own).
 */
export function toBatches(
  inputs: readonly string[],
  maxInputs: number,
  maxTokens = Number.POSITIVE_INFINITY,
): string[][] {
  const batches: string[][] = [];
  let current: string[] = [];
  let currentTokens = 0;
  for (const input of inputs) {
    const tokens = estimateTokens(input);
    if (current.length > 0 && (current.length >= maxInputs || currentTokens + tokens > maxTokens)) {
      batches.push(current);
      current = [];
      currentTokens = 0;
    }
    current.push(input);
    currentTokens += tokens;
  }
  if (current.length > 0) {
    batches.push(current);
  }
  return batches;
}

/** What a concrete HTTP provider supplies: how to embed one batch; everything else is shared. */
export interface HttpEmbedderSpec {
  provider: string;
  modelId: string;
  /** Token budget per input, counted with `estimateTokens`; longer documents are chunked to fit. */
  maxInputTokens: number;
  /** Most chunks embedded per document; the rest of a longer one is left to full-text search. */
  maxChunks: number;
  /** Most inputs in one request. */
  maxBatchInputs: number;
  /** Most estimated tokens in one request (for APIs with a per-request token limit). */
  maxBatchTokens?: number;
  /** The dimension the caller asked for, if any; otherwise `init()` learns it from the probe. */
  requestedDimension?: number;
  /**
   * Embeds one batch and returns one normalised vector per input, in input order (the count is checked by the
   * caller). `expectedDimension` is `undefined` only while `init()` discovers it.
   */
  embedBatch(inputs: string[], expectedDimension: number | undefined, signal?: AbortSignal): Promise<Float32Array[]>;
}

const PROBE_TEXT = 'ContextPilot embedding probe';

/**
 * Builds an {@link Embedder} over an HTTP batch call: rejects empty texts before any request, chunks documents to
 * the token budget, batches the chunks of all documents together, and discovers the dimension in `init()` with a
 * probe request (which also proves the endpoint and model work).
 */
export function createHttpEmbedder(spec: HttpEmbedderSpec): Embedder {
  let dimension: number | undefined;

  function requireDimension(): number {
    if (dimension === undefined) {
      throw new EmbeddingError(`${spec.provider} embedder used before init()`);
    }
    return dimension;
  }

  /** One request; a provider that answers with the wrong number of vectors would misalign every later document. */
  async function embedChecked(
    batch: string[],
    expected: number | undefined,
    signal?: AbortSignal,
  ): Promise<Float32Array[]> {
    const vectors = await spec.embedBatch(batch, expected, signal);
    if (vectors.length !== batch.length) {
      throw new EmbeddingError(`${spec.provider} returned ${vectors.length} embeddings for ${batch.length} inputs`);
    }
    return vectors;
  }

  async function embedAll(inputs: readonly string[], signal: AbortSignal | undefined): Promise<Float32Array[]> {
    const expected = requireDimension();
    const vectors: Float32Array[] = [];
    // Sequential on purpose: a local Ollama serves one batch at a time anyway, and hosted APIs rate-limit bursts.
    for (const batch of toBatches(inputs, spec.maxBatchInputs, spec.maxBatchTokens)) {
      vectors.push(...(await embedChecked(batch, expected, signal)));
    }
    return vectors;
  }

  return {
    modelId: spec.modelId,
    get dimension() {
      return dimension ?? 0;
    },
    async init() {
      const [vector] = await embedChecked([PROBE_TEXT], spec.requestedDimension);
      dimension = vector?.length;
    },
    async embedDocuments(texts, options = {}) {
      rejectEmpty(spec.provider, texts);
      const chunksPerText = texts.map((text) => chunkText(text, spec.maxInputTokens, spec.maxChunks));
      const vectors = await embedAll(chunksPerText.flat(), options.signal);
      return regroup(chunksPerText, vectors);
    },
    async embedQuery(text, options = {}) {
      rejectEmpty(spec.provider, [text]);
      // A query is one vector: keep the first chunk so an over-long query is truncated rather than rejected.
      const [first = text] = chunkText(text, spec.maxInputTokens, 1);
      const [vector] = await embedAll([first], options.signal);
      if (vector === undefined) {
        throw new EmbeddingError(`${spec.provider} returned no embedding for the query`);
      }
      return vector;
    },
    async close() {
      // Nothing to release: each request owns its connection.
    },
  };
}

function rejectEmpty(provider: string, texts: readonly string[]): void {
  if (texts.some((text) => text.trim() === '')) {
    throw new EmbeddingError(`${provider}: cannot embed empty text`);
  }
}

/** Gives each document back its own run of chunk vectors from the flat list. */
function regroup(chunksPerText: readonly string[][], vectors: readonly Float32Array[]): Float32Array[][] {
  const out: Float32Array[][] = [];
  let offset = 0;
  for (const chunks of chunksPerText) {
    out.push(vectors.slice(offset, offset + chunks.length));
    offset += chunks.length;
  }
  return out;
}

/** Joins a base URL and a path without doubling or dropping the slash between them. */
export function joinUrl(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}
