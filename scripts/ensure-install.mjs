// Installs dependencies when they are missing or older than the lockfile, so that `npm start` and `npm test`
// work on a fresh clone with nothing else run first.
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { runStep } from './run-step.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export async function ensureInstalled() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  const fresh = existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs;
  if (fresh) {
    return;
  }
  console.log(
    existsSync(join(root, 'node_modules'))
      ? 'Updating dependencies (package-lock.json changed)…'
      : 'Installing dependencies (first run, about a minute)…',
  );
  // --foreground-scripts shows the native build of better-sqlite3, the slowest part, while it runs.
  const code = await runStep(
    'installing dependencies',
    'npm',
    ['ci', '--no-audit', '--no-fund', '--foreground-scripts'],
    root,
  );
  if (code !== 0) {
    console.error('npm ci failed');
    process.exit(code);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await ensureInstalled();
}
