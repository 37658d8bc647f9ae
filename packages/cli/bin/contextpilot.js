#!/usr/bin/env node
// The `contextpilot` command. In a checkout, the CLI and what it loads are compiled when their sources are newer than
// the last build (the first run after `npm ci`, or after a pull); an installed package runs its dist as it is.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const entry = new URL('../dist/bin.js', import.meta.url);
const stamp = new URL('../dist/.built', import.meta.url);
const lock = new URL('../.build-lock', import.meta.url);
/** The workspace packages the CLI runs, each with its `src/` (present only in a checkout). */
const SOURCES = ['contract', 'client', 'mcp', 'server', 'cli'].map(
  (name) => new URL(`../../${name}/src`, import.meta.url),
);

/** Newest modification time under a folder (test files aside: they are not built). */
function newest(dir) {
  let max = 0;
  for (const item of readdirSync(dir, { withFileTypes: true })) {
    const path = `${dir}/${item.name}`;
    if (item.isDirectory()) {
      max = Math.max(max, newest(path));
    } else if (!item.name.includes('.test.')) {
      max = Math.max(max, statSync(path).mtimeMs);
    }
  }
  return max;
}

function isStale() {
  if (!existsSync(stamp) || !existsSync(entry)) {
    return true;
  }
  const built = statSync(stamp).mtimeMs;
  return SOURCES.some((dir) => existsSync(dir) && newest(fileURLToPath(dir)) > built);
}

/** Builds under a lock: a second command started meanwhile waits for the first one's build instead of racing it. */
function build() {
  try {
    mkdirSync(lock);
  } catch {
    // Another process is building (or died building: a lock older than 5 minutes is taken over).
    const started = Date.now();
    while (existsSync(lock) && Date.now() - started < 300_000 && Date.now() - statSync(lock).mtimeMs < 300_000) {
      spawnSync(process.execPath, ['-e', 'setTimeout(() => {}, 200)']);
    }
    if (!isStale()) {
      return;
    }
    rmSync(lock, { recursive: true, force: true });
    mkdirSync(lock);
  }
  try {
    process.stderr.write('contextpilot: building the CLI (its sources changed)…\n');
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    const built = spawnSync(process.execPath, [tsc, '-b', packageDir], { stdio: ['ignore', 'inherit', 'inherit'] });
    if (built.status !== 0) {
      process.stderr.write('contextpilot: the build failed; run `npm run build` to see why\n');
      process.exit(1);
    }
    const now = new Date();
    writeFileSync(stamp, '');
    utimesSync(stamp, now, now);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

if (existsSync(new URL('../src', import.meta.url)) && isStale()) {
  build();
}
await import(entry.href);
