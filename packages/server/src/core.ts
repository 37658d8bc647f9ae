import type { Logger } from 'pino';

import type { Config } from './config.js';
import { systemClock, type Clock } from './domain/types.js';
import { createLogger } from './logger.js';
import { createEmbedder } from './providers/embeddings/create-embedder.js';
import type { Embedder } from './providers/embeddings/embedder.js';
import { createChangeFeed, type ChangeFeed } from './services/change-feed.js';
import { createContextService, type ContextService } from './services/context-service.js';
import { createIndexer, type Indexer } from './services/indexer.js';
import { createPromptService, type PromptService } from './services/prompt-service.js';
import { createSearchService, type SearchService } from './services/search-service.js';
import { openStorage } from './storage/open-storage.js';
import type { Storage } from './storage/store.js';

export interface CoreOverrides {
  /** A shared, already started embedder (tests load the model once per process); the core does not close it. */
  embedder?: Embedder;
  clock?: Clock;
  logger?: Logger;
  /** PostgreSQL schema to use (tests give each run its own). */
  pgSchema?: string;
}

/** How often the change feed looks for writes made by other processes sharing the database. */
const CHANGE_POLL_MS = 1_000;

/**
 * What the context units need, whoever serves them (the HTTP app, the embedded MCP server): storage, the embedding
 * model, ranking, background indexing and the context and prompt services. Start-up work (migrations, model load,
 * vector index) happens here, explicitly.
 */
export async function createCore(config: Config, overrides: CoreOverrides = {}) {
  const logger = overrides.logger ?? createLogger(config);
  const clock = overrides.clock ?? systemClock;
  const storage: Storage = await openStorage(config.database, { pgSchema: overrides.pgSchema });
  const ownsEmbedder = overrides.embedder === undefined;
  let embedder: Embedder;
  try {
    embedder = overrides.embedder ?? (await createEmbedder(config.embedding, (m) => logger.info(m)));
    if (ownsEmbedder) {
      await embedder.init();
    }
  } catch (error) {
    await storage.close();
    throw error;
  }
  const search: SearchService = createSearchService({
    store: storage.contexts,
    embedder,
    log: logger.child({ component: 'search' }),
  });
  const indexer: Indexer = createIndexer({
    store: storage.contexts,
    embedder,
    log: logger.child({ component: 'indexer' }),
    concurrency: config.embedding.workers,
    // The vector index takes in each round's vectors as they are written, rather than all of them at the next
    // ranking after a large import.
    onIndexed: () => {
      search.sync().catch((error: unknown) => {
        logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'vector index sync failed');
      });
    },
    onPending: (count) => search.expectUnits(count),
  });
  const contexts: ContextService = createContextService({
    store: storage.contexts,
    embedder,
    clock,
    limits: config.limits,
    onImported: () => indexer.wake(),
  });
  const prompts: PromptService = createPromptService({ search, store: storage.contexts, clock, limits: config.limits });
  const changes: ChangeFeed = createChangeFeed({
    store: storage.contexts,
    intervalMs: CHANGE_POLL_MS,
    log: logger.child({ component: 'changes' }),
  });
  try {
    await search.init();
  } catch (error) {
    changes.close();
    if (ownsEmbedder) {
      await embedder.close();
    }
    await storage.close();
    throw error;
  }
  indexer.wake();
  return {
    config,
    logger,
    clock,
    storage,
    embedder,
    search,
    indexer,
    contexts,
    prompts,
    changes,
    /** Stops background work at once: queued and running embeddings fail (503) instead of holding the close. */
    async stop(): Promise<void> {
      indexer.stop();
      changes.close();
      if (ownsEmbedder) {
        await embedder.close();
      }
    },
    /** Releases what is left after `stop` (call last: it closes the storage). */
    async close(): Promise<void> {
      await indexer.close();
      await search.close();
      await storage.close();
    },
  };
}
export type Core = Awaited<ReturnType<typeof createCore>>;
