/**
 * Turning per-question rankings into the averaged metrics of the report, and printing them.
 */
import { CATEGORY_NAMES } from './dataset.js';
import type { QuestionResult } from './evaluate.js';
import { meanMetrics, METRIC_NAMES, scoreRanking, type QuestionMetrics } from './metrics.js';

export interface ConfigurationScores {
  name: string;
  all: QuestionMetrics;
  clean: QuestionMetrics;
}

export interface CategoryScores {
  category: number;
  name: string;
  questions: { all: number; clean: number };
  recall10: { all: number; clean: number };
}

export interface ServerCheck {
  /** Questions where `search.rank()` returned exactly the ids of the configuration, in the same order. */
  identical: number;
  /** Ids of the questions where it did not. */
  differing: string[];
}

export interface Summary {
  configurations: ConfigurationScores[];
  /** Recall@10 per question category, for the `DEFAULT_WEIGHTS` configuration. */
  perCategory: CategoryScores[];
  serverCheck: ServerCheck;
}

function averageOver(results: readonly QuestionResult[], name: string): QuestionMetrics {
  return meanMetrics(results.map((r) => scoreRanking(r.rankings[name] ?? [], new Set(r.question.gold))));
}

function sameOrder(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  return a !== undefined && b !== undefined && a.length === b.length && a.every((id, i) => id === b[i]);
}

/** Scores every configuration over all questions and over the clean subset (questions not flagged by the audit). */
export function summarize(
  results: readonly QuestionResult[],
  names: readonly string[],
  defaultName: string,
  serverName: string,
): Summary {
  const clean = results.filter((r) => !r.question.flagged);
  const configurations = names.map((name) => ({
    name,
    all: averageOver(results, name),
    clean: averageOver(clean, name),
  }));
  const perCategory = Object.entries(CATEGORY_NAMES).map(([id, name]): CategoryScores => {
    const inAll = results.filter((r) => r.question.category === Number(id));
    const inClean = inAll.filter((r) => !r.question.flagged);
    return {
      category: Number(id),
      name,
      questions: { all: inAll.length, clean: inClean.length },
      recall10: { all: averageOver(inAll, defaultName).recall10, clean: averageOver(inClean, defaultName).recall10 },
    };
  });
  const differing = results
    .filter((r) => !sameOrder(r.rankings[defaultName], r.rankings[serverName]))
    .map((r) => r.question.id);
  return { configurations, perCategory, serverCheck: { identical: results.length - differing.length, differing } };
}

const HEADERS = ['R@5', 'R@10', 'R@20', 'MRR', 'nDCG@10'];

function metricCells(m: QuestionMetrics): string[] {
  return METRIC_NAMES.map((name) => m[name].toFixed(3));
}

/** The results table: one row per configuration, the five metrics for all questions, then for the clean subset. */
export function formatTable(
  configurations: readonly ConfigurationScores[],
  counts: { all: number; clean: number },
): string {
  const nameWidth = Math.max(13, ...configurations.map((c) => c.name.length));
  const cell = (s: string) => s.padStart(7);
  const group = (label: string) => label.padEnd(HEADERS.length * 8 - 1);
  const lines = [
    `${''.padEnd(nameWidth)} | ${group(`all (${counts.all} questions)`)} | ${group(`clean (${counts.clean} questions)`)}`,
    `${'configuration'.padEnd(nameWidth)} | ${HEADERS.map(cell).join(' ')} | ${HEADERS.map(cell).join(' ')}`,
    `${'-'.repeat(nameWidth)}-+-${'-'.repeat(HEADERS.length * 8 - 1)}-+-${'-'.repeat(HEADERS.length * 8 - 1)}`,
  ];
  for (const c of configurations) {
    lines.push(
      `${c.name.padEnd(nameWidth)} | ${metricCells(c.all).map(cell).join(' ')} | ${metricCells(c.clean).map(cell).join(' ')}`,
    );
  }
  return lines.join('\n');
}

/** Recall@10 per category of the default configuration. */
export function formatCategories(perCategory: readonly CategoryScores[]): string {
  return perCategory
    .map(
      (c) =>
        `  ${String(c.category)} ${c.name.padEnd(12)} R@10 all ${c.recall10.all.toFixed(3)} (n=${c.questions.all})` +
        `  clean ${c.recall10.clean.toFixed(3)} (n=${c.questions.clean})`,
    )
    .join('\n');
}

/** The configuration with the highest value of `metric` on the clean subset (first in table order on ties). */
export function bestOnClean(
  configurations: readonly ConfigurationScores[],
  metric: keyof QuestionMetrics,
): ConfigurationScores {
  const first = configurations[0];
  if (first === undefined) {
    throw new Error('no configurations');
  }
  return configurations.reduce((best, c) => (c.clean[metric] > best.clean[metric] ? c : best), first);
}
