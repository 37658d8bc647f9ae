import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** packages/web */
export const WEB_DIR = resolve(here, '..');
/** The built UI the server serves. */
export const DIST_DIR = resolve(WEB_DIR, 'dist');
export const REPO_ROOT = resolve(WEB_DIR, '../..');
/** Debian's Chromium (apt), never a downloaded browser build. */
export const CHROMIUM_PATH = '/usr/bin/chromium';
