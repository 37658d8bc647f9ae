import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Global setup of the api tests: compiles the CLI and what it loads (client, MCP package, server), so that the tests
 * run the built `contextpilot` binary as a user would. Incremental: a no-op when nothing changed.
 */
export default function setup(): void {
  const repo = fileURLToPath(new URL('../../..', import.meta.url));
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-b', 'packages/cli'], {
    cwd: repo,
    stdio: 'inherit',
  });
}
