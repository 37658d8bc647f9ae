import { randomUUID } from 'node:crypto';

import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';

import type { Config } from './config.js';
import { systemClock, type Clock } from './domain/types.js';
import { errorsPlugin } from './http/plugins/errors.js';
import { rawBodyPlugin } from './http/plugins/raw-body.js';
import { requestContextPlugin } from './http/plugins/request-context.js';
import { securityHeadersPlugin } from './http/plugins/security-headers.js';
import { contextRoutes } from './http/routes/contexts.js';
import { metricsRoutes } from './http/routes/metrics.js';
import { promptRoutes } from './http/routes/prompt.js';
import { systemRoutes } from './http/routes/system.js';
import { createLogger } from './logger.js';
import { createEmbedder } from './providers/embeddings/create-embedder.js';
import type { Embedder } from './providers/embeddings/embedder.js';
import { createContextService, type ContextService } from './services/context-service.js';
import { createHealthService } from './services/health-service.js';
import { createIndexer, type Indexer } from './services/indexer.js';
import { createMetrics, type Metrics } from './services/metrics.js';
import { createPromptService } from './services/prompt-service.js';
import { createSearchService, type SearchService } from './services/search-service.js';
import { openStorage } from './storage/open-storage.js';
import type { Storage } from './storage/store.js';

export interface AppOverrides {
  /** A shared, already started embedder (tests load the model once per process); the app does not close it. */
  embedder?: Embedder;
  clock?: Clock;
  logger?: Logger;
  /** PostgreSQL schema to use (tests give each run its own). */
  pgSchema?: string;
}

/** What tests and the benchmark reach into. */
export interface AppParts {
  storage: Storage;
  embedder: Embedder;
  search: SearchService;
  indexer: Indexer;
  contexts: ContextService;
  metrics: Metrics | null;
}

declare module 'fastify' {
  interface FastifyInstance {
    parts: AppParts;
  }
}

const API_DESCRIPTION =
  'ContextPilot keeps typed context units (preferences, goals, decisions, facts), ranks them for a task with hybrid ' +
  'full-text and semantic search, and composes prompts from them. REST API v1.';

/**
 * Builds the whole application, not listening. The composition root: the only place that creates stores, providers
 * and services. Start-up work (migrations, model load, vector index) happens here, explicitly.
 */
export async function buildApp(config: Config, overrides: AppOverrides = {}): Promise<FastifyInstance> {
  const logger = overrides.logger ?? createLogger(config);
  const clock = overrides.clock ?? systemClock;
  const storage = await openStorage(config.database, { pgSchema: overrides.pgSchema });
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
  const metrics = config.enableMetrics ? createMetrics() : null;
  const search = createSearchService({ store: storage.contexts, embedder, log: logger.child({ component: 'search' }) });
  const indexer = createIndexer({
    store: storage.contexts,
    embedder,
    log: logger.child({ component: 'indexer' }),
    concurrency: config.embedding.workers,
  });
  const contexts = createContextService({
    store: storage.contexts,
    embedder,
    clock,
    limits: config.limits,
    onImported: () => indexer.wake(),
  });
  const prompts = createPromptService({ search, store: storage.contexts, clock, limits: config.limits });
  const health = createHealthService({
    store: storage.contexts,
    storageKind: storage.kind,
    embedder,
    embeddingProblem: () => search.degradedReason,
    pendingIndexing: () => indexer.pending,
    clock,
  });
  await search.init();
  indexer.wake();

  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    disableRequestLogging: true,
    genReqId: () => randomUUID(),
    requestIdLogLabel: 'reqId',
    trustProxy: config.security.trustProxy,
    bodyLimit: Math.max(config.limits.maxBodyBytes, config.limits.maxImportBytes) + 64 * 1024,
    requestTimeout: 300_000,
    keepAliveTimeout: 72_000,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 500 },
  }).withTypeProvider();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorate('parts', { storage, embedder, search, indexer, contexts, metrics });

  await app.register(requestContextPlugin, { metrics: metrics?.http ?? null });
  await app.register(securityHeadersPlugin, {
    enabled: config.security.enableSecurityHeaders,
    hstsMaxAgeSeconds: config.security.hstsMaxAgeSeconds,
  });
  await app.register(errorsPlugin);
  await app.register(rawBodyPlugin, { defaultLimit: config.limits.maxBodyBytes });
  await app.register(swagger, {
    openapi: {
      info: { title: 'ContextPilot API', version: '1.0.0', description: API_DESCRIPTION },
      tags: [
        { name: 'system', description: 'Health, metrics and API information' },
        { name: 'contexts', description: 'Context units' },
        { name: 'prompts', description: 'Ranking and prompt composition' },
      ],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: false });

  // Public routes.
  await app.register(async (pub) => {
    systemRoutes(pub, { health });
    pub.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());
  });
  // Protected routes: the security layer adds its hooks to this context only.
  await app.register(async (api) => {
    metricsRoutes(api, { metrics });
    contextRoutes(api, { contexts, search, maxImportBytes: config.limits.maxImportBytes });
    promptRoutes(api, { prompts });
  });

  app.addHook('onClose', async () => {
    await indexer.close();
    if (ownsEmbedder) {
      await embedder.close();
    }
    await storage.close();
  });
  return app;
}
