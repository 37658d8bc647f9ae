/**
 * One interface for every embedding provider, so chunking, storage and re-indexing work the same whichever is active.
 * Vectors are L2-normalised Float32Arrays of `dimension` numbers.
 */
export interface Embedder {
  /** Identifies the vectors: changing it re-indexes every unit. */
  readonly modelId: string;
  readonly dimension: number;
  /** Starts the provider (loads weights, checks the endpoint). Called once before use. */
  init(): Promise<void>;
  /** One vector per chunk of each document (long documents are split so the model sees every part). */
  embedDocuments(texts: readonly string[]): Promise<Float32Array[][]>;
  /** One vector for a query (truncated by the model if long). */
  embedQuery(text: string): Promise<Float32Array>;
  close(): Promise<void>;
}

export class EmbeddingError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EmbeddingError';
  }
}

/** Scales a vector to unit length (a zero vector stays zero). */
export function normalize(vector: Float32Array): Float32Array {
  let sum = 0;
  for (const x of vector) {
    sum += x * x;
  }
  const norm = Math.sqrt(sum);
  if (norm > 0) {
    for (let i = 0; i < vector.length; i++) {
      vector[i] = (vector[i] ?? 0) / norm;
    }
  }
  return vector;
}
