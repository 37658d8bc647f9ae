import { STATUS_CODES } from 'node:http';

import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';

import { createMcpServer } from '@contextpilot/mcp';

import type { Config } from './config.js';
import { createCore, type Core, type CoreOverrides } from './core.js';
import type { Clock } from './domain/types.js';
import { AppError } from './errors.js';
import { errorResponse } from './http/error-response.js';
import { createFailedAuthLimit } from './http/failed-auth-limit.js';
import { openapiTransformObject } from './http/openapi.js';
import { emptyBodyPlugin } from './http/plugins/empty-body.js';
import { errorsPlugin } from './http/plugins/errors.js';
import { rawBodyPlugin } from './http/plugins/raw-body.js';
import { requestContextPlugin } from './http/plugins/request-context.js';
import { API_CSP, BASE_SECURITY_HEADERS, DOCS_CSP, securityHeadersPlugin } from './http/plugins/security-headers.js';
import { corsPlugin } from './http/plugins/cors.js';
import { hostCheckPlugin } from './http/plugins/host-check.js';
import { originCheckPlugin } from './http/plugins/origin-check.js';
import { authPlugin } from './http/plugins/auth.js';
import { rateLimitPlugin } from './http/plugins/rate-limit.js';
import { publicPluginContext, routeScopesPlugin, scopeCheckPlugin } from './http/plugins/scope-check.js';
import { signingPlugin } from './http/plugins/signing.js';
import { chatRoutes } from './http/routes/chat.js';
import { contextRoutes } from './http/routes/contexts.js';
import { providerRoutes } from './http/routes/providers.js';
import { securityRoutes } from './http/routes/security.js';
import { keyRoutes } from './http/routes/keys.js';
import { metricsRoutes } from './http/routes/metrics.js';
import { promptRoutes } from './http/routes/prompt.js';
import { systemRoutes } from './http/routes/system.js';
import { mcpRoutes } from './http/routes/mcp.js';
import { loadWebUi, webUiAssets } from './http/routes/web-ui.js';
import { createMcpSessions } from './mcp/http-sessions.js';
import { errorOptions, rateLimitOptions, scopeOptions } from './mcp/options.js';
import { createServiceBackend } from './mcp/service-backend.js';
import { newId } from './ids.js';
import type { Embedder } from './providers/embeddings/embedder.js';
import { createLlmProvider } from './providers/llm/create-provider.js';
import type { LlmProvider, ProviderConnection, ProviderName } from './providers/llm/llm.js';
import { createAuditService, type AuditService } from './services/audit-service.js';
import { createChatService } from './services/chat-service.js';
import type { ContextService } from './services/context-service.js';
import { createConversationService } from './services/conversation-service.js';
import { createHealthService } from './services/health-service.js';
import type { Indexer } from './services/indexer.js';
import { createKeyService } from './services/key-service.js';
import { createStoredKeys } from './services/stored-keys.js';
import { createKeyAdmin } from './services/key-admin.js';
import { createMetrics, type Metrics } from './services/metrics.js';
import type { PromptService } from './services/prompt-service.js';
import { createReplayGuard } from './services/replay-guard.js';
import { createProviderService } from './services/provider-service.js';
import type { SearchService } from './services/search-service.js';
import { createSettingsService, type SettingsService } from './services/settings-service.js';
import type { CounterStore } from './storage/counters/counter-store.js';
import { loadEncryptionKey } from './storage/encryption-key.js';
import { failClosed } from './storage/counters/fail-closed.js';
import { createMemoryCounters } from './storage/counters/memory-counters.js';
import { createRedisCounters } from './storage/counters/redis-counters.js';
import type { Storage } from './storage/store.js';

export interface AppOverrides extends CoreOverrides {
  /** Replaces the LLM provider factory (the benchmark uses an in-process provider). */
  createProvider?: (name: ProviderName, connection: ProviderConnection) => LlmProvider;
}

/**
 * The security services: API key, audit log, replay protection (in the database) and the (shared) counters behind
 * rate limits and lockouts.
 */
