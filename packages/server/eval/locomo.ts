/**
 * `npm run eval`: judge-free retrieval evaluation on LoCoMo. Each conversation's turns become context units in an
 * in-memory store; each question of categories 1–4 is a task whose gold is its evidence turns. Prints Recall@5/10/20,
 * MRR and nDCG@10 per ranking configuration (all questions and the audit-clean subset) and writes them as JSON to
 * the git-ignored `eval-results/`.
 *
 * Flags: --data <dir> (else CONTEXTPILOT_LOCOMO_DIR, else <repo>/../shared/data/locomo), --pool <n> (candidates per
 * retriever, default 200), --json <path> (default eval-results/locomo-<timestamp>.json), --experiments (also measure
 * the alternatives of experiments.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { DEFAULT_WEIGHTS } from '../src/domain/ranking.js';
import { createUseLiteEmbedder, USE_LITE_MODEL_ID } from '../src/providers/embeddings/use-lite.js';
import { candidatePool } from '../src/services/search-service.js';
import {
  DEFAULT_CONFIGURATION_NAME,
  SERVER_DEFAULT_NAME,
  standardConfigurations,
  type Configuration,
} from './configurations.js';
import { checkDataDir, loadLocomo, turnContent, type Locomo } from './dataset.js';
import { documentVectors, embedInto, missingTexts } from './embeddings.js';
import { evaluateConversation, type QuestionResult } from './evaluate.js';
import { experimentConfigurations, experimentDocuments } from './experiments.js';
import { MAX_DEPTH } from './metrics.js';
import { bestOnClean, formatCategories, formatTable, summarize, type Summary } from './report.js';
import { openVectorCache, type VectorCache } from './vector-cache.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const MODEL = { modelId: USE_LITE_MODEL_ID, dimension: 512 };
const DEFAULT_POOL = 200;

interface Options {
  dataDir: string;
  pool: number;
  jsonPath: string;
  experiments: boolean;
}

function parseOptions(argv: string[], env: NodeJS.ProcessEnv): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      data: { type: 'string' },
      pool: { type: 'string' },
      json: { type: 'string' },
      experiments: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const pool = values.pool === undefined ? DEFAULT_POOL : Number(values.pool);
  if (!Number.isInteger(pool) || pool < MAX_DEPTH) {
    throw new Error(`--pool must be an integer ≥ ${MAX_DEPTH}, got ${values.pool}`);
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return {
    dataDir: resolve(values.data ?? env.CONTEXTPILOT_LOCOMO_DIR ?? join(REPO_ROOT, '..', 'shared', 'data', 'locomo')),
    pool,
    jsonPath: resolve(values.json ?? join(REPO_ROOT, 'eval-results', `locomo-${stamp}.json`)),
    experiments: values.experiments,
  };
}

/** Fills the vector cache with every turn and question it lacks; the model only starts when something is missing. */
async function ensureVectors(data: Locomo, cache: VectorCache, extraDocuments: readonly string[]): Promise<number> {
  const needs = {
    documents: [...data.conversations.flatMap((c) => c.turns.map(turnContent)), ...extraDocuments],
    queries: data.conversations.flatMap((c) => c.questions.map((q) => q.text)),
  };
  const missing = missingTexts(cache, needs);
  const total = missing.documents.length + missing.queries.length;
  if (total === 0) {
    return 0;
  }
  console.log(
    `Embedding ${missing.documents.length} turns + ${missing.queries.length} questions with ${MODEL.modelId}` +
      ' (first run only, about 1–2 minutes; cached afterwards)…',
  );
  const embedder = createUseLiteEmbedder({ maxWorkers: availableParallelism(), maxChunks: 20, deadlineMs: 600_000 });
  try {
    await embedder.init();
    let reported = 0;
    await embedInto(cache, embedder, missing, (done) => {
      if (done - reported >= 500 || done === total) {
        reported = done;
        console.log(`  embedded ${done}/${total}`);
      }
    });
  } finally {
    await embedder.close();
  }
  cache.save();
  return total;
}

async function evaluateAll(data: Locomo, configurations: readonly Configuration[], pool: number, cache: VectorCache) {
  const results: QuestionResult[] = [];
  for (const conversation of data.conversations) {
    results.push(...(await evaluateConversation(conversation, { configurations, pool, cache, model: MODEL })));
  }
  return results;
}

