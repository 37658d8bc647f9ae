import type { Embedder } from './embedder.js';
import { EmbeddingError } from './embedder.js';
import { createHttpEmbedder, DEFAULT_RETRY_DELAYS_MS, joinUrl, postJson, toVector } from './http-embedding.js';

const PROVIDER = 'OpenAI-compatible';

/** Options for {@link createOpenAiCompatibleEmbedder}. */
export interface OpenAiCompatibleEmbedderOptions {
  /** e.g. `https://api.openai.com` or `http://127.0.0.1:8080/v1`; the only host this embedder contacts. */
  baseUrl: string;
  /** e.g. `text-embedding-3-small`. */
  model: string;
  /** Sent as `Authorization: Bearer …` only when set; local servers usually need none. */
  apiKey?: string;
  /** Per-request timeout (headers and body). */
  timeoutMs: number;
  /** Asks the model for shorter vectors (OpenAI v3 models only); part of the model id. */
  dimensions?: number;
  /** Token budget per chunk, estimated with `estimateTokens`. Default 8000 (OpenAI allows 8192 per input). */
  maxInputTokens?: number;
  /** Most chunks embedded per document. Default 20. */
  maxChunks?: number;
  /** Injected for tests; defaults to the global `fetch`. */
  fetch?: typeof fetch;
  /** Waits before each retry; default 200 ms then 400 ms. */
  retryDelaysMs?: readonly number[];
}

/** OpenAI allows 2048 inputs per request; 256 keeps one request's latency and body size modest. */
const MAX_BATCH_INPUTS = 256;
/** OpenAI allows 300k tokens per request; our estimate is rough, so stay well below. */
const MAX_BATCH_TOKENS = 200_000;

/**
 * Embeddings from any server that speaks OpenAI's `POST /v1/embeddings` (OpenAI, llama.cpp, LM Studio, vLLM,
 * LocalAI). The dimension is discovered by `init()`, which also checks the endpoint, model and key.
 *
 * @throws EmbeddingError from every method on failure (status, timeout, malformed response, empty text).
 */
export function createOpenAiCompatibleEmbedder(options: OpenAiCompatibleEmbedderOptions): Embedder {
  const url = embeddingsUrl(options.baseUrl);
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const headers: Record<string, string> = options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {};
  const dimensionSuffix = options.dimensions === undefined ? '' : `@${options.dimensions}`;
  return createHttpEmbedder({
    provider: PROVIDER,
    modelId: `openai-compatible/${options.model}${dimensionSuffix}`,
    maxInputTokens: options.maxInputTokens ?? 8000,
    maxChunks: options.maxChunks ?? 20,
    maxBatchInputs: MAX_BATCH_INPUTS,
    maxBatchTokens: MAX_BATCH_TOKENS,
    requestedDimension: options.dimensions,
    async embedBatch(inputs, expectedDimension, signal) {
      const body =
        options.dimensions === undefined
          ? { model: options.model, input: inputs }
          : { model: options.model, input: inputs, dimensions: options.dimensions };
      const response = await postJson({
        provider: PROVIDER,
        url,
        headers,
        body,
        timeoutMs: options.timeoutMs,
        fetch: fetchImpl,
        retryDelaysMs: options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS,
        signal,
      });
      return parseEmbeddingsResponse(response, inputs.length, expectedDimension);
    },
  });
}

/** Users paste either the server root or the `/v1` base that OpenAI SDKs expect; both must work. */
function embeddingsUrl(baseUrl: string): string {
  const trimmed = baseUrl.replace(/\/+$/, '');
  return trimmed.endsWith('/v1') ? joinUrl(trimmed, 'embeddings') : joinUrl(trimmed, 'v1/embeddings');
}

/**
 * `{data: [{index, embedding}]}`. The spec does not promise `data` is in input order, so vectors are placed by
 * `index`, which must name each input exactly once.
 */
function parseEmbeddingsResponse(
  response: unknown,
  inputCount: number,
  expectedDimension: number | undefined,
): Float32Array[] {
  if (typeof response !== 'object' || response === null || !('data' in response) || !Array.isArray(response.data)) {
    throw new EmbeddingError(`${PROVIDER} returned a response without a data array`);
  }
  const items: unknown[] = response.data;
  if (items.length !== inputCount) {
    throw new EmbeddingError(`${PROVIDER} returned ${items.length} embeddings for ${inputCount} inputs`);
  }
  const byIndex = new Array<Float32Array | undefined>(inputCount).fill(undefined);
  let dimension = expectedDimension;
  for (const item of items) {
    const { index, embedding } = readItem(item, inputCount);
    if (byIndex[index] !== undefined) {
      throw new EmbeddingError(`${PROVIDER} returned index ${index} twice`);
    }
    const vector = toVector(PROVIDER, embedding, dimension);
    // While discovering, the first vector fixes the dimension for the rest of the batch.
    dimension = vector.length;
    byIndex[index] = vector;
  }
  return byIndex.filter((vector): vector is Float32Array => vector !== undefined);
}

function readItem(item: unknown, inputCount: number): { index: number; embedding: unknown } {
  if (typeof item !== 'object' || item === null || !('index' in item) || !('embedding' in item)) {
    throw new EmbeddingError(`${PROVIDER} returned a data item without index and embedding`);
  }
  const { index } = item;
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= inputCount) {
    throw new EmbeddingError(`${PROVIDER} returned an embedding with an invalid index`);
  }
  return { index, embedding: item.embedding };
}