async function createSecurity(config: Config, storage: Storage, clock: Clock, metrics: Metrics | null, logger: Logger) {
  // Redis can become unreachable: its counters fail closed. Memory counters cannot fail, and skip the wrapper.
  const counters = config.security.redisUrl
    ? failClosed(
        await createRedisCounters({
          url: config.security.redisUrl,
          prefix: config.security.redisKeyPrefix,
          timeoutMs: config.security.redisTimeoutMs,
        }),
      )
    : createMemoryCounters(() => clock.now().getTime());
  const audit = createAuditService({
    store: storage.events,
    clock,
    log: logger.child({ component: 'audit' }),
    retentionDays: config.security.eventRetentionDays,
    aggregateSeconds: config.security.eventAggregateSeconds,
    onRecord: (event, outcome) => metrics?.recordSecurityEvent(event, outcome),
  });
  await audit.start();
  const keys = createKeyService({
    settings: storage.settings,
    clock,
    audit,
    authEnabled: config.security.enableAuth,
    env: {
      apiKey: config.security.apiKey,
      apiKeyHash: config.security.apiKeyHash,
      rotationBytes: config.security.apiKeyRotationBytes,
    },
    stored: createStoredKeys({ keys: storage.apiKeys, people: storage.people, clock }),
  });
  if (config.security.allowedHosts === null && !config.security.enableAuth) {
    logger.warn(
      'any Host is answered and authentication is off: set CONTEXTPILOT_ALLOWED_HOSTS so that no web page can reach this server under a name of its own (DNS rebinding)',
    );
  }
  if (config.security.enableAuth && (await keys.environmentKeyOverridden())) {
    logger.warn(
      'the API key was rotated: CONTEXTPILOT_API_KEY / CONTEXTPILOT_API_KEY_HASH from the environment are no longer accepted',
    );
  }
  logger.info(
    {
      auth: config.security.enableAuth,
      signing: config.security.enableRequestSigning,
      signingMethods: config.security.requestSigningMethods,
      corsOrigins: config.cors.origins,
      allowedHosts: config.security.allowedHosts ?? 'any',
      securityHeaders: config.security.enableSecurityHeaders,
      trustProxy: config.security.trustProxy,
      rateLimitStore: config.security.redisUrl ? 'redis' : 'memory',
      eventRetentionDays: config.security.eventRetentionDays,
      eventAggregateSeconds: config.security.eventAggregateSeconds,
      mcp: config.mcp.enabled,
    },
    'security configuration',
  );
  const replay = createReplayGuard({
    store: storage.signatures,
    maxAgeSeconds: config.security.requestSigningMaxAgeSeconds,
  });
  const keyAdmin = createKeyAdmin({
    keys: storage.apiKeys,
    people: storage.people,
    clock,
    audit,
    authEnabled: config.security.enableAuth,
  });
  return { counters, keys, keyAdmin, audit, replay };
}

/** The checks of the protected context, in the order `http/plugins/README.md` describes. */
async function registerProtection(
  api: FastifyInstance,
  config: Config,
  security: Awaited<ReturnType<typeof createSecurity>>,
  clock: Clock,
): Promise<void> {
  const { audit, counters } = security;
  const failedAuth = createFailedAuthLimit({
    limit: config.security.authFailureLimit,
    windowMs: config.security.authFailureWindowMs,
    counters,
    audit,
  });
  await api.register(authPlugin, { enabled: config.security.enableAuth, keys: security.keys, audit, failedAuth });
  await api.register(signingPlugin, {
    enabled: config.security.enableRequestSigning,
    secret: config.security.requestSigningSecret,
    maxAgeSeconds: config.security.requestSigningMaxAgeSeconds,
    methods: config.security.requestSigningMethods,
    authEnabled: config.security.enableAuth,
    audit,
    failedAuth,
    replay: security.replay,
    now: () => clock.now().getTime(),
  });
  await api.register(rateLimitPlugin, { enabled: config.security.rateLimitEnabled, counters });
  await api.register(scopeCheckPlugin, { audit });
}

/** What tests and the benchmark reach into. */
export interface AppParts {
  storage: Storage;
  embedder: Embedder;
  search: SearchService;
  indexer: Indexer;
  contexts: ContextService;
  metrics: Metrics | null;
  audit: AuditService;
  counters: CounterStore;
  settings: SettingsService;
}

declare module 'fastify' {
  interface FastifyInstance {
    parts: AppParts;
  }
}

/** Settings, providers, chat and conversations. */
function createAi(
  config: Config,
  storage: Storage,
  clock: Clock,
  metrics: Metrics | null,
  logger: Logger,
  prompts: PromptService,
  createProvider: (name: ProviderName, connection: ProviderConnection) => LlmProvider,
) {
  const encryption = loadEncryptionKey(config.security.encryptionKey, config.database);
  if (!encryption.shared && config.database.kind === 'postgres') {
    logger.warn(
      "CONTEXTPILOT_ENCRYPTION_KEY is not set: instances sharing this database cannot read each other's provider keys",
    );
  }
  const settings = createSettingsService({
    store: storage.settings,
    ai: config.ai,
    encryptionKey: encryption.key,
    log: logger.child({ component: 'settings' }),
  });
  const chat = createChatService({
    conversations: storage.conversations,
    settings,
    prompts,
    createProvider,
    clock,
    timeoutMs: config.ai.timeoutMs,
    maxReplyBytes: config.ai.maxReplyBytes,
    ollamaAutoPull: config.ai.ollama.autoPull,
    recordAi: metrics ? (provider, status, seconds) => metrics.recordAi(provider, status, seconds) : undefined,
  });
  return {
    settings,
    chat,
    conversations: createConversationService({ store: storage.conversations }),
    providers: createProviderService({ settings, createProvider, timeoutMs: config.ai.timeoutMs }),
  };
}

