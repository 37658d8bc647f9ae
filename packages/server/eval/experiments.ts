/**
 * Experiments behind `npm run eval -- --experiments`: alternatives to parts of the server's ranking, measured on the
 * same questions, to back proposals with numbers. Nothing here is used by the server.
 *
 * - Fusion: min-max normalisation instead of division by the maximum (on the service's own candidates).
 * - Full text (`bm25.ts`, equal to the server's FTS5 query with its defaults): k1, b, stemming, stop words.
 * - Content: photo captions appended; the previous turn indexed with each turn (needs vectors of that content).
 * - Tags: the speaker as a tag, so that `rankCandidates`' tag bonus applies when a task names them.
 * - Neighbour propagation: a turn inherits γ times the score of the turn before it (an answer follows its question).
 *
 * Every variant except the `service candidates` rows recomputes candidates as the service does (top `pool` by BM25 ∪
 * top `pool` by cosine), with exact float cosines instead of the int8 index: the `replicates server` row shows that
 * this changes nothing measurable.
 */
import { DEFAULT_WEIGHTS, rankCandidates, type Candidate, type RankableUnit } from '../src/domain/ranking.js';
import { createBm25, FTS5_DEFAULTS, type Bm25Options } from './bm25.js';
import type { Configuration, RankingInput } from './configurations.js';
import { turnContent, type Turn } from './dataset.js';
import { cosine, orderBy } from './fusion.js';
import { MAX_DEPTH } from './metrics.js';

// ---------------------------------------------------------------------------------------------------------------
// Fusion with min-max normalisation

/**
 *   norm(x) = (x - min) / (max - min)   over the candidates (0 when all are equal)
 *   fused   = w · norm(lexical) + (1 - w) · norm(semantic)
 * Ties by lexical, then id, as in `rankCandidates`.
 */
export function minMaxFusion(candidates: readonly Candidate[], lexicalWeight: number): string[] {
  const active = candidates.filter((c) => c.unit.status === 'active');
  const normalizer = (values: number[]) => {
    const min = Math.min(...values);
    const range = Math.max(...values) - min;
    return (x: number) => (range > 0 ? (x - min) / range : 0);
  };
  const lexical = normalizer(active.map((c) => c.lexical));
  const semantic = normalizer(active.map((c) => c.semantic));
  return active
    .map((c) => ({ c, score: lexicalWeight * lexical(c.lexical) + (1 - lexicalWeight) * semantic(c.semantic) }))
    .sort((a, b) => b.score - a.score || b.c.lexical - a.c.lexical || (a.c.unit.id < b.c.unit.id ? -1 : 1))
    .slice(0, MAX_DEPTH)
    .map(({ c }) => c.unit.id);
}

// ---------------------------------------------------------------------------------------------------------------
// Unit contents

/** Whether two turns belong to the same session (`D<session>:<turn>`). */
function sameSession(a: Turn, b: Turn): boolean {
  return a.id.split(':')[0] === b.id.split(':')[0];
}

/** What each turn of a conversation is stored as (same order as the turns). */
export type Contents = (turns: readonly Turn[]) => string[];

export const plainContents: Contents = (turns) => turns.map(turnContent);

/** Turns that shared a photo get the photo's caption appended, as an importer could store them. */
export const captionedContents: Contents = (turns) =>
  turns.map((t) => (t.caption === null ? turnContent(t) : `${turnContent(t)} [shared a photo: ${t.caption}]`));

/** Each turn indexed together with the turn before it in the same session (a one-turn context window). */
export const previousTurnContents: Contents = (turns) =>
  turns.map((t, i) => {
    const prev = turns[i - 1];
    return prev !== undefined && sameSession(prev, t) ? `${turnContent(prev)}\n${turnContent(t)}` : turnContent(t);
  });

// ---------------------------------------------------------------------------------------------------------------
// Configurations

export interface Propagation {
  /** γ_next: share of a turn's score given to the turn after it. */
  next: number;
  /** γ_previous: share given to the turn before it (0 when absent). */
  previous?: number;
}

export interface Variant {
  name: string;
  contents?: Contents;
  bm25?: Bm25Options;
  /** Lexical weight of the fusion (semantic = 1 - w); DEFAULT_WEIGHTS when absent. */
  lexicalWeight?: number;
  fusion?: 'max' | 'minmax';
  /** Tag each unit with its speaker, so that `rankCandidates`' tag bonus applies when the task names them. */
  speakerTags?: boolean;
  /** Lets a turn inherit part of its neighbours' scores (an answer follows its question). */
  propagate?: Propagation;
}

interface Scored {
  lexical: Map<string, number>;
  semantic: Map<string, number>;
}

type Search = (task: string) => Map<string, number>;

/**
 * Scores of a content mapping, shared by all variants that use it: one BM25 index per conversation (keyed by its turn
 * array) and BM25 options, one exact-cosine map per query vector.
 */
