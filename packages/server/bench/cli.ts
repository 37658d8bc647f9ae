/**
 * The CLI section, on the seeded server of one size: `contextpilot search "<task>" --json` run as a user runs it, a
 * new process each time (the launcher, the compiled CLI, the request, the JSON on stdout), timed from spawn to exit;
 * and `contextpilot --version`, the cost of starting the process alone.
 */
import { execFile, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

import { ROUTE_LIMITS, type BenchContext } from './context.js';
import { failureRow, withOthers } from './endpoints.js';
import { runSequential, type Sample } from './load.js';
import { REPO_ROOT, type ServerHandle } from './server-process.js';

const CLI_BIN = join(REPO_ROOT, 'packages/cli/bin/contextpilot.js');

/** One run of the binary to its exit; ok when it exits 0 and `check` accepts its stdout. */
function timedRun(args: readonly string[], env: Record<string, string>, check: (stdout: string) => boolean) {
  return new Promise<Sample>((resolve) => {
    const started = performance.now();
    execFile(process.execPath, [CLI_BIN, ...args], { env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const ms = performance.now() - started;
      if (error !== null) {
        resolve({ ok: false, ms, error: `${error.code ?? ''} ${stderr.slice(0, 120)}` });
        return;
      }
      resolve(
        check(stdout) ? { ok: true, ms } : { ok: false, ms, error: `unexpected output: ${stdout.slice(0, 120)}` },
      );
    });
  });
}

export async function runCli(ctx: BenchContext, server: ServerHandle, size: number, tasks: readonly string[]) {
  const s = 'cli';
  ctx.progress(`size ${size}: contextpilot search --json`);
  // The binary runs its compiled code: build it if a source changed.
  execFileSync(process.execPath, [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-b', 'packages/cli'], {
    cwd: REPO_ROOT,
  });
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: ctx.workRoot };
  // Every run comes from 127.0.0.1 (a CLI sends no forwarded address): stay under /generate-prompt's per-client limit.
  const count = Math.min(ctx.counts.sequential, ROUTE_LIMITS.generatePrompt - 10);
  const search = (i: number) =>
    timedRun(['search', tasks[i % tasks.length] ?? 'task', '--json', '--url', server.baseUrl], env, (stdout) =>
      Array.isArray(JSON.parse(stdout)),
    );
  const version = () => timedRun(['--version'], env, (stdout) => /^\d+\.\d+\.\d+\n$/.test(stdout));
  await runSequential(3, 60_000, version);
  let watch = ctx.watchOthers();
  const started = await runSequential(20, 60_000, version);
  const othersStart = watch.stop();
  await runSequential(3, 60_000, search);
  watch = ctx.watchOthers();
  const searched = await runSequential(count, 180_000, (i) => search(i + 3));
  const othersSearch = watch.stop();
  ctx.rows.push(
    ...withOthers(othersStart, [
      {
        section: s,
        size,
        metric: 'contextpilot --version wall p95',
        value: started.latency.p95,
        unit: 'ms',
        note: 'process start alone',
      },
    ]),
    ...withOthers(othersSearch, [
      { section: s, size, metric: 'contextpilot search --json wall p50', value: searched.latency.p50, unit: 'ms' },
      {
        section: s,
        size,
        metric: 'contextpilot search --json wall p95',
        value: searched.latency.p95,
        unit: 'ms',
        target: { kind: 'max', limit: 400 },
        note: `spawn to exit, ${searched.ok} runs: process start, request, JSON output`,
      },
    ]),
    ...failureRow(s, size, 'contextpilot --version', started),
    ...failureRow(s, size, 'contextpilot search --json', searched),
  );
  ctx.details['cli'] = { version: started, search: searched };
}