/** The `/mcp` sessions, each an MCP server over the same services as the REST routes. */
function createMcp(config: Config, core: Core, counters: CounterStore, audit: AuditService) {
  const backend = createServiceBackend(core);
  const log = core.logger.child({ component: 'mcp' });
  return createMcpSessions({
    createServer: () =>
      createMcpServer(backend, {
        ...errorOptions(log),
        ...scopeOptions(audit),
        ...(config.security.rateLimitEnabled ? rateLimitOptions(counters) : {}),
      }),
    maxSessions: config.mcp.maxSessions,
    idleMs: config.mcp.sessionIdleMs,
    now: () => core.clock.now().getTime(),
  });
}

/** Headers of responses written before the hooks run (router and parser errors). */
function earlyErrorHeaders(config: Config, requestId: string): Record<string, string> {
  return {
    ...(config.security.enableSecurityHeaders
      ? { ...BASE_SECURITY_HEADERS, 'content-security-policy': API_CSP, 'cache-control': 'no-store' }
      : {}),
    'x-request-id': requestId,
    vary: 'Origin',
  };
}

/** A response written before the hooks run, straight to Node's socket or response, for `error`. */
function earlyErrorResponse(config: Config, error: unknown) {
  const requestId = newId();
  const { status, headers, body } = errorResponse(error, requestId);
  const json = JSON.stringify(body);
  return {
    status,
    json,
    headers: {
      ...earlyErrorHeaders(config, requestId),
      ...headers,
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(json)),
    },
  };
}

const API_DESCRIPTION =
  'ContextPilot keeps typed context units (preferences, goals, decisions, facts), ranks them for a task with hybrid ' +
  'full-text and semantic search, and composes prompts from them. REST API v1.';

/**
 * Builds the whole application, not listening. The composition root: the only place that creates stores, providers
 * and services. Start-up work (migrations, model load, vector index) happens here, explicitly.
 */
