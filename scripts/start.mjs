// `npm start`: installs and builds when needed, then runs the server (API + web UI) in the foreground.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { ensureInstalled } from './ensure-install.mjs';
import { runStep } from './run-step.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Newest modification time of the files under a directory (0 when it does not exist). */
function newest(dir) {
  if (!existsSync(dir)) {
    return 0;
  }
  let max = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    max = Math.max(max, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return max;
}

async function buildIfStale() {
  // `contextpilot serve` runs the server, which loads the MCP package at run time, and that one the client SDK.
  const packages = ['contract', 'client', 'mcp', 'server', 'cli'];
  const sources = packages.map((p) => join(root, 'packages', p, 'src'));
  const outputs = packages.map((p) => join(root, 'packages', p, 'dist'));
  const stale =
    outputs.some((d) => !existsSync(d)) || Math.max(...sources.map(newest)) > Math.min(...outputs.map(newest));
  if (!stale) {
    return;
  }
  console.log('Building the server (TypeScript)…');
  const code = await runStep('building', 'npm', ['run', 'build', '--silent'], root);
  if (code !== 0) {
    console.error('Build failed');
    process.exit(code);
  }
}

/** Builds the web UI when its sources are newer than its build (skipped when the package is absent). */
async function buildWebIfStale() {
  const web = join(root, 'packages', 'web');
  if (!existsSync(join(web, 'package.json'))) {
    return;
  }
  const built = newest(join(web, 'dist'));
  const sources = Math.max(
    newest(join(web, 'src')),
    newest(join(root, 'packages', 'client', 'src')),
    statSync(join(web, 'index.html')).mtimeMs,
  );
  if (built !== 0 && built >= sources) {
    return;
  }
  console.log('Building the web UI…');
  const code = await runStep(
    'building the web UI',
    'npm',
    ['run', 'build', '--silent', '-w', '@contextpilot/web'],
    root,
  );
  if (code !== 0) {
    console.error('Web UI build failed');
    process.exit(code);
  }
}

await ensureInstalled();
await buildIfStale();
await buildWebIfStale();
console.log('Starting ContextPilot…');
const server = spawn(process.execPath, [join(root, 'packages/cli/dist/bin.js'), 'serve'], {
  cwd: root,
  stdio: 'inherit',
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => server.kill(signal));
}
server.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
