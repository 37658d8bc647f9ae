// First: V8 flags must be set before the rest of the server is loaded.
import './runtime-flags.js';
import { buildApp } from './app.js';
import { ConfigError, loadConfig, readEnvironment } from './config.js';

export { toDatabaseUrl } from './config.js';

/**
 * Runs the server in the foreground (what `npm start` and `contextpilot serve` run): configuration → app → listen;
 * closes gracefully on SIGINT/SIGTERM and exits. The server's only process.exit.
 */
export async function runServer(): Promise<void> {
  let config;
  try {
    config = loadConfig(readEnvironment());
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`ContextPilot: invalid configuration: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const app = await buildApp(config);
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) {
      return;
    }
    closing = true;
    app.log.info({ signal }, 'shutting down');
    // Idle keep-alive sockets would hold close() open until they time out; a stuck request gets 10 s.
    app.server.closeIdleConnections();
    setTimeout(() => {
      app.log.warn('shutdown deadline reached: closing remaining connections');
      app.server.closeAllConnections();
    }, 10_000).unref();
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        app.log.error({ err: error }, 'error while shutting down');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  await app.listen({ host: config.host, port: config.port });
  const shownHost =
    config.host === '0.0.0.0' || config.host === '::' || config.host === '127.0.0.1' ? 'localhost' : config.host;
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  app.log.info({ url: `http://${shownHost}:${port}` }, 'ContextPilot is listening');
  process.stdout.write(
    `ContextPilot is running at http://${shownHost}:${port}  (API docs: http://${shownHost}:${port}/docs)\n`,
  );
}
