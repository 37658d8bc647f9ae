import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { startOllamaEmbedFake } from '../fakes/ollama-embed-fake.js';
import type { EmbeddingFake } from '../fakes/ollama-embed-fake.js';
import { sharedEmbedder, tempDir } from '../helpers.js';

let fake: EmbeddingFake;
beforeAll(async () => {
  fake = await startOllamaEmbedFake({ dimension: 64 });
});
afterAll(async () => {
  await fake.close();
});

describe('changing the embedding model', () => {
  it('re-indexes every unit at start-up and never mixes vectors of two models', async () => {
    const database = `sqlite:${join(tempDir(), 'reindex.db')}`;
    const base = { CONTEXTPILOT_DATABASE_URL: database, CONTEXTPILOT_LOG_LEVEL: 'silent' };

    const first = await buildApp(loadConfig(base), { embedder: await sharedEmbedder() });
    const contents = ['I prefer tea over coffee', 'My goal is to run a marathon', 'We decided to use PostgreSQL'];
    for (const content of contents) {
      const res = await first.inject({ method: 'POST', url: '/contexts', payload: { type: 'fact', content } });
      expect(res.statusCode).toBe(201);
    }
    expect((await first.inject({ url: '/stats' })).json().contexts_with_embeddings).toBe(3);
    await first.close();

    const second = await buildApp(
      loadConfig({
        ...base,
        CONTEXTPILOT_EMBEDDING_PROVIDER: 'ollama',
        CONTEXTPILOT_EMBEDDING_MODEL: 'fake-embed',
        CONTEXTPILOT_EMBEDDING_BASE_URL: fake.url,
      }),
    );
    try {
      // Before re-indexing finishes, the old 512-d vectors are not loaded into the 64-d index.
      await second.parts.indexer.idle();
      const stats = (await second.inject({ url: '/stats' })).json();
      expect(stats.embedding_model).toEqual({ id: 'ollama/fake-embed', dimension: 64 });
      expect(stats.contexts_with_embeddings).toBe(3);
      expect(await second.parts.storage.contexts.countPendingEmbeddings('ollama/fake-embed')).toBe(0);
      // Every document was sent to the new model.
      const embedded = fake.requests.flatMap((r) => (r.body as { input?: string[] }).input ?? []);
      for (const content of contents) {
        expect(embedded).toContain(content);
      }
      const health = (await second.inject({ url: '/health' })).json();
      expect(health.components.embedding_model).toMatchObject({ model: 'ollama/fake-embed', dimension: 64 });
      const prompt = await second.inject({
        method: 'POST',
        url: '/generate-prompt',
        payload: { task: 'marathon running goal', max_context_units: 1 },
      });
      expect(prompt.json().relevant_context[0].context_unit.content).toBe('My goal is to run a marathon');
    } finally {
      await second.close();
    }
  });
});
