/**
 * `npm run bench`: starts the real server as a child process on 127.0.0.1 (fresh temp SQLite file per server) and
 * measures, at each data size, seeding through the import API and background indexing, `/health` while indexing,
 * `POST /generate-prompt` (with its Server-Timing), `GET /contexts`, `POST /contexts` and the peak RSS; then the cost
 * of auth + request signing (plain vs secured server on the same data) and the chat overhead against a loopback
 * OpenAI-compatible fake. Prints a table with each number's target and PASS/MISS, and writes it as JSON to the
 * git-ignored `bench-results/`.
 *
 * Flags: --sizes 1000,10000[,100000]  --quick (1k only, fewer requests)  --only <section,...>  --json <path>
 *        --server auto|src|dist (default auto: dist only when it is newer than every source file)  --seed <n>
 *        --keep (keep the work directory: databases and server logs)
 *        --reuse <dir> (start each size from a copy of the database a `--keep` run left in <dir>: no import or
 *        indexing, so the seed and health rows then measure nothing)
 *        --profile (servers write V8 CPU profiles to bench-results/profiles-<timestamp>/; read them with
 *        `node --import tsx packages/server/bench/profile-top.ts <file.cpuprofile>`)
 * Sections: seed, health, prompt, list, create, memory, security, chat, embedding, mcp, cli, keys.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

import { runChat } from './chat.js';
import { loadAverage, watchForeignCpu } from './cpu.js';
import {
  chooseRateLimitStrategy,
  FULL_COUNTS,
  QUICK_COUNTS,
  SECTIONS,
  sleep,
  wants,
  type BenchContext,
  type Section,
} from './context.js';
import { createGenerator, possibleVocabulary, vocabularySize } from './data.js';
import { measureCreate, measureList, measurePrompt, withOthers } from './endpoints.js';
import { summarize } from './load.js';
import { startOpenAiFake } from './chat-fake.js';
import type { ChatFake } from './openai-chat-fake.js';
import { BUSY_CORES, formatTable, tally, verdict } from './report.js';
import { runEmbedding } from './embedding.js';
import { runCli } from './cli.js';
import { runKeys } from './keys.js';
import { runMcp } from './mcp.js';
import { runSecurity } from './security.js';
import {
  importBatch,
  MAX_IMPORT_BATCH,
  quarterRates,
  startHealthPoller,
  waitIndexed,
  type HealthSample,
  type StatsWindows,
} from './seed.js';
import {
  chooseServerMode,
  livePids,
  profileServersInto,
  REPO_ROOT,
  startServer,
  stopAllServers,
} from './server-process.js';

const SECURITY_SIZE = 1000;
const CHAT_SIZE = 10_000;

interface Options {
  sizes: number[];
  quick: boolean;
  only: Set<Section>;
  jsonPath: string | null;
  server: 'auto' | 'src' | 'dist';
  seed: number;
  profile: boolean;
  /** Keep the work directory (databases, server logs) for a closer look. */
  keep: boolean;
  /** A work directory kept by `--keep`: each size starts from a copy of its seeded database. */
  reuseDir: string | null;
}

const USAGE = `Usage: npm run bench -- [--sizes 1000,10000] [--quick] [--only ${SECTIONS.join(',')}] [--json <path>] [--server auto|src|dist] [--seed <n>] [--profile] [--keep] [--reuse <kept work dir>]`;

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      sizes: { type: 'string' },
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      json: { type: 'string' },
      server: { type: 'string', default: 'auto' },
      seed: { type: 'string', default: '1' },
      profile: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      reuse: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const sizes = (values.sizes ?? (values.quick ? '1000' : '1000,10000')).split(',').map((s) => Number(s.trim()));
  if (sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 1_000_000)) {
    throw new Error(`--sizes: positive integers up to 1,000,000, got "${values.sizes}"`);
  }
  const only = new Set<Section>();
  for (const name of (values.only ?? SECTIONS.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    if (!(SECTIONS as readonly string[]).includes(name)) {
      throw new Error(`--only: unknown section "${name}"; sections: ${SECTIONS.join(', ')}`);
    }
    only.add(name as Section);
  }
  if (!['auto', 'src', 'dist'].includes(values.server)) {
    throw new Error(`--server: auto, src or dist, got "${values.server}"`);
  }
  const seed = Number(values.seed);
  if (!Number.isInteger(seed)) {
    throw new Error(`--seed: an integer, got "${values.seed}"`);
  }
  return {
    sizes: [...new Set(sizes)].sort((a, b) => a - b),
    quick: values.quick,
    only,
    jsonPath: values.json === undefined ? null : resolve(values.json),
    server: values.server as Options['server'],
    seed,
    profile: values.profile,
    keep: values.keep,
    reuseDir: values.reuse === undefined ? null : resolve(values.reuse),
  };
}

