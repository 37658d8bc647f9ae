import type { ContextUnit } from './types.js';

/**
 * Hybrid ranking. For each candidate unit u of a task t:
 *
 *   lexical(u)  = bm25(u, t) / max_v bm25(v, t)                  in [0,1]  (0 when nothing matched lexically)
 *   semantic(u) = max(0, cos(u, t)) / max_v max(0, cos(v, t))     in [0,1]  (best chunk of u)
 *   fused(u)    = w_lex · lexical(u) + w_sem · semantic(u)         with w_lex + w_sem = 1
 *   score(u)    = min(1, fused(u) · confidence(u) + tag_bonus(u))
 *   tag_bonus(u)= min(max_tag_bonus, tag_bonus_per_match · |tags of u found as words in t|)
 *   final(u)    = max(score(u), w_seq · score(p))   where p is the unit just before u in its source's sequence
 *
 * The last line is sequence propagation: units imported or written in sequence from one source (a chat transcript,
 * meeting notes) continue each other, and the unit after a strong match is often the one that matters (an answer
 * follows its question). `sequence` in the breakdown is the share inherited (0 when none).
 *
 * Superseded units are never ranked. Ties keep a stable order (score, then lexical, then id).
 */
export interface RankingWeights {
  lexical: number;
  semantic: number;
  tagBonusPerMatch: number;
  maxTagBonus: number;
  /** Share of its predecessor's score a unit inherits (0 disables sequence propagation). */
  sequence: number;
}

/**
 * Weights chosen from the LoCoMo measurements (`npm run eval`, clean subset): lexical 0.6 / semantic 0.4 with
 * sequence propagation 0.8 gives Recall@10 0.719 and MRR 0.524, against 0.626 / 0.483 for BM25 alone, 0.602 / 0.380
 * for reciprocal rank fusion and 0.493 / 0.317 for the v1 formula. 0.5 / 0.5 measured within 0.002 of it; the
 * lexical side is kept heavier so that exact terms (names, codes, rare words) win over vague semantic matches.
 */
export const DEFAULT_WEIGHTS: RankingWeights = {
  lexical: 0.6,
  semantic: 0.4,
  tagBonusPerMatch: 0.05,
  maxTagBonus: 0.15,
  sequence: 0.8,
};

export type RankableUnit = Pick<ContextUnit, 'id' | 'type' | 'confidence' | 'tags' | 'status'>;

export interface Candidate<U extends RankableUnit = RankableUnit> {
  unit: U;
  /** Raw full-text score, higher is better, ≥ 0 (0 = no lexical match). */
  lexical: number;
  /** Cosine similarity of the best chunk with the task, in [-1, 1] (0 when unknown). */
  semantic: number;
}

export interface ScoreBreakdown {
  lexical: number;
  semantic: number;
  fused: number;
  confidence: number;
  tagBonus: number;
  matchedTags: string[];
  /** Score inherited from the preceding unit of the same source (0 when none). */
  sequence: number;
}

export interface Ranked<U extends RankableUnit = RankableUnit> {
  unit: U;
  score: number;
  breakdown: ScoreBreakdown;
}

export interface RankOptions {
  limit: number;
  minScore?: number | undefined;
  weights?: RankingWeights | undefined;
  /** For a unit, the unit just before it in the same source's sequence (only entries among the candidates matter). */
  predecessorOf?: ReadonlyMap<string, string> | undefined;
}

function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Compiled whole-word patterns by tag; tags repeat across units and requests, so each is compiled once. */
const tagPatterns = new Map<string, RegExp>();
const MAX_CACHED_PATTERNS = 10_000;