export async function buildApp(config: Config, overrides: AppOverrides = {}): Promise<FastifyInstance> {
  const core = await createCore(config, overrides);
  const { logger, clock, storage, embedder, search, indexer, contexts, prompts } = core;
  const metrics = config.enableMetrics ? createMetrics() : null;
  let security: Awaited<ReturnType<typeof createSecurity>>;
  try {
    security = await createSecurity(config, storage, clock, metrics, logger);
  } catch (error) {
    // Nothing is serving yet: stop the workers, the indexer and the storage the core started, then fail.
    await core.stop();
    await core.close();
    throw error;
  }
  const health = createHealthService({
    store: storage.contexts,
    storageKind: storage.kind,
    embedder,
    embeddingProblem: () => search.degradedReason,
    pendingIndexing: () => indexer.pending,
    rateLimitStore: { backend: config.security.redisUrl ? 'redis' : 'memory', ping: () => security.counters.ping() },
    clock,
  });
  const createProvider =
    overrides.createProvider ??
    ((name: ProviderName, connection: ProviderConnection) =>
      createLlmProvider(name, connection, { maxReplyBytes: config.ai.maxReplyBytes }));
  const ai = createAi(config, storage, clock, metrics, logger, prompts, createProvider);
  try {
    await ai.settings.init();
  } catch (error) {
    await security.audit.close();
    await security.counters.close();
    await core.stop();
    await core.close();
    throw error;
  }
  const mcp = config.mcp.enabled ? createMcp(config, core, security.counters, security.audit) : null;

  // Typed as Fastify's base logger so the instance type stays the default one the route modules use.
  const loggerInstance: FastifyBaseLogger = logger;
  const app = Fastify({
    loggerInstance,
    // Our own request-completed line logs the route template, never the URL with its query string.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'reqId' }),
    genReqId: () => newId(),
    // Fastify takes a hop count too, though its types do not say so.
    trustProxy: config.security.trustProxy as boolean | string[],
    bodyLimit: Math.max(config.limits.maxBodyBytes, config.limits.maxImportBytes) + 64 * 1024,
    requestTimeout: 300_000,
    keepAliveTimeout: 72_000,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 500 },
    // Malformed URLs are refused by the router before any hook runs: answer them here with the same envelope and
    // headers as every other response.
    frameworkErrors: (error, request, reply: FastifyReply) => {
      const { status, headers, body } = errorResponse(error, request.id);
      void reply
        .code(status)
        .headers({ ...earlyErrorHeaders(config, request.id), ...headers })
        .send(body);
    },
    // Requests Node cannot even parse (bad bytes in the request line, oversized headers).
    clientErrorHandler: (error, socket) => {
      if (!socket.writable) {
        return;
      }
      const { status, headers, json } = earlyErrorResponse(config, error);
      const lines = Object.entries({ ...headers, connection: 'close' }).map(([k, v]) => `${k}: ${v}`);
      socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n${lines.join('\r\n')}\r\n\r\n${json}`);
    },
  }).withTypeProvider();
  // Node answers an `Expect` other than 100-continue with a bare 417 before Fastify sees the request, unless this
  // event has a listener: answer it with the envelope and headers of every other error.
  app.server.on('checkExpectation', (_request, response) => {
    const { status, headers, json } = earlyErrorResponse(
      config,
      new AppError({ status: 417, message: 'Expectation Failed' }),
    );
    response.writeHead(status, headers).end(json);
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorate('parts', {
    storage,
    embedder,
    search,
    indexer,
    contexts,
    metrics,
    audit: security.audit,
    counters: security.counters,
    settings: ai.settings,
  });

  // First, before any route: every route must declare the scope it needs, or the app does not start.
  await app.register(routeScopesPlugin);
  await app.register(requestContextPlugin, { metrics: metrics?.http ?? null });
  await app.register(securityHeadersPlugin, {
    enabled: config.security.enableSecurityHeaders,
    hstsMaxAgeSeconds: config.security.hstsMaxAgeSeconds,
  });
  // Before CORS: a request under a foreign name gets no answer at all, not even to a preflight.
  await app.register(hostCheckPlugin, { allowedHosts: config.security.allowedHosts, audit: security.audit });
  await app.register(corsPlugin, config.cors);
  await app.register(originCheckPlugin, {
    origins: config.cors.origins,
    allowedHosts: config.security.allowedHosts,
    audit: security.audit,
  });
  await app.register(errorsPlugin);
  await app.register(emptyBodyPlugin);
  await app.register(rawBodyPlugin, { defaultLimit: config.limits.maxBodyBytes });
  await app.register(swagger, {
    openapi: {
      info: { title: 'ContextPilot API', version: '1.0.0', description: API_DESCRIPTION },
      tags: [
        { name: 'system', description: 'Health, metrics and API information' },
        { name: 'contexts', description: 'Context units' },
        { name: 'prompts', description: 'Ranking and prompt composition' },
        { name: 'chat', description: 'Chat with a language model using your contexts; conversations' },
        { name: 'providers', description: 'Language model providers' },
        { name: 'settings', description: 'AI settings' },
        { name: 'security', description: 'API key rotation and the security audit log' },
      ],
    },
    transform: jsonSchemaTransform,
    transformObject: openapiTransformObject,
  });
  // The docs page gets its own policy instead of the API's `default-src 'none'`. Its layout has no top bar: the bar's
  // logo is an SVG with an inline <style> that the policy would block.
  await publicPluginContext(app, (docs) =>
    docs.register(swaggerUi, {
      routePrefix: '/docs',
      staticCSP: config.security.enableSecurityHeaders ? DOCS_CSP : false,
      uiConfig: { layout: 'BaseLayout' },
    }),
  );

  // Public routes: API information, health, docs and the web UI.
  const webUi = loadWebUi(config.webDir);
  await app.register(async (pub) => {
    systemRoutes(pub, { health, indexHtml: webUi?.indexHtml ?? null });
    if (webUi) {
      await webUiAssets(pub, { dir: webUi.dir });
    }
    pub.get('/openapi.json', { config: { scope: 'public' }, schema: { hide: true } }, () => app.swagger());
  });
  // Protected routes: every route registered here gets the security hooks, its scope checked last
  // (http/plugins/README.md).
  await app.register(async (api) => {
    await registerProtection(api, config, security, clock);
    metricsRoutes(api, { metrics });
    securityRoutes(api, { keys: security.keys, audit: security.audit });
    keyRoutes(api, { admin: security.keyAdmin });
    contextRoutes(api, { contexts, search, maxImportBytes: config.limits.maxImportBytes });
    promptRoutes(api, { prompts });
    chatRoutes(api, { chat: ai.chat, conversations: ai.conversations });
    providerRoutes(api, { providers: ai.providers, settings: ai.settings });
    if (mcp !== null) {
      mcpRoutes(api, { sessions: mcp });
    }
  });

  // Shutting down stops the embedding workers at once: queued and running embeddings fail (503) instead of holding
  // the server open until they finish.
  app.addHook('preClose', async () => {
    // Open MCP streams would hold the close until they time out.
    await mcp?.closeAll();
    await core.stop();
  });
  app.addHook('onClose', async () => {
    await security.audit.close();
    await security.counters.close();
    await core.close();
  });
  return app;
}
