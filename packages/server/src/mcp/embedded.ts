import { runStdioServer } from '@contextpilot/mcp';

import { loadConfig, readEnvironment, toDatabaseUrl } from '../config.js';
import { createCore } from '../core.js';
import { OWNER_PRINCIPAL } from '../domain/principal.js';
import { createLogger } from '../logger.js';
import { errorOptions } from './options.js';
import { createServiceBackend } from './service-backend.js';

export interface EmbeddedMcpOptions {
  /** The store to open: a SQLite path, `sqlite:<path>`, `postgres://…` or `memory`. */
  databaseUrl: string;
  /** The environment the rest of the configuration is read from (default: the process's, over `.env`). */
  env?: Record<string, string | undefined>;
}

/**
 * The MCP server over stdio on a local store, with no ContextPilot server running (`contextpilot mcp --db …`): the
 * same core and services the server builds, configured from the environment like the server. Logs go to stderr
 * (stdout carries the protocol). Resolves once serving, to the function that stops it and a promise of its end (the
 * client closed the input, or `close` was called).
 * @throws ConfigError for an invalid configuration
 */
export async function runEmbeddedMcp(options: EmbeddedMcpOptions) {
  const config = loadConfig({
    ...(options.env ?? readEnvironment()),
    CONTEXTPILOT_DATABASE_URL: toDatabaseUrl(options.databaseUrl),
  });
  const logger = createLogger(config, process.stderr);
  const core = await createCore(config, { logger });
  let served;
  try {
    served = await runStdioServer(createServiceBackend(core), {
      ...errorOptions(logger.child({ component: 'mcp' })),
      // The local store's owner, who holds every scope.
      grantedScopes: () => OWNER_PRINCIPAL.scopes,
    });
  } catch (error) {
    await core.stop();
    await core.close();
    throw error;
  }
  const closed = served.closed.then(async () => {
    await core.stop();
    await core.close();
  });
  return {
    close: async () => {
      await served.close();
      await closed;
    },
    closed,
  };
}
