/**
 * `node packages/server/dist/mcp/embedded-bin.js --db <path|sqlite:…>`: the embedded MCP server over stdio (what
 * `contextpilot mcp --db` runs), for running it without the CLI.
 */
import { parseArgs } from 'node:util';

import { ConfigError } from '../config.js';
import { runEmbeddedMcp } from './embedded.js';

const { values } = parseArgs({ options: { db: { type: 'string' } } });
if (values.db === undefined || values.db === '') {
  process.stderr.write('Usage: embedded-bin --db <path|sqlite:path|postgres://…>\n');
  process.exit(2);
}
try {
  const { closed } = await runEmbeddedMcp({ databaseUrl: values.db });
  await closed;
  process.exit(0);
} catch (error) {
  const prefix = error instanceof ConfigError ? 'invalid configuration' : 'failed to start';
  process.stderr.write(`contextpilot mcp: ${prefix}: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
