/**
 * Retrieval metrics over one ranked list of ids and the set of relevant ("gold") ids. Pure functions; every one
 * needs a non-empty gold set (questions without gold are skipped before scoring).
 */

/** The metrics reported for one question (and, averaged, for a set of questions). */
export interface QuestionMetrics {
  recall5: number;
  recall10: number;
  recall20: number;
  mrr: number;
  ndcg10: number;
}

export const METRIC_NAMES: readonly (keyof QuestionMetrics)[] = ['recall5', 'recall10', 'recall20', 'mrr', 'ndcg10'];

/** Deepest rank any metric looks at: MRR counts a first hit up to here. */
export const MAX_DEPTH = 20;

function requireGold(gold: ReadonlySet<string>): void {
  if (gold.size === 0) {
    throw new RangeError('metrics need at least one gold id');
  }
}

/**
 *   recall@k = |gold ∩ top k| / |gold|
 */
export function recallAtK(ranked: readonly string[], gold: ReadonlySet<string>, k: number): number {
  requireGold(gold);
  const found = new Set(ranked.slice(0, k).filter((id) => gold.has(id)));
  return found.size / gold.size;
}

/**
 *   rr = 1 / (1-based rank of the first gold id within the top `depth`), 0 when there is none
 */
export function reciprocalRank(
  ranked: readonly string[],
  gold: ReadonlySet<string>,
  depth: number = MAX_DEPTH,
): number {
  requireGold(gold);
  const at = ranked.slice(0, depth).findIndex((id) => gold.has(id));
  return at < 0 ? 0 : 1 / (at + 1);
}

/**
 * Binary-gain nDCG:
 *   DCG@k  = Σ_{i < k, ranked[i] ∈ gold, first occurrence} 1 / log2(i + 2)
 *   IDCG@k = Σ_{i < min(k, |gold|)} 1 / log2(i + 2)
 *   nDCG@k = DCG@k / IDCG@k
 */
export function ndcgAtK(ranked: readonly string[], gold: ReadonlySet<string>, k: number): number {
  requireGold(gold);
  const seen = new Set<string>();
  let dcg = 0;
  ranked.slice(0, k).forEach((id, i) => {
    if (gold.has(id) && !seen.has(id)) {
      seen.add(id);
      dcg += 1 / Math.log2(i + 2);
    }
  });
  let ideal = 0;
  for (let i = 0; i < Math.min(k, gold.size); i++) {
    ideal += 1 / Math.log2(i + 2);
  }
  return dcg / ideal;
}

/** All reported metrics of one ranked list. */
export function scoreRanking(ranked: readonly string[], gold: ReadonlySet<string>): QuestionMetrics {
  return {
    recall5: recallAtK(ranked, gold, 5),
    recall10: recallAtK(ranked, gold, 10),
    recall20: recallAtK(ranked, gold, 20),
    mrr: reciprocalRank(ranked, gold, MAX_DEPTH),
    ndcg10: ndcgAtK(ranked, gold, 10),
  };
}

/** Average of each metric over questions (all zeros for an empty list). */
export function meanMetrics(list: readonly QuestionMetrics[]): QuestionMetrics {
  const sum: QuestionMetrics = { recall5: 0, recall10: 0, recall20: 0, mrr: 0, ndcg10: 0 };
  for (const m of list) {
    for (const name of METRIC_NAMES) {
      sum[name] += m[name];
    }
  }
  const n = Math.max(list.length, 1);
  return {
    recall5: sum.recall5 / n,
    recall10: sum.recall10 / n,
    recall20: sum.recall20 / n,
    mrr: sum.mrr / n,
    ndcg10: sum.ndcg10 / n,
  };
}