function tagPattern(needle: string): RegExp {
  let pattern = tagPatterns.get(needle);
  if (pattern === undefined) {
    pattern = new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegExp(needle)}(?![\\p{L}\\p{N}])`, 'u');
    if (tagPatterns.size >= MAX_CACHED_PATTERNS) {
      tagPatterns.clear();
    }
    tagPatterns.set(needle, pattern);
  }
  return pattern;
}

/** Tags of a unit that occur in the task as whole words (case-insensitive). */
export function matchTags(task: string, tags: readonly string[]): string[] {
  if (tags.length === 0) {
    return [];
  }
  const haystack = task.toLowerCase();
  return tags.filter((tag) => {
    const needle = tag.toLowerCase().trim();
    return needle !== '' && haystack.includes(needle) && tagPattern(needle).test(haystack);
  });
}

/** Which units a ranking may return: any of `types` (all when absent) having any of `tags` (case-insensitive). */
export interface RankFilter {
  types?: readonly ContextUnit['type'][] | undefined;
  tags?: readonly string[] | undefined;
}

/** The test of a filter, or null when it lets every unit through (no types, no tags). */
export function filterTest(filter: RankFilter | undefined): ((unit: RankableUnit) => boolean) | null {
  const types = filter?.types && filter.types.length > 0 ? new Set(filter.types) : null;
  const wanted = (filter?.tags ?? []).map((t) => t.trim().toLowerCase()).filter((t) => t !== '');
  const tags = wanted.length > 0 ? new Set(wanted) : null;
  if (types === null && tags === null) {
    return null;
  }
  return (unit) =>
    (types === null || types.has(unit.type)) && (tags === null || unit.tags.some((t) => tags.has(t.toLowerCase())));
}

/** Ranks candidates for a task; returns at most `limit` units, best first, each with its breakdown. */
export function rankCandidates<U extends RankableUnit>(
  task: string,
  candidates: readonly Candidate<U>[],
  options: RankOptions,
): Ranked<U>[] {
  const weights = options.weights ?? DEFAULT_WEIGHTS;
  if (options.limit <= 0) {
    return [];
  }
  const active = candidates.filter((c) => c.unit.status === 'active');
  let maxLexical = 0;
  let maxSemantic = 0;
  for (const c of active) {
    maxLexical = Math.max(maxLexical, c.lexical);
    maxSemantic = Math.max(maxSemantic, c.semantic);
  }
  const weightSum = weights.lexical + weights.semantic;
  const ranked = active.map((c): Ranked<U> => {
    const lexical = maxLexical > 0 ? clamp01(c.lexical / maxLexical) : 0;
    const semantic = maxSemantic > 0 ? clamp01(c.semantic / maxSemantic) : 0;
    const fused = weightSum > 0 ? (weights.lexical * lexical + weights.semantic * semantic) / weightSum : 0;
    const confidence = clamp01(c.unit.confidence);
    const matchedTags = matchTags(task, c.unit.tags);
    const tagBonus = Math.min(weights.maxTagBonus, weights.tagBonusPerMatch * matchedTags.length);
    const score = clamp01(fused * confidence + tagBonus);
    return {
      unit: c.unit,
      score,
      breakdown: { lexical, semantic, fused, confidence, tagBonus, matchedTags, sequence: 0 },
    };
  });
  propagateAlongSequences(ranked, options.predecessorOf, weights.sequence);
  ranked.sort(
    (a, b) =>
      b.score - a.score ||
      b.breakdown.lexical - a.breakdown.lexical ||
      (a.unit.id < b.unit.id ? -1 : a.unit.id > b.unit.id ? 1 : 0),
  );
  const kept = options.minScore === undefined ? ranked : ranked.filter((r) => r.score >= (options.minScore ?? 0));
  return kept.slice(0, options.limit);
}

/** Lifts each unit to the share of its predecessor's own score (computed before any lifting, so it never chains). */
function propagateAlongSequences<U extends RankableUnit>(
  ranked: Ranked<U>[],
  predecessorOf: ReadonlyMap<string, string> | undefined,
  share: number,
): void {
  if (predecessorOf === undefined || predecessorOf.size === 0 || share <= 0) {
    return;
  }
  const own = new Map(ranked.map((r) => [r.unit.id, r.score]));
  for (const r of ranked) {
    const predecessor = predecessorOf.get(r.unit.id);
    const inherited = predecessor === undefined ? 0 : share * (own.get(predecessor) ?? 0);
    if (inherited > r.score) {
      r.breakdown.sequence = inherited;
      r.score = clamp01(inherited);
    }
  }
}

/**
 * The original v1 formula, kept as the evaluation baseline:
 * 0.7 · (cos · confidence) + 0.3 · (word overlap + 0.2 · tags found as substrings of the task).
 */
export function legacyScore(
  task: string,
  content: string,
  tags: readonly string[],
  cosine: number,
  confidence: number,
): number {
  const words = (s: string) => new Set(s.toLowerCase().split(/\s+/).filter(Boolean));
  const taskWords = words(task);
  const contentWords = words(content);
  let overlap = 0;
  for (const w of taskWords) {
    if (contentWords.has(w)) {
      overlap++;
    }
  }
  const overlapScore = overlap / Math.max(taskWords.size, 1);
  const lowerTask = task.toLowerCase();
  const tagScore = 0.2 * tags.filter((t) => lowerTask.includes(t.toLowerCase())).length;
  return 0.7 * cosine * confidence + 0.3 * (overlapScore + tagScore);
}