function healthRows(
  ctx: BenchContext,
  size: number,
  all: HealthSample[],
  others: number | null,
  statsWindows: StatsWindows,
): void {
  // Polls that overlapped the benchmark's own /stats calls (which block the event loop) are the benchmark's doing.
  const overlapped = (p: HealthSample) => statsWindows.some((w) => p.from < w.to && w.from < p.to);
  const samples = all.filter((p) => !overlapped(p));
  const excluded = all.length - samples.length;
  const during = (phase: HealthSample['phase']) => samples.filter((s) => s.phase === phase);
  const indexing = summarize(
    during('indexing')
      .filter((s) => s.ok)
      .map((s) => s.ms),
  );
  const importing = summarize(
    during('import')
      .filter((s) => s.ok)
      .map((s) => s.ms),
  );
  const failed = samples.filter((s) => !s.ok).length;
  const s = 'health';
  ctx.rows.push(
    ...withOthers(others, [
      {
        section: s,
        size,
        metric: 'GET /health p50 while indexing',
        value: indexing.p50,
        unit: 'ms',
        note: `${indexing.count} polls every 100 ms${excluded > 0 ? `; ${excluded} polls left out: they overlapped the benchmark's own /stats calls` : ''}`,
      },
      {
        section: s,
        size,
        metric: 'GET /health p95 while indexing',
        value: indexing.p95,
        unit: 'ms',
        target: { kind: 'max', limit: 50 },
      },
      {
        section: s,
        size,
        metric: 'GET /health max while indexing',
        value: indexing.max,
        unit: 'ms',
        target: { kind: 'max', limit: 50 },
      },
      {
        section: s,
        size,
        metric: 'GET /health max during import request',
        value: importing.max,
        unit: 'ms',
        note: `${importing.count} polls, p50 ${importing.p50.toFixed(1)} ms (the import parses and writes on the event loop)`,
      },
    ]),
  );
  const slow = during('indexing').filter((p) => p.ms > 50);
  if (slow.length > 0) {
    const worst = [...slow].sort((a, b) => b.ms - a.ms).slice(0, 4);
    ctx.rows.push({
      section: s,
      size,
      metric: 'GET /health polls > 50 ms while indexing',
      value: slow.length,
      unit: 'count',
      note: `worst at ${worst.map((p) => `${(p.atMs / 1000).toFixed(0)} s (${p.ms.toFixed(0)} ms)`).join(', ')} of ${((samples.at(-1)?.atMs ?? 0) / 1000).toFixed(0)} s`,
      otherCores: others,
    });
  }
  if (failed > 0) {
    ctx.rows.push({
      section: s,
      size,
      metric: 'GET /health failed polls',
      value: failed,
      unit: 'count',
      target: { kind: 'max', limit: 0 },
    });
  }
  ctx.details[`health-${size}`] = { indexing, importing, failed };
}

