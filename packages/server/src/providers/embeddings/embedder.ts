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
  /**
   * One vector per chunk of each document: long documents are split so the model sees each part, up to a bounded
   * number of chunks per document (the rest is left to full-text search).
   */
  embedDocuments(texts: readonly string[], options?: EmbedOptions): Promise<Float32Array[][]>;
  /** One vector for a query (truncated to what the model reads if long). */
  embedQuery(text: string, options?: Pick<EmbedOptions, 'signal'>): Promise<Float32Array>;
  /** How busy the embedder is, when it queues work of its own. */
  load?(): EmbedderLoad;
  close(): Promise<void>;
}

export interface EmbedOptions {
  /** Aborting gives the work up (its client went away); the call rejects with the signal's reason. */
  signal?: AbortSignal | undefined;
  /** Background work (indexing) waits while queries and writes that a client waits for are served. */
  background?: boolean | undefined;
}

export interface EmbedderLoad {
  /** Jobs waiting for a worker: queries, writes a client waits for, and background indexing. */
  queued: { query: number; interactive: number; background: number };
  /** Jobs being worked on. */
  running: number;
  /** How long the oldest waiting query or write has waited (ms). */
  oldestWaitMs: number;
}

export class EmbeddingError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EmbeddingError';
  }
}

/** The embedder works but did not finish in time: too much work is queued ahead. */
export class EmbeddingBusyError extends EmbeddingError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EmbeddingBusyError';
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
