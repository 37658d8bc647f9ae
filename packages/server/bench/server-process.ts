/**
 * Starts the real server as a child process on 127.0.0.1 and a free port (CONTEXTPILOT_PORT=0; the port is read from
 * its start-up line), in a temporary working directory (so no developer `.env` is read) with a clean environment
 * (no inherited CONTEXTPILOT_* variables). Reads its memory from /proc and stops it: SIGTERM, then SIGKILL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { processCpuMs, threadCpuMs } from './cpu.js';
import { createClient, type Client } from './http.js';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(BENCH_DIR, '../../..');
const SERVER_DIR = join(REPO_ROOT, 'packages/server');

export type ServerMode = 'src' | 'dist';

/** The first source file of `srcDir` whose compiled `.js` in `distDir` is missing or older, or null when none is. */
function staleSource(srcDir: string, distDir: string): string | null {
  for (const entry of readdirSync(srcDir, { withFileTypes: true, recursive: true })) {
    const name = entry.name;
    if (
      !entry.isFile() ||
      !name.endsWith('.ts') ||
      name.endsWith('.d.ts') ||
      /\.(test|test-support|contract)\.ts$/.test(name)
    ) {
      continue;
    }
    const source = join(entry.parentPath, name);
    const compiled = join(distDir, relative(srcDir, source)).replace(/\.ts$/, '.js');
    if (!existsSync(compiled) || statSync(compiled).mtimeMs < statSync(source).mtimeMs) {
      return relative(REPO_ROOT, source);
    }
  }
  return null;
}

/**
 * `src` runs `src/server.ts` through tsx (as in development); `dist` runs the compiled `dist/server.js` (with the
 * `dist` of the packages it loads), allowed only when every source file has a newer compiled file. `auto` takes `dist` when so.
 */
export function chooseServerMode(requested: 'auto' | ServerMode): { mode: ServerMode; reason: string } {
  // The compiled server loads the contract, the MCP package and the client SDK from their builds.
  const stale =
    staleSource(join(SERVER_DIR, 'src'), join(SERVER_DIR, 'dist')) ??
    ['contract', 'mcp', 'client']
      .map((p) => staleSource(join(REPO_ROOT, `packages/${p}/src`), join(REPO_ROOT, `packages/${p}/dist`)))
      .find((found) => found !== null) ??
    null;
  const reason =
    stale === null ? 'dist is newer than every source file' : `dist is stale (${stale} is newer than its build)`;
  if (requested === 'src') {
    return { mode: 'src', reason: 'requested with --server src' };
  }
  if (requested === 'dist') {
    if (stale !== null) {
      throw new Error(`--server dist: ${reason}; run \`npm run build\` first`);
    }
    return { mode: 'dist', reason: 'requested with --server dist' };
  }
  return stale === null
    ? { mode: 'dist', reason }
    : { mode: 'src', reason: `${reason}, so the sources run through tsx` };
}

export interface ServerHandle {
  name: string;
  pid: number;
  baseUrl: string;
  client: Client;
  logPath: string;
  /** VmHWM (peak resident set) and VmRSS of the server process in MiB, from /proc/<pid>/status. */
  memory(): { peakMb: number; rssMb: number } | null;
  /** CPU time the server process has used so far (all threads: event loop, embedding workers, GC), in ms. */
  cpuMs(): number | null;
  /** The same, split into the main thread (event loop) and every other thread. */
  threadCpuMs(): { main: number; others: number } | null;
  stop(): Promise<void>;
}

const live = new Set<ServerHandle>();
let profileRoot: string | null = null;

/**
 * Makes every server started from now on write V8 CPU profiles (`--cpu-prof`, main thread and each worker) into
 * `<dir>/<server name>/` when it exits. Profiling slows the servers: numbers measured with it are for diagnosis.
 */
export function profileServersInto(dir: string): void {
  profileRoot = dir;
}

function readProcMemory(pid: number): { peakMb: number; rssMb: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status)?.[1] ?? Number.NaN);
    return { peakMb: kb('VmHWM') / 1024, rssMb: kb('VmRSS') / 1024 };
  } catch {
    // No /proc (not Linux) or the process is gone: memory is simply not reported.
    return null;
  }
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve(true);
  }
  return new Promise((resolveExit) => {
    const timer = setTimeout(() => resolveExit(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolveExit(true);
    });
  });
}