async function runSize(
  ctx: BenchContext,
  size: number,
  fake: ChatFake | null,
  clients: { mcp: boolean; cli: boolean },
): Promise<void> {
  const dir = join(ctx.workRoot, `size-${size}`);
  mkdirSync(dir, { recursive: true });
  const reused = ctx.reuseDir === null ? null : join(ctx.reuseDir, `size-${size}`, 'bench.db');
  if (reused !== null) {
    if (!existsSync(reused)) {
      throw new Error(`--reuse: no database for size ${size} at ${reused}`);
    }
    copyFileSync(reused, join(dir, 'bench.db'));
  }
  ctx.progress(`size ${size}: starting the server${reused === null ? '' : ` on a copy of ${reused}`}`);
  const server = await startServer({
    name: `main-${size}`,
    mode: ctx.mode,
    workDir: dir,
    databasePath: join(dir, 'bench.db'),
    env: {
      ...ctx.rateLimits.env,
      ...(fake ? { CONTEXTPILOT_OPENAI_API_KEY: 'x', CONTEXTPILOT_OPENAI_BASE_URL: fake.baseUrl } : {}),
    },
  });
  try {
    const atStart = server.memory();
    const client = server.client;

    // 1–2. Seeding through the import API, with /health polled while the units are indexed.
    const gen = createGenerator(ctx.seed * 1_000_003 + size);
    let phase: HealthSample['phase'] = 'import';
    const poller = wants(ctx, 'health') ? startHealthPoller(client, 100, 60 * 60_000, () => phase) : null;
    const importTimes: number[] = [];
    const contents: string[] = [];
    const seedOthers = ctx.watchOthers();
    const threadsBefore = server.threadCpuMs();
    const start = performance.now();
    try {
      for (let done = 0; done < size; done += MAX_IMPORT_BATCH) {
        const units = Array.from({ length: Math.min(MAX_IMPORT_BATCH, size - done) }, () => gen.unit());
        if (contents.length < 20_000) {
          contents.push(...units.map((u) => u.content));
        }
        if (reused !== null) {
          // The units were made (so the tasks that follow are the same) and are already in the database.
          continue;
        }
        phase = 'import';
        const result = await importBatch(client, units);
        phase = 'indexing';
        importTimes.push(result.ms);
        ctx.progress(
          `size ${size}: imported ${done + units.length}/${size} (request ${(result.ms / 1000).toFixed(2)} s)`,
        );
      }
    } finally {
      phase = 'indexing';
    }
    const importedMs = performance.now() - start;
    const timeoutMs = Math.max(10 * 60_000, (size / 10_000) * 8 * 60_000);
    const statsWindows: StatsWindows = [];
    const wait = await waitIndexed(
      client,
      timeoutMs,
      (remaining, elapsed) =>
        ctx.progress(
          `size ${size}: ${remaining} units without vectors (${((importedMs + elapsed) / 1000).toFixed(0)} s)`,
        ),
      statsWindows,
    );
    const indexedMs = performance.now() - start;
    const healthSamples = (await poller?.stop()) ?? [];
    const othersWhileSeeding = seedOthers.stop();
    const threadsAfter = server.threadCpuMs();
    ctx.progress(`size ${size}: all ${size} units indexed in ${(indexedMs / 1000).toFixed(1)} s`);
    if (wants(ctx, 'seed')) {
      const s = 'seed';
      const batches = importTimes.length;
      ctx.rows.push(
        ...withOthers(othersWhileSeeding, [
          {
            section: s,
            size,
            metric: batches === 1 ? 'import request' : `import requests (${batches} × ≤ 10k)`,
            value: importTimes.reduce((a, b) => a + b, 0),
            unit: 'ms',
            note:
              batches === 1
                ? `${((size * 1000) / (importTimes[0] ?? 1)).toFixed(0)} units/s written`
                : `slowest batch ${(Math.max(...importTimes) / 1000).toFixed(2)} s`,
          },
          {
            section: s,
            size,
            metric: 'import → all indexed',
            value: indexedMs,
            unit: 'ms',
            target: size === 10_000 ? { kind: 'max', limit: 120_000 } : undefined,
            note: 'from the first import request until /health pending = 0 and /stats agrees',
          },
          {
            section: s,
            size,
            metric: 'indexing rate',
            value: (size * 1000) / indexedMs,
            unit: 'units/s',
            note: `vocabulary ${vocabularySize(contents)} words`,
          },
        ]),
      );
      if (threadsBefore !== null && threadsAfter !== null) {
        const mainCores = (threadsAfter.main - threadsBefore.main) / indexedMs;
        const otherCores = (threadsAfter.others - threadsBefore.others) / indexedMs;
        ctx.rows.push({
          section: s,
          size,
          metric: 'server main thread busy while seeding',
          value: mainCores * 100,
          unit: '%',
          note: `other threads (embedding workers, GC) ${otherCores.toFixed(2)} cores on average`,
          otherCores: othersWhileSeeding,
        });
      }
      const quarters = quarterRates(wait.timeline);
      if (quarters !== null) {
        ctx.rows.push({
          section: s,
          size,
          metric: 'indexing rate, last quarter',
          value: quarters.last,
          unit: 'units/s',
          note: `first quarter ${quarters.first.toFixed(0)} units/s (of the units waiting for vectors)`,
          otherCores: othersWhileSeeding,
        });
      }
      if (wait.earlyZeroes > 0) {
        ctx.rows.push({
          section: s,
          size,
          metric: '/health pending 0 while units lacked vectors',
          value: wait.maxMissedAtZero,
          unit: 'count',
          note: `${wait.earlyZeroes} checks: /health said pending 0, /stats counted up to this many active units without vectors; /health pending peaked at ${wait.maxPendingSeen}`,
        });
      }
      ctx.details[`seed-${size}`] = {
        importTimes,
        importedMs,
        indexedMs,
        wait,
        memoryAtStart: atStart,
        memoryAfterSeed: server.memory(),
      };
    }
    if (wants(ctx, 'health')) {
      healthRows(ctx, size, healthSamples, othersWhileSeeding, statsWindows);
    }

    // 3. Endpoints at this size. VmHWM after each phase shows which one raised the peak.
    const peaks: Record<string, number> = { 'start-up': atStart?.peakMb ?? Number.NaN };
    const notePeak = (phase: string) => {
      peaks[phase] = server.memory()?.peakMb ?? Number.NaN;
    };
    notePeak('seed');
    const tasks = Array.from({ length: 5000 }, () => gen.task());
    if (wants(ctx, 'prompt')) {
      ctx.progress(`size ${size}: POST /generate-prompt`);
      await measurePrompt(ctx, server, size, tasks);
      notePeak('prompt');
    }
    if (wants(ctx, 'list')) {
      ctx.progress(`size ${size}: GET /contexts`);
      await measureList(ctx, server, size);
      notePeak('list');
    }
    if (clients.mcp) {
      await runMcp(ctx, server, size, tasks, join(dir, 'bench.db'));
      notePeak('mcp');
    }
    if (clients.cli) {
      await runCli(ctx, server, size, tasks);
    }
    if (fake !== null) {
      ctx.progress(`size ${size}: POST /ai/chat and /ai/chat/stream`);
      await runChat(ctx, client, fake, size, tasks);
      notePeak('chat');
    }
    // Creates last: they add units, which the other measurements should not see.
    if (wants(ctx, 'create')) {
      ctx.progress(`size ${size}: POST /contexts`);
      const bodies = Array.from({ length: 4000 }, () => gen.createBody());
      await measureCreate(ctx, server, size, bodies);
      notePeak('create');
    }

    // 4. Peak RSS (VmHWM) of the server process, embedding worker threads included.
    const memory = server.memory();
    if (wants(ctx, 'memory')) {
      ctx.rows.push({
        section: 'memory',
        size,
        metric: 'server peak RSS (VmHWM)',
        value: memory?.peakMb ?? Number.NaN,
        unit: 'MB',
        target: { kind: 'max', limit: 700 },
        note: `RSS now ${memory?.rssMb.toFixed(0)} MB; peak after ${Object.entries(peaks)
          .map(([phase, mb]) => `${phase} ${mb.toFixed(0)}`)
          .join(', ')} MB; one process incl. embedding workers`,
      });
    }
    ctx.details[`memory-${size}`] = { atStart, atEnd: memory, peaksAfterPhase: peaks };
  } finally {
    await server.stop();
  }
}

