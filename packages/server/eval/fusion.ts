/**
 * Ranking methods the evaluation compares with the server's weighted fusion (`rankCandidates`). Pure functions.
 */
import { legacyScore } from '../src/domain/ranking.js';

/** Orders ids by a score, best first; ties by id so that results are reproducible. */
export function orderBy(scores: ReadonlyMap<string, number>): string[] {
  return [...scores.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([id]) => id);
}

/**
 * Reciprocal rank fusion of several rankings (Cormack et al., 2009):
 *   rrf(u) = Σ_lists 1 / (k + rank_list(u))      rank 1-based; a list that does not hold u adds nothing
 * Best first; ties by id.
 */
export function reciprocalRankFusion(rankings: readonly (readonly string[])[], k = 60): string[] {
  const scores = new Map<string, number>();
  for (const ranking of rankings) {
    ranking.forEach((id, i) => scores.set(id, (scores.get(id) ?? 0) + 1 / (k + i + 1)));
  }
  return orderBy(scores);
}

/** Exact cosine similarity of two vectors (0 when either is zero). */
export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}

export interface LegacyUnit {
  id: string;
  content: string;
  tags: readonly string[];
  confidence: number;
  /** Chunk vectors; the unit's cosine is that of its best chunk. */
  vectors: readonly Float32Array[];
}

/**
 * The v1 ranking: every unit ordered by cos · confidence, the best 2 · limit kept, those re-ordered by
 * `legacyScore` (ties keep the cosine order), the first `limit` returned.
 */
export function legacyRanking(
  task: string,
  queryVector: Float32Array,
  units: readonly LegacyUnit[],
  limit: number,
): string[] {
  const scored = units.map((unit) => {
    const cos = Math.max(...unit.vectors.map((v) => cosine(queryVector, v)));
    return { unit, cos, prefilter: cos * unit.confidence };
  });
  scored.sort((a, b) => b.prefilter - a.prefilter || (a.unit.id < b.unit.id ? -1 : a.unit.id > b.unit.id ? 1 : 0));
  return scored
    .slice(0, 2 * limit)
    .map((s) => ({ id: s.unit.id, score: legacyScore(task, s.unit.content, s.unit.tags, s.cos, s.unit.confidence) }))
    .sort((a, b) => b.score - a.score)
    .slice(0, limit)
    .map((s) => s.id);
}
