import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Redis and PostgreSQL servers of a test's own, on free loopback ports, for tests that stop and restart them. The
 * shared servers on 6379 and 5432 are never touched.
 */

/** A free loopback TCP port. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || address === null) {
    throw new Error('no address');
  }
  return address.port;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Resolves once something accepts connections on `port`; rejects after `timeoutMs`. */
async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await accepts(port))) {
    if (Date.now() > deadline) {
      throw new Error(`nothing listens on port ${port} after ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export interface OwnRedis {
  url: string;
  /** Kills the server (SIGKILL: no shutdown, nothing saved). */
  kill(): Promise<void>;
  /** Starts it again on the same port, empty. */
  start(): Promise<void>;
  /** Stops the process (SIGSTOP): connections stay open and nothing answers. */
  pause(): void;
  /** Lets a paused process go on (SIGCONT). */
  resume(): void;
}

/** A `redis-server` child process without persistence: a restart loses every key, as a cache-only Redis does. */
export async function startOwnRedis(): Promise<OwnRedis> {
  const port = await freePort();
  let child: ChildProcess | null = null;
  const own: OwnRedis = {
    url: `redis://127.0.0.1:${port}`,
    async start() {
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
      child = spawn('redis-server', args, { stdio: 'ignore' });
      await waitForPort(port);
    },
    pause() {
      child?.kill('SIGSTOP');
    },
    resume() {
      child?.kill('SIGCONT');
    },
    async kill() {
      const running = child;
      child = null;
      if (running === null || running.exitCode !== null) {
        return;
      }
      const exited = new Promise((resolve) => running.once('exit', resolve));
      running.kill('SIGKILL');
      await exited;
    },
  };
  await own.start();
  return own;
}

export interface OwnPostgres {
  /** `postgres://…` URL of the server's `postgres` database. */
  url: string;
  /** Stops the server (fast shutdown: open connections are terminated). */
  stop(): void;
  start(): void;
  /** Stops the server and removes its data directory. */
  destroy(): void;
}

/** Debian's PostgreSQL binaries, newest version first. */
function postgresBin(): string {
  const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
  if (versions[0] === undefined) {
    throw new Error('no PostgreSQL under /usr/lib/postgresql');
  }
  return join('/usr/lib/postgresql', versions[0], 'bin');
}

/**
 * A PostgreSQL server in a temporary directory (`initdb`, then `pg_ctl start`), trusting local connections. The
 * server refuses to run as root: as root, its files belong to the `postgres` user and it runs as that user.
 */
export async function startOwnPostgres(): Promise<OwnPostgres> {
  const port = await freePort();
  const bin = postgresBin();
  const dir = mkdtempSync(join(tmpdir(), 'contextpilot-pg-'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  const run = (tool: string, args: string[]) => {
    const command = join(bin, tool);
    execFileSync(asRoot ? 'runuser' : command, asRoot ? ['-u', 'postgres', '--', command, ...args] : args, {
      stdio: 'ignore',
    });
  };
  const data = join(dir, 'data');
  run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync']);
  const options = `-p ${port} -k ${dir} -h 127.0.0.1 -c fsync=off`;
  let running = false;
  const own: OwnPostgres = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start() {
      run('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'server.log'), '-w', 'start']);
      running = true;
    },
    stop() {
      if (running) {
        run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
        running = false;
      }
    },
    destroy() {
      own.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  own.start();
  return own;
}
