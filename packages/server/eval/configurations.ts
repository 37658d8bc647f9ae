/**
 * The ranking configurations the evaluation compares. Every configuration except the v1 baseline ranks the same
 * candidates, the ones `search.candidates(task, pool)` returns, so the comparison isolates the fusion step.
 */
import {
  DEFAULT_WEIGHTS,
  rankCandidates,
  type Candidate,
  type RankableUnit,
  type RankingWeights,
} from '../src/domain/ranking.js';
import type { Turn } from './dataset.js';
import { legacyRanking, orderBy, reciprocalRankFusion, type LegacyUnit } from './fusion.js';
import { MAX_DEPTH } from './metrics.js';

export interface RankingInput {
  task: string;
  /** Candidates from the search service, with raw BM25 and (int8) cosine scores. */
  candidates: readonly Candidate<RankableUnit>[];
  /** Follower → predecessor within a source's sequence (for sequence propagation). */
  predecessorOf: ReadonlyMap<string, string>;
  /** Float query vector, for rankers that score every unit themselves. */
  queryVector: Float32Array;
  /** Every unit of the conversation with its float vectors. */
  units: readonly LegacyUnit[];
  /** The conversation's turns (the same array for every question of a conversation). */
  turns: readonly Turn[];
}

export interface Configuration {
  name: string;
  /** The top `MAX_DEPTH` unit ids, best first. */
  rank(input: RankingInput): string[];
}

export const SERVER_DEFAULT_NAME = 'search.rank() (server default)';

function weightsOf(lexical: number): RankingWeights {
  return { ...DEFAULT_WEIGHTS, lexical, semantic: 1 - lexical };
}

function isDefault(lexical: number): boolean {
  return Math.abs(lexical - DEFAULT_WEIGHTS.lexical) < 1e-9 && Math.abs(1 - lexical - DEFAULT_WEIGHTS.semantic) < 1e-9;
}

/** `rankCandidates` with the given weights, exactly as the server calls it. */
export function weighted(name: string, weights: RankingWeights): Configuration {
  return {
    name,
    rank: ({ task, candidates, predecessorOf }) =>
      rankCandidates(task, candidates, { limit: MAX_DEPTH, weights, predecessorOf }).map((r) => r.unit.id),
  };
}

/** RRF of the candidates' lexical ranking (units with a full-text match) and semantic ranking. */
export function rrf(k: number): Configuration {
  return {
    name: `RRF k=${k}`,
    rank: ({ candidates }) => {
      const active = candidates.filter((c) => c.unit.status === 'active');
      const lexical = orderBy(new Map(active.filter((c) => c.lexical > 0).map((c) => [c.unit.id, c.lexical])));
      const semantic = orderBy(new Map(active.map((c) => [c.unit.id, c.semantic])));
      return reciprocalRankFusion([lexical, semantic], k).slice(0, MAX_DEPTH);
    },
  };
}

export const legacyBaseline: Configuration = {
  name: 'v1 legacyScore (baseline)',
  rank: ({ task, queryVector, units }) => legacyRanking(task, queryVector, units, MAX_DEPTH),
};

/** Name of the weighted configuration that uses `DEFAULT_WEIGHTS`. */
export const DEFAULT_CONFIGURATION_NAME = `weighted w=${DEFAULT_WEIGHTS.lexical} (DEFAULT_WEIGHTS)`;

/** The configurations of the report, in table order (the `DEFAULT_WEIGHTS` one is always included). */
export function standardConfigurations(): Configuration[] {
  const fusions = [0.3, 0.4, 0.5, 0.6, 0.7, 0.8].map((w) =>
    isDefault(w) ? weighted(DEFAULT_CONFIGURATION_NAME, DEFAULT_WEIGHTS) : weighted(`weighted w=${w}`, weightsOf(w)),
  );
  if (!fusions.some((c) => c.name === DEFAULT_CONFIGURATION_NAME)) {
    fusions.push(weighted(DEFAULT_CONFIGURATION_NAME, DEFAULT_WEIGHTS));
  }
  return [
    weighted('lexical only (1/0)', { ...weightsOf(1), sequence: 0 }),
    weighted('semantic only (0/1)', { ...weightsOf(0), sequence: 0 }),
    weighted(`weighted w=${DEFAULT_WEIGHTS.lexical}, no sequence propagation`, { ...DEFAULT_WEIGHTS, sequence: 0 }),
    ...fusions,
    rrf(60),
    legacyBaseline,
  ];
}