export interface StartOptions {
  name: string;
  mode: ServerMode;
  /** Working directory and log location (a temp dir the caller owns). */
  workDir: string;
  databasePath: string;
  /** Extra CONTEXTPILOT_* variables. */
  env?: Record<string, string>;
  readyTimeoutMs?: number;
}

/** Starts a server and resolves once it has printed its URL; rejects (and stops it) when it exits or times out. */
export async function startServer(options: StartOptions): Promise<ServerHandle> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.toUpperCase().startsWith('CONTEXTPILOT_') && key !== 'NODE_OPTIONS') {
      env[key] = value;
    }
  }
  Object.assign(env, {
    NODE_ENV: 'production',
    CONTEXTPILOT_HOST: '127.0.0.1',
    CONTEXTPILOT_PORT: '0',
    CONTEXTPILOT_DATABASE_URL: `sqlite:${options.databasePath}`,
    CONTEXTPILOT_LOG_LEVEL: 'warning',
    ...options.env,
  });
  const guard = join(BENCH_DIR, 'child-guard.mjs');
  const profile = profileRoot === null ? [] : ['--cpu-prof', '--cpu-prof-dir', join(profileRoot, options.name)];
  const args =
    options.mode === 'src'
      ? [
          ...profile,
          '--conditions',
          'development',
          '--import',
          import.meta.resolve('tsx'),
          '--import',
          guard,
          join(SERVER_DIR, 'src/server.ts'),
        ]
      : [...profile, '--import', guard, join(SERVER_DIR, 'dist/server.js')];
  const logPath = join(options.workDir, `${options.name}.log`);
  const log = createWriteStream(logPath, { flags: 'a' });
  const child = spawn(process.execPath, args, { cwd: options.workDir, env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  const tail: string[] = [];
  const remember = (chunk: Buffer) => {
    log.write(chunk);
    tail.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    tail.splice(0, Math.max(0, tail.length - 30));
  };
  child.stderr?.on('data', remember);

  const port = await new Promise<number>((resolvePort, reject) => {
    let seen = '';
    const timer = setTimeout(
      () => reject(new Error(`${options.name}: not ready after ${options.readyTimeoutMs ?? 180_000} ms`)),
      options.readyTimeoutMs ?? 180_000,
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      remember(chunk);
      seen += chunk.toString('utf8');
      const match = /running at http:\/\/[^\s:/]+:(\d+)/.exec(seen);
      if (match?.[1]) {
        clearTimeout(timer);
        resolvePort(Number(match[1]));
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(
        new Error(
          `${options.name}: server exited during start-up (code ${code}, signal ${signal}):\n${tail.join('\n')}`,
        ),
      );
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  }).catch(async (error: unknown) => {
    child.kill('SIGKILL');
    await waitForExit(child, 5000);
    log.end();
    throw error;
  });

  const baseUrl = `http://127.0.0.1:${port}`;
  const client = createClient(baseUrl);
  let stopping: Promise<void> | null = null;
  const handle: ServerHandle = {
    name: options.name,
    pid: child.pid ?? -1,
    baseUrl,
    client,
    logPath,
    memory: () => (child.pid === undefined ? null : readProcMemory(child.pid)),
    cpuMs: () => (child.pid === undefined ? null : processCpuMs(child.pid)),
    threadCpuMs: () => (child.pid === undefined ? null : threadCpuMs(child.pid)),
    stop() {
      stopping ??= (async () => {
        client.close();
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          if (!(await waitForExit(child, 20_000))) {
            child.kill('SIGKILL');
            await waitForExit(child, 5000);
          }
        }
        live.delete(handle);
        log.end();
      })();
      return stopping;
    },
  };
  live.add(handle);
  child.once('exit', (code, signal) => {
    if (stopping === null) {
      process.stderr.write(
        `\n${options.name}: server exited unexpectedly (code ${code}, signal ${signal}); log: ${logPath}\n${tail.join('\n')}\n`,
      );
    }
  });
  return handle;
}

/** Process ids of the servers still running. */
export function livePids(): number[] {
  return [...live].map((s) => s.pid);
}

/** Stops every server still running (on errors and Ctrl-C). */
export async function stopAllServers(): Promise<void> {
  await Promise.all([...live].map((s) => s.stop()));
}