function createScorers(documentVectors: (text: string) => readonly Float32Array[]) {
  const texts = new Map<Contents, WeakMap<readonly Turn[], string[]>>();
  const indexes = new Map<string, WeakMap<readonly Turn[], Search>>();
  const cosines = new Map<Contents, WeakMap<Float32Array, Map<string, number>>>();
  const memo = <K extends object, V>(outer: Map<unknown, WeakMap<K, V>>, key: unknown, inner: K, make: () => V): V => {
    const byInner = outer.get(key) ?? new WeakMap<K, V>();
    outer.set(key, byInner);
    const found = byInner.get(inner);
    if (found !== undefined) {
      return found;
    }
    const made = make();
    byInner.set(inner, made);
    return made;
  };
  const contentIds = new Map<Contents, number>();
  const idOf = (contents: Contents) => {
    const id = contentIds.get(contents) ?? contentIds.size;
    contentIds.set(contents, id);
    return id;
  };
  return (contents: Contents, bm25: Bm25Options) => {
    const bm25Key = [idOf(contents), bm25.k1, bm25.b, bm25.stem, [...(bm25.extraStopWords ?? [])].join()].join('|');
    return (task: string, queryVector: Float32Array, turns: readonly Turn[]): Scored => {
      const docs = memo(texts, contents, turns, () => contents(turns));
      const search = memo(indexes, bm25Key, turns, () =>
        createBm25(
          turns.map((t, i) => ({ id: t.id, text: docs[i] ?? '' })),
          bm25,
        ),
      );
      const semantic = memo(cosines, contents, queryVector, () => {
        const best = (text: string) => Math.max(...documentVectors(text).map((v) => cosine(queryVector, v)));
        return new Map(turns.map((t, i) => [t.id, best(docs[i] ?? '')]));
      });
      return { lexical: search(task), semantic };
    };
  };
}

/** Pairs of consecutive turns of the same session, as [earlier, later] ids. */
function consecutivePairs(turns: readonly Turn[]): [string, string][] {
  return turns.flatMap((t, i): [string, string][] => {
    const after = turns[i + 1];
    return after !== undefined && sameSession(t, after) ? [[t.id, after.id]] : [];
  });
}

/**
 * Neighbour propagation over scores (best first in, ids best first out):
 *   score'(u) = max(score(u), γ_next · score(turn before u), γ_previous · score(turn after u))
 */
export function propagateToNeighbours(
  ranked: readonly { id: string; score: number }[],
  turns: readonly Turn[],
  gamma: Propagation,
): string[] {
  const scores = new Map(ranked.map((r) => [r.id, r.score]));
  const lifted = new Map(scores);
  const lift = (id: string, value: number) => {
    if (value > (lifted.get(id) ?? 0)) {
      lifted.set(id, value);
    }
  };
  for (const [before, after] of consecutivePairs(turns)) {
    lift(after, gamma.next * (scores.get(before) ?? 0));
    lift(before, (gamma.previous ?? 0) * (scores.get(after) ?? 0));
  }
  return orderBy(lifted);
}

/**
 * The server's candidate step with the variant's content, BM25 and fusion: the best `pool` turns by BM25 and by exact
 * cosine, each with both scores, fused by `rankCandidates` (or min-max).
 */
function variantConfiguration(
  variant: Variant,
  context: ExperimentContext,
  scorers: ReturnType<typeof createScorers>,
): Configuration {
  const score = scorers(variant.contents ?? plainContents, variant.bm25 ?? FTS5_DEFAULTS);
  const w = variant.lexicalWeight ?? DEFAULT_WEIGHTS.lexical;
  const weights = { ...DEFAULT_WEIGHTS, lexical: w, semantic: 1 - w };
  return {
    name: variant.name,
    rank: ({ task, queryVector, turns }: RankingInput) => {
      const { lexical, semantic } = score(task, queryVector, turns);
      const speakers = new Map(turns.map((t) => [t.id, t.speaker]));
      const ids = new Set([...orderBy(lexical).slice(0, context.pool), ...orderBy(semantic).slice(0, context.pool)]);
      const candidates: Candidate<RankableUnit>[] = [...ids].map((id) => ({
        unit: {
          id,
          type: 'fact',
          confidence: 1,
          tags: variant.speakerTags === true ? [speakers.get(id) ?? ''] : [],
          status: 'active',
        },
        lexical: lexical.get(id) ?? 0,
        semantic: semantic.get(id) ?? 0,
      }));
      if (variant.fusion === 'minmax') {
        return minMaxFusion(candidates, w);
      }
      const limit = variant.propagate === undefined ? MAX_DEPTH : candidates.length;
      const ranked = rankCandidates(task, candidates, { limit, weights }).map((r) => ({
        id: r.unit.id,
        score: r.score,
      }));
      if (variant.propagate === undefined) {
        return ranked.map((r) => r.id);
      }
      return propagateToNeighbours(ranked, turns, variant.propagate).slice(0, MAX_DEPTH);
    },
  };
}

