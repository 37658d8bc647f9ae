import { afterEach, describe, expect, it } from 'vitest';

import { createIndexer } from './indexer.js';
import { openStorage } from '../storage/open-storage.js';
import { makeUnit } from '../storage/store.contract.js';
import type { Storage } from '../storage/store.js';

const MODEL = 'test-model';
const log = { info: () => undefined, error: () => undefined };

/** Embeds every text as a fixed vector, except texts containing "broken", which get no vector. */
const embedder = {
  modelId: MODEL,
  embedDocuments: (texts: readonly string[]) =>
    Promise.resolve(texts.map((t) => (t.includes('broken') ? [] : [new Float32Array([1, 0, 0])]))),
};

describe('indexer', () => {
  let storage: Storage | null = null;
  afterEach(async () => {
    await storage?.close();
    storage = null;
  });

  async function setUp(contents: string[]) {
    storage = await openStorage({ kind: 'memory' });
    for (const content of contents) {
      await storage.contexts.insert(makeUnit({ content }), null);
    }
    const store = storage.contexts;
    let counts = 0;
    const counting = {
      pendingEmbeddings: store.pendingEmbeddings.bind(store),
      saveEmbeddings: store.saveEmbeddings.bind(store),
      countPendingEmbeddings: (modelId: string) => {
        counts++;
        return store.countPendingEmbeddings(modelId);
      },
    };
    const announced: number[] = [];
    const indexer = createIndexer({
      store: counting,
      embedder,
      log,
      concurrency: 2,
      onPending: (count) => announced.push(count),
    });
    return { indexer, store, counts: () => counts, announced };
  }

  it('embeds every pending unit and ends without recounting after a clean pass', async () => {
    const { indexer, store, counts, announced } = await setUp(['alpha', 'beta', 'gamma']);
    indexer.wake();
    await indexer.idle();
    // Both counts announce the three units waiting, so room can be made for them before they are embedded.
    expect(announced).toEqual([3, 3]);
    expect(await store.countPendingEmbeddings(MODEL)).toBe(0);
    expect(indexer.pending).toBe(0);
    // One count from wake and one when the run starts; none at the end.
    expect(counts()).toBe(2);
  });

  it('recounts at the end when some units could not be embedded, and reports them pending', async () => {
    const { indexer, store, counts } = await setUp(['alpha', 'broken one', 'gamma']);
    indexer.wake();
    await indexer.idle();
    expect(await store.countPendingEmbeddings(MODEL)).toBe(1);
    expect(indexer.pending).toBe(1);
    expect(counts()).toBe(3);
  });
});
