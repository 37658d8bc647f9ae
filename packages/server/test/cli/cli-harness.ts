import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built `contextpilot` binary, as `npx contextpilot` runs it. */
export const CLI_BIN = fileURLToPath(new URL('../../../cli/bin/contextpilot.js', import.meta.url));
export const REPO = fileURLToPath(new URL('../../../..', import.meta.url));

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** The whole environment besides PATH (nothing is inherited: no CONTEXTPILOT_* of the test's own). */
  env?: Record<string, string>;
  /** Written to standard input, which is then closed. */
  input?: string;
}

/** Starts the binary; `done` resolves when it has exited and its output has been read. */
export function spawnCli(
  args: readonly string[],
  options: CliOptions = {},
): { child: ChildProcess; done: Promise<CliRun> } {
  const child = spawn(process.execPath, [CLI_BIN, ...args], {
    cwd: REPO,
    env: { PATH: process.env.PATH ?? '', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdin?.end(options.input ?? '');
  const done = new Promise<CliRun>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

/** Runs the binary to its end. */
export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliRun> {
  return spawnCli(args, options).done;
}

/** The JSON a `--json` run printed (fails with its stderr when it did not succeed). */
export function jsonOf<T>(run: CliRun): T {
  if (run.code !== 0) {
    throw new Error(`contextpilot exited with ${run.code}: ${run.stderr}`);
  }
  return JSON.parse(run.stdout) as T;
}