/** Words common in LoCoMo-style questions that carry no topic. */
const QUESTION_WORDS = new Set([
  'kind',
  'type',
  'types',
  'ever',
  'recently',
  'likely',
  'many',
  'much',
  'also',
  'still',
  'would',
  'think',
]);

export interface ExperimentContext {
  pool: number;
  /** Chunk vectors of a document text (from the vector cache). */
  documentVectors: (text: string) => readonly Float32Array[];
}

const LEXICAL_ONLY = 1;

/** The experiment rows, in report order. */
export function experimentVariants(): Variant[] {
  const bm25 = (overrides: Partial<Bm25Options>) => ({ ...FTS5_DEFAULTS, ...overrides });
  return [
    { name: 'JS BM25 = FTS5 bm25(2.0, 1.0), lexical only', lexicalWeight: LEXICAL_ONLY },
    { name: 'JS BM25 = FTS5, w=0.6 (replicates server)' },
    { name: 'BM25 no stemming, lexical only', lexicalWeight: LEXICAL_ONLY, bm25: bm25({ stem: false }) },
    {
      name: 'BM25 + question stop words, lexical only',
      lexicalWeight: LEXICAL_ONLY,
      bm25: bm25({ extraStopWords: QUESTION_WORDS }),
    },
    ...[0.3, 0.5, 0.9].map((b) => ({
      name: `BM25 b=${b}, lexical only`,
      lexicalWeight: LEXICAL_ONLY,
      bm25: bm25({ b }),
    })),
    ...[0.3, 1.2].map((k1) => ({
      name: `BM25 k1=${k1}, lexical only`,
      lexicalWeight: LEXICAL_ONLY,
      bm25: bm25({ k1 }),
    })),
    { name: 'captions in content, lexical only', contents: captionedContents, lexicalWeight: LEXICAL_ONLY },
    { name: 'captions in content, w=0.6', contents: captionedContents },
    { name: 'speaker as tag (tag bonus), w=0.6', speakerTags: true },
    { name: 'previous turn in content, lexical only', contents: previousTurnContents, lexicalWeight: LEXICAL_ONLY },
    { name: 'previous turn in content, semantic only', contents: previousTurnContents, lexicalWeight: 0 },
    { name: 'previous turn in content, w=0.6', contents: previousTurnContents },
    ...[0.5, 0.8, 1].map((g) => ({ name: `answer follows question, γ=${g}, w=0.6`, propagate: { next: g } })),
    { name: 'answer follows question, γ=0.8, w=0.5', propagate: { next: 0.8 }, lexicalWeight: 0.5 },
    { name: 'both neighbours, γ=0.8/0.5, w=0.6', propagate: { next: 0.8, previous: 0.5 } },
    { name: 'γ=0.8 + speaker tags, w=0.6', propagate: { next: 0.8 }, speakerTags: true },
    { name: 'γ=0.8 + b=0.3, w=0.6', propagate: { next: 0.8 }, bm25: bm25({ b: 0.3 }) },
    {
      name: 'γ=0.8 + speaker tags + b=0.3, w=0.6',
      propagate: { next: 0.8 },
      speakerTags: true,
      bm25: bm25({ b: 0.3 }),
    },
  ];
}

/** The experiment configurations; service candidates with min-max fusion first. */
export function experimentConfigurations(context: ExperimentContext): Configuration[] {
  const scorers = createScorers(context.documentVectors);
  const minMaxOnService = (w: number): Configuration => ({
    name: `service candidates, min-max fusion w=${w}`,
    rank: ({ candidates }) => minMaxFusion(candidates, w),
  });
  // The proposal as the server would run it: its own candidates and rankCandidates, then neighbour propagation.
  const propagatedOnService = (gamma: number): Configuration => ({
    name: `service candidates, DEFAULT_WEIGHTS, then γ=${gamma}`,
    rank: ({ task, candidates, turns }) => {
      const ranked = rankCandidates(task, candidates, { limit: candidates.length });
      const scored = ranked.map((r) => ({ id: r.unit.id, score: r.score }));
      return propagateToNeighbours(scored, turns, { next: gamma }).slice(0, MAX_DEPTH);
    },
  });
  return [
    ...[0.4, 0.5, 0.6].map(minMaxOnService),
    propagatedOnService(0.8),
    ...experimentVariants().map((v) => variantConfiguration(v, context, scorers)),
  ];
}

/** Every document text the experiments need vectors for. */
export function experimentDocuments(turns: readonly Turn[]): string[] {
  return [...new Set(experimentVariants().flatMap((v) => (v.contents ?? plainContents)(turns)))];
}
