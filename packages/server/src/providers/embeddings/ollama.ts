import type { Embedder } from './embedder.js';
import { EmbeddingError } from './embedder.js';
import { createHttpEmbedder, DEFAULT_RETRY_DELAYS_MS, joinUrl, postJson, toVector } from './http-embedding.js';

const PROVIDER = 'Ollama';

/** Options for {@link createOllamaEmbedder}. */
export interface OllamaEmbedderOptions {
  /** e.g. `http://127.0.0.1:11434`; the only host this embedder contacts. */
  baseUrl: string;
  /** An Ollama embedding model, e.g. `nomic-embed-text`. */
  model: string;
  /** Per-request timeout (headers and body). */
  timeoutMs: number;
  /** Token budget per chunk, estimated with `estimateTokens`. Default 512. */
  maxInputTokens?: number;
  /** Most chunks embedded per document. Default 20. */
  maxChunks?: number;
  /** Injected for tests; defaults to the global `fetch`. */
  fetch?: typeof fetch;
  /** Waits before each retry; default 200 ms then 400 ms. */
  retryDelaysMs?: readonly number[];
}

/**
 * Ollama's `POST /api/embed` caps nothing per request, but one request runs as one model batch; 64 keeps a CPU-only
 * server responsive and each request well inside the timeout.
 */
const MAX_BATCH_INPUTS = 64;

/**
 * Embeddings from an Ollama server (`POST {baseUrl}/api/embed`). The dimension is discovered by `init()`, which also
 * checks that the server is reachable and the model is pulled. `truncate: true` makes Ollama cut an input that our
 * token estimate let through but the model's tokenizer finds too long, instead of failing the batch.
 *
 * @throws EmbeddingError from every method on failure (status, timeout, malformed response, empty text).
 */
export function createOllamaEmbedder(options: OllamaEmbedderOptions): Embedder {
  const url = joinUrl(options.baseUrl, '/api/embed');
  const fetchImpl = options.fetch ?? globalThis.fetch;
  return createHttpEmbedder({
    provider: PROVIDER,
    modelId: `ollama/${options.model}`,
    maxInputTokens: options.maxInputTokens ?? 512,
    maxChunks: options.maxChunks ?? 20,
    maxBatchInputs: MAX_BATCH_INPUTS,
    async embedBatch(inputs, expectedDimension, signal) {
      const response = await postJson({
        provider: PROVIDER,
        url,
        headers: {},
        body: { model: options.model, input: inputs, truncate: true },
        timeoutMs: options.timeoutMs,
        fetch: fetchImpl,
        retryDelaysMs: options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS,
        signal,
      });
      return parseEmbedResponse(response, expectedDimension);
    },
  });
}

/** `{embeddings: number[][]}`; every vector must share one dimension even while it is being discovered. */
function parseEmbedResponse(response: unknown, expectedDimension: number | undefined): Float32Array[] {
  if (
    typeof response !== 'object' ||
    response === null ||
    !('embeddings' in response) ||
    !Array.isArray(response.embeddings)
  ) {
    throw new EmbeddingError(`${PROVIDER} returned a response without an embeddings array`);
  }
  const embeddings: unknown[] = response.embeddings;
  const first: unknown = embeddings[0];
  const dimension = expectedDimension ?? (Array.isArray(first) ? first.length : undefined);
  return embeddings.map((embedding) => toVector(PROVIDER, embedding, dimension));
}