function printReport(
  data: Locomo,
  results: readonly QuestionResult[],
  summary: Summary,
  options: Options,
  experiments: ReadonlySet<string>,
): void {
  const turns = data.conversations.reduce((n, c) => n + c.turns.length, 0);
  const clean = results.filter((r) => !r.question.flagged).length;
  const { stats } = data;
  console.log(
    `\nLoCoMo retrieval: ${data.conversations.length} conversations, ${turns} turns; ${stats.taskQuestions} questions of ` +
      `categories 1–4, ${stats.skipped} skipped without valid evidence → ${results.length} evaluated, ${clean} clean ` +
      `(${results.length - clean} flagged by the audit). Evidence: ${stats.repaired} entries repaired, ${stats.dropped} ids dropped.`,
  );
  console.log(`Candidate pool ${options.pool} per retriever; metrics over the top ${MAX_DEPTH}.\n`);
  const counts = { all: results.length, clean };
  console.log(
    formatTable(
      summary.configurations.filter((c) => !experiments.has(c.name)),
      counts,
    ),
  );
  console.log(`\nRecall@10 per category, ${DEFAULT_CONFIGURATION_NAME}:\n${formatCategories(summary.perCategory)}`);
  const check = summary.serverCheck;
  const expectedPool = candidatePool(MAX_DEPTH);
  const poolNote =
    options.pool === expectedPool ? '' : ` (rank() uses a pool of ${expectedPool}, this run ${options.pool})`;
  console.log(
    `\nsearch.rank({limit: ${MAX_DEPTH}}) = ${DEFAULT_CONFIGURATION_NAME} on ${check.identical}/${results.length} questions` +
      (check.differing.length > 0 ? `; differs on ${check.differing.slice(0, 5).join(', ')}…${poolNote}` : ''),
  );
  const standard = summary.configurations.filter((c) => !experiments.has(c.name));
  const byRecall = bestOnClean(standard, 'recall10');
  const byMrr = bestOnClean(standard, 'mrr');
  console.log(
    `Best on clean: Recall@10 ${byRecall.clean.recall10.toFixed(3)} ${byRecall.name}; MRR ${byMrr.clean.mrr.toFixed(3)} ${byMrr.name}`,
  );
  if (experiments.size > 0) {
    console.log(`\nExperiments (not used by the server; see experiments.ts):\n`);
    console.log(
      formatTable(
        summary.configurations.filter((c) => experiments.has(c.name)),
        counts,
      ),
    );
  }
}

async function main(): Promise<void> {
  const started = performance.now();
  const options = parseOptions(process.argv.slice(2), process.env);
  const problem = checkDataDir(options.dataDir);
  if (problem !== null) {
    throw new Error(
      `LoCoMo data not found: ${problem}. Pass --data <dir> or set CONTEXTPILOT_LOCOMO_DIR to the folder holding ` +
        'locomo-dev.json and errors.json (see its README.md; the data must not be copied into the repository).',
    );
  }
  const data = loadLocomo(options.dataDir);
  const cache = openVectorCache(join(REPO_ROOT, '.eval-cache'), MODEL.modelId, MODEL.dimension, (m) => console.log(m));
  const extraDocuments = options.experiments ? data.conversations.flatMap((c) => experimentDocuments(c.turns)) : [];
  const embedded = await ensureVectors(data, cache, extraDocuments);
  const embeddedAt = performance.now();

  const experiments = options.experiments
    ? experimentConfigurations({ pool: options.pool, documentVectors: (text) => documentVectors(cache, text) })
    : [];
  const configurations = [...standardConfigurations(), ...experiments];
  const results = await evaluateAll(data, configurations, options.pool, cache);
  const names = [...configurations.map((c) => c.name), SERVER_DEFAULT_NAME];
  const summary = summarize(results, names, DEFAULT_CONFIGURATION_NAME, SERVER_DEFAULT_NAME);
  const finished = performance.now();

  printReport(data, results, summary, options, new Set(experiments.map((c) => c.name)));
  const seconds = (ms: number) => Number((ms / 1000).toFixed(1));
  const timing = {
    totalSeconds: seconds(finished - started),
    embeddingSeconds: seconds(embeddedAt - started),
    embeddedTexts: embedded,
  };
  writeJson(options.jsonPath, {
    createdAt: new Date().toISOString(),
    dataDir: options.dataDir,
    model: MODEL.modelId,
    defaultWeights: DEFAULT_WEIGHTS,
    pool: options.pool,
    depth: MAX_DEPTH,
    counts: {
      conversations: data.conversations.length,
      turns: data.conversations.reduce((n, c) => n + c.turns.length, 0),
      evaluated: results.length,
      clean: results.filter((r) => !r.question.flagged).length,
      ...data.stats,
    },
    timing,
    ...summary,
  });
  console.log(
    `\nTook ${timing.totalSeconds}s (embedding ${timing.embeddingSeconds}s, ${embedded} texts embedded). Results: ${options.jsonPath}`,
  );
}

function writeJson(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
