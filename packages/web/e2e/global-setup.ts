import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { CHROMIUM_PATH, DIST_DIR, REPO_ROOT, WEB_DIR } from './paths.js';

/** The newest modification time under a file or folder (0 when it does not exist). */
function newest(path: string): number {
  if (!existsSync(path)) {
    return 0;
  }
  const stat = statSync(path);
  if (!stat.isDirectory()) {
    return stat.mtimeMs;
  }
  let max = stat.mtimeMs;
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules' || entry === 'dist') {
      continue;
    }
    max = Math.max(max, newest(join(path, entry)));
  }
  return max;
}

/** What the built UI is made from: when any of it is newer than dist/index.html, the UI is built again. */
const SOURCES = [
  join(WEB_DIR, 'src'),
  join(WEB_DIR, 'index.html'),
  join(WEB_DIR, 'public'),
  join(WEB_DIR, 'vite.config.ts'),
  join(REPO_ROOT, 'packages/client/src'),
  join(REPO_ROOT, 'packages/contract/src'),
];

/** Builds the web UI once for the whole run when it is missing or older than its sources. */
export default function setup(): void {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Browser tests need Debian's Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium)`);
  }
  const index = join(DIST_DIR, 'index.html');
  const built = existsSync(index) ? statSync(index).mtimeMs : 0;
  const sources = Math.max(...SOURCES.map(newest));
  if (built === 0 || built < sources) {
    process.stdout.write(`[e2e] building the web UI (${built === 0 ? 'missing' : 'older than its sources'})\n`);
    // Vitest sets NODE_ENV=test, and Vite would then bundle React's development build (StrictMode double effects,
    // twice the size): build as production, as `npm run build` from a shell does.
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'production' };
    for (const key of Object.keys(env)) {
      if (key.startsWith('VITEST')) {
        delete env[key];
      }
    }
    execFileSync('npm', ['run', 'build', '-w', '@contextpilot/web'], { cwd: REPO_ROOT, stdio: 'inherit', env });
  }
}
