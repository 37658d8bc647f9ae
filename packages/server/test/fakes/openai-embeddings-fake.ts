import {
  breakVectors,
  type EmbeddingFake,
  fakeVector,
  type FakeReply,
  type OutputFault,
  readInputs,
  type RecordedRequest,
  startJsonFake,
} from './ollama-embed-fake.js';

export type { EmbeddingFake, FakeFailureMode, RecordedRequest } from './ollama-embed-fake.js';

/** Options for {@link startOpenAiEmbeddingsFake}. */
export interface OpenAiEmbeddingsFakeOptions {
  /** Vector length when the request has no `dimensions`. Default 12. */
  dimension?: number;
  /** When set, requests without `Authorization: Bearer <apiKey>` get OpenAI's 401. */
  apiKey?: string;
  /** Returns `data` in reverse order (still with correct `index`), which the spec allows. */
  reverseOrder?: boolean;
}

/**
 * A loopback OpenAI-compatible server that speaks `POST /v1/embeddings` (`{model, input, dimensions?}` →
 * `{object: 'list', data: [{object: 'embedding', index, embedding}], model, usage}`) with deterministic vectors.
 */
export function startOpenAiEmbeddingsFake(options: OpenAiEmbeddingsFakeOptions = {}): Promise<EmbeddingFake> {
  return startJsonFake((request, fault) => {
    if (request.method !== 'POST' || request.path !== '/v1/embeddings') {
      return openAiError(404, 'Not found', 'invalid_request_error');
    }
    if (options.apiKey !== undefined && request.headers.authorization !== `Bearer ${options.apiKey}`) {
      return openAiError(401, 'Incorrect API key provided', 'invalid_request_error', 'invalid_api_key');
    }
    return embeddings(request, options, fault);
  });
}

function embeddings(
  request: RecordedRequest,
  options: OpenAiEmbeddingsFakeOptions,
  fault: OutputFault | undefined,
): FakeReply {
  const body = request.body;
  const inputs = readInputs(body);
  const model = typeof body === 'object' && body !== null && 'model' in body ? body.model : undefined;
  const dimensions = typeof body === 'object' && body !== null && 'dimensions' in body ? body.dimensions : undefined;
  if (
    typeof model !== 'string' ||
    inputs === undefined ||
    (dimensions !== undefined && typeof dimensions !== 'number')
  ) {
    return openAiError(400, 'Invalid request body', 'invalid_request_error');
  }
  if (inputs.some((text) => text === '')) {
    // OpenAI rejects empty strings; the provider must never send one.
    return openAiError(400, "'$.input' is invalid", 'invalid_request_error');
  }
  const dimension = dimensions ?? options.dimension ?? 12;
  const vectors = inputs.map((text) => fakeVector(text, dimension));
  const output = fault === undefined ? vectors : breakVectors(vectors, fault);
  const data = output.map((embedding, index) => ({ object: 'embedding', index, embedding }));
  const tokens = inputs.reduce((sum, text) => sum + text.split(/\s+/).length, 0);
  return {
    status: 200,
    json: {
      object: 'list',
      data: options.reverseOrder ? data.reverse() : data,
      model,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    },
  };
}

function openAiError(status: number, message: string, type: string, code: string | null = null): FakeReply {
  return { status, json: { error: { message, type, param: null, code } } };
}
