#!/usr/bin/env node
// The `contextpilot` command. In a checkout, the CLI is compiled on first use (after `npm ci`); see the README.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/bin.js', import.meta.url);
if (!existsSync(entry) && existsSync(new URL('../src/bin.ts', import.meta.url))) {
  process.stderr.write('contextpilot: building the CLI (first run)…\n');
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const built = spawnSync(process.execPath, [tsc, '-b', fileURLToPath(new URL('..', import.meta.url))], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (built.status !== 0) {
    process.stderr.write('contextpilot: the build failed; run `npm run build` to see why\n');
    process.exit(1);
  }
}
await import(entry.href);
