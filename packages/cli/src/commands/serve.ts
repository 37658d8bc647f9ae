import type { Command } from 'commander';

import { needsScope, type CommandAction } from '../command.js';
import { integerIn } from '../parse.js';

/**
 * `serve` (the server, as `npm start` runs it) and `mcp` (the MCP server over stdio). Both load their heavy parts
 * (the server, the embedding model, the MCP SDK) only when run, so the other commands start fast.
 */
export function registerServerCommands(program: Command, action: CommandAction): void {
  needsScope(program.command('serve'), 'local')
    .description('run the ContextPilot server (API and web UI) in the foreground; configured like `npm start`')
    .option('--host <host>', 'address to listen on (CONTEXTPILOT_HOST)')
    .option('--port <port>', 'port to listen on (CONTEXTPILOT_PORT)', integerIn(0, 65_535))
    .option('--db <url>', 'the store: a SQLite path, sqlite:<path> or postgres://… (CONTEXTPILOT_DATABASE_URL)')
    .action(
      action(async (context, flags: { host?: string; port?: number; db?: string }) => {
        const env = context.env;
        if (flags.host !== undefined) {
          env.CONTEXTPILOT_HOST = flags.host;
        }
        if (flags.port !== undefined) {
          env.CONTEXTPILOT_PORT = String(flags.port);
        }
        const { runServer, toDatabaseUrl } = await import('@contextpilot/server/run');
        if (flags.db !== undefined) {
          env.CONTEXTPILOT_DATABASE_URL = toDatabaseUrl(flags.db);
        }
        await runServer();
        // The server runs until a signal, and then exits by itself.
        await new Promise<never>(() => undefined);
      }),
    );

  needsScope(program.command('mcp'), 'per-tool')
    .description(
      'serve MCP over stdio for an assistant or editor: for the server at --url (signed and authenticated like any ' +
        'client), or with --db on a local store, no server needed',
    )
    .option('--db <path>', 'open this store directly: a SQLite path, sqlite:<path> or postgres://…')
    .action(
      action(async (context, flags: { db?: string }) => {
        if (flags.db !== undefined) {
          const { runEmbeddedMcp } = await import('@contextpilot/server/mcp');
          const { closed } = await runEmbeddedMcp({ databaseUrl: flags.db });
          await closed;
          return;
        }
        const client = await context.client();
        const { createClientBackend, runStdioServer } = await import('@contextpilot/mcp');
        const { closed } = await runStdioServer(createClientBackend(client), {
          // stdout carries the protocol: diagnostics go to stderr, without the error's details.
          onUnexpectedError: (error) =>
            context.output.err(`contextpilot mcp: ${error instanceof Error ? error.message : String(error)}\n`),
        });
        await closed;
      }),
    );
}