/** The commit measured, and how many server/contract source files differ from it (read-only git calls). */
function sourceVersion(): string {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    const head = git('rev-parse', '--short', 'HEAD');
    const changed = git('status', '--porcelain', '--', 'packages/server/src', 'packages/contract/src');
    const count = changed === '' ? 0 : changed.split('\n').length;
    return count === 0 ? head : `${head} + ${count} changed source file(s)`;
  } catch {
    // Not a git checkout, or no git: the version is simply not recorded.
    return 'unknown';
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const benchStart = performance.now();
  let lastProgress = '';
  const progress = (message: string) => {
    lastProgress = message;
    console.log(`[${((performance.now() - benchStart) / 1000).toFixed(1).padStart(6)} s] ${message}`);
  };
  const server = chooseServerMode(options.server);
  const rateLimits = chooseRateLimitStrategy();
  const workRoot = mkdtempSync(join(tmpdir(), 'contextpilot-bench-'));
  const ctx: BenchContext = {
    mode: server.mode,
    counts: options.quick ? QUICK_COUNTS : FULL_COUNTS,
    only: options.only,
    rateLimits,
    workRoot,
    reuseDir: options.reuseDir,
    seed: options.seed,
    rows: [],
    details: {},
    progress,
    watchOthers: () => watchForeignCpu(() => [process.pid, ...livePids()]),
  };
  const meta = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round(totalmem() / 1024 ** 3),
    platform: `${process.platform} ${process.arch}`,
    server: `${server.mode} (${server.reason})`,
    rateLimits: rateLimits.description,
    sizes: options.sizes,
    quick: options.quick,
    sections: [...options.only],
    counts: ctx.counts,
    seed: options.seed,
    profile: options.profile,
    commit: sourceVersion(),
    generatorVocabulary: possibleVocabulary(),
    loadAverageAtStart: loadAverage(),
  };
  console.log('ContextPilot benchmark');
  console.log(`  Node ${meta.node}, ${meta.cpus} CPUs (${meta.cpuModel}), ${meta.memoryGb} GB RAM, ${meta.platform}`);
  console.log(`  server: ${meta.server}; commit ${meta.commit}`);
  console.log(`  rate limits: ${meta.rateLimits}`);
  console.log(
    `  sizes: ${options.sizes.join(', ')}${options.quick ? ' (quick)' : ''}; sections: ${meta.sections.join(', ')}`,
  );
  console.log(`  work dir: ${workRoot}`);
  if (options.profile) {
    const dir = join(REPO_ROOT, 'bench-results', `profiles-${meta.date.replace(/[:.]/g, '-')}`);
    profileServersInto(dir);
    console.log(`  profiling: CPU profiles go to ${dir} (the servers run slower; use the numbers for diagnosis only)`);
  }
  const othersAtStart = watchForeignCpu(() => []);
  await sleep(1000);
  const idleOthers = othersAtStart.stop();
  console.log(
    `  other processes: load average ${meta.loadAverageAtStart ?? 'n/a'}, ${idleOthers?.toFixed(2) ?? 'n/a'} cores busy just before the start`,
  );
  if (idleOthers !== null && idleOthers > BUSY_CORES) {
    console.log(
      `  WARNING: other processes are using the CPUs; numbers marked "!" in the "others" column are inflated by them`,
    );
  }

  let fake: ChatFake | null = null;
  let interrupted = false;
  const cleanup = async () => {
    await stopAllServers();
    await fake?.close();
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) {
      process.exit(130);
    }
    interrupted = true;
    console.log(`\n${signal}: stopping the servers…`);
    void cleanup().finally(() => {
      rmSync(workRoot, { recursive: true, force: true });
      process.exit(130);
    });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const errors: string[] = [];
  /** Runs a section; a throw, or running past `deadlineMs` (a safety net over the per-request timeouts), fails it. */
  const attempt = async (label: string, deadlineMs: number, work: () => Promise<void>) => {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(`did not finish within ${Math.round(deadlineMs / 60_000)} min (last step: ${lastProgress})`),
          ),
        deadlineMs,
      );
    });
    try {
      await Promise.race([work(), deadline]);
    } catch (error) {
      // Whatever the section was waiting for is stopped with its servers, so nothing keeps running behind it.
      await stopAllServers();
      if (interrupted) {
        return;
      }
      const message = error instanceof Error ? error.message : String(error);
      errors.push(`${label}: ${message}`);
      ctx.rows.push({
        section: label,
        metric: 'section failed',
        value: Number.NaN,
        unit: 'count',
        target: { kind: 'max', limit: 0 },
        note: message.split('\n')[0]?.slice(0, 140),
      });
      progress(`${label} FAILED: ${message}`);
    } finally {
      clearTimeout(timer);
    }
  };

  try {
    const perSize = wants(ctx, 'seed', 'health', 'prompt', 'list', 'create', 'memory', 'chat', 'mcp', 'cli');
    const chatSize = options.sizes.includes(CHAT_SIZE) ? CHAT_SIZE : options.sizes[options.sizes.length - 1];
    if (perSize) {
      for (const size of options.sizes) {
        if (interrupted) {
          break;
        }
        // Indexing gets up to 8 min per 10k units (see runSize); the measurements after it need a few minutes.
        const deadlineMs = Math.max(10 * 60_000, (size / 10_000) * 8 * 60_000) + 15 * 60_000;
        await attempt(`size ${size}`, deadlineMs, async () => {
          const wantChat = wants(ctx, 'chat') && size === chatSize;
          if (wantChat && fake === null) {
            const started = await startOpenAiFake();
            fake = started.fake;
            ctx.details['chatFake'] = started.source;
            progress(`chat fake: ${started.source}`);
          }
          await runSize(ctx, size, wantChat ? fake : null, {
            mcp: wants(ctx, 'mcp') && size === chatSize,
            cli: wants(ctx, 'cli') && size === chatSize,
          });
        });
      }
    }
    if (wants(ctx, 'embedding') && !interrupted) {
      await attempt('embedding', 40 * 60_000, () => runEmbedding(ctx, ctx.counts.embeddingIndexUnits));
    }
    if (wants(ctx, 'keys') && !interrupted) {
      await attempt('keys', 10 * 60_000, () => runKeys(ctx));
    }
    if (wants(ctx, 'security') && !interrupted) {
      await attempt('security', 30 * 60_000, () => runSecurity(ctx, SECURITY_SIZE));
    }
  } finally {
    if (!interrupted) {
      await cleanup();
    }
  }
  if (interrupted) {
    return;
  }

  console.log('');
  console.log(formatTable(ctx.rows));
  const { pass, miss, missed } = tally(ctx.rows);
  console.log('');
  console.log(`${pass} PASS, ${miss} MISS${errors.length > 0 ? `, ${errors.length} section(s) failed` : ''}`);
  const busy = ctx.rows.filter((r) => (r.otherCores ?? 0) > BUSY_CORES).length;
  if (busy > 0) {
    console.log(
      `  ${busy} rows were measured while other processes used more than ${BUSY_CORES} cores ("others" column, marked "!")`,
    );
  }
  for (const row of missed) {
    console.log(`  MISS ${row.section}${row.size === undefined ? '' : ` @${row.size}`}: ${row.metric}`);
  }
  if (options.sizes.includes(CHAT_SIZE) === false && wants(ctx, 'chat')) {
    console.log(`  note: chat was measured at ${options.sizes[options.sizes.length - 1]} units (10k not in --sizes)`);
  }

  const report = {
    meta: { ...meta, loadAverageAtEnd: loadAverage(), totalSeconds: (performance.now() - benchStart) / 1000 },
    rows: ctx.rows.map((row) => ({ ...row, verdict: verdict(row) })),
    errors,
    details: ctx.details,
  };
  // Raw latency lists stay out of the file; the summaries are there.
  const json = JSON.stringify(report, (key, value: unknown) => (key === 'latencies' ? undefined : value), 2);
  const stamp = meta.date.replace(/[:.]/g, '-');
  const paths = [
    join(REPO_ROOT, 'bench-results', `bench-${stamp}.json`),
    ...(options.jsonPath ? [options.jsonPath] : []),
  ];
  for (const path of paths) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${json}\n`);
    console.log(`wrote ${path}`);
  }
  if (errors.length > 0) {
    console.log(`server logs kept in ${workRoot}`);
    process.exitCode = 1;
  } else if (options.keep) {
    console.log(`databases and server logs kept in ${workRoot}`);
  } else {
    rmSync(workRoot, { recursive: true, force: true });
  }
}

main().catch(async (error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  await stopAllServers();
  process.exit(1);
});
