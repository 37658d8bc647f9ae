import { randomUUID } from 'node:crypto';
import { chmod, mkdir, open, rename, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import { CliError, EXIT } from './exit-codes.js';

/** What `contextpilot login` saves. */
export interface SavedConfig {
  url?: string;
  api_key?: string;
  signing_secret?: string;
}

const FIELDS = ['url', 'api_key', 'signing_secret'] as const;

/** `$XDG_CONFIG_HOME/contextpilot/config.json`, else `~/.config/contextpilot/config.json`. */
export function configPath(env: Record<string, string | undefined>, home: string): string {
  const base = env.XDG_CONFIG_HOME?.startsWith('/') ? env.XDG_CONFIG_HOME : join(home, '.config');
  return join(base, 'contextpilot', 'config.json');
}

/** Reads a size-bounded file; null when it does not exist. */
async function readIfPresent(path: string): Promise<{ text: string; mode: number } | null> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return null;
    }
    throw new CliError(`Cannot read ${path}: ${(error as Error).message}`, EXIT.usage);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile() || info.size > 64 * 1024) {
      throw new CliError(`${path} is not a configuration file`, EXIT.usage);
    }
    return { text: await handle.readFile('utf8'), mode: info.mode };
  } finally {
    await handle.close();
  }
}

/**
 * The saved configuration, or `{}` when there is none. A file that others could read is refused, as ssh refuses a
 * private key: its key and secret may already be exposed, and using it would hide that.
 */
export async function readConfig(path: string): Promise<SavedConfig> {
  const file = await readIfPresent(path);
  if (file === null) {
    return {};
  }
  if ((file.mode & 0o077) !== 0) {
    throw new CliError(
      `Refusing to use ${path}: it is readable or writable by group or others (mode ${(file.mode & 0o777).toString(8)}). ` +
        `Run: chmod 600 ${path}`,
      EXIT.auth,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(file.text);
  } catch {
    throw new CliError(`${path} is not valid JSON`, EXIT.usage);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new CliError(`${path} must hold a JSON object`, EXIT.usage);
  }
  const config: SavedConfig = {};
  for (const field of FIELDS) {
    const value = (parsed as Record<string, unknown>)[field];
    if (value === undefined || value === null) {
      continue;
    }
    if (typeof value !== 'string') {
      throw new CliError(`${path}: "${field}" must be a string`, EXIT.usage);
    }
    config[field] = value;
  }
  return config;
}

/**
 * Saves the configuration readable by its owner only: a new file is written with mode 0600 in a 0700 directory and
 * renamed over the old one, so no reader ever sees it half-written or with wider permissions.
 */
export async function writeConfig(path: string, config: SavedConfig): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const info = await stat(dir);
  if ((info.mode & 0o022) !== 0) {
    throw new CliError(`Refusing to write into ${dir}: others may write there. Run: chmod 700 ${dir}`, EXIT.auth);
  }
  if (process.getuid !== undefined && info.uid !== process.getuid()) {
    throw new CliError(`Refusing to write into ${dir}: it belongs to another user`, EXIT.auth);
  }
  // A new file of our own ('wx' neither follows a planted link nor reuses a file with other permissions).
  const temporary = `${path}.${process.pid}.${randomUUID()}.tmp`;
  const handle = await open(temporary, 'wx', 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(config, null, 2)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  // The mode given to open() is narrowed by the umask, never widened; set it exactly anyway.
  await chmod(temporary, 0o600);
  await rename(temporary, path);
}
