/**
 * Experiments behind `npm run eval -- --experiments`: alternatives to parts of the server's ranking, measured on the
 * same questions, to back concrete proposals with numbers. Nothing here is used by the server.
 *
 * - Fusion normalisation on the service's own candidates: min-max instead of division by the maximum.
 * - Full text: a BM25 over the conversation's turns written out in JS (the same formula as SQLite FTS5's bm25(),
 *   so its defaults reproduce the server), to vary k1, b, stemming and stop words.
 * - Content: turns that shared a photo with the photo's caption appended (needs vectors of that content).
 */
import { stemmer } from 'stemmer';

import { DEFAULT_WEIGHTS, rankCandidates, type Candidate, type RankableUnit } from '../src/domain/ranking.js';
import { queryTerms } from '../src/domain/text-query.js';
import type { Configuration, RankingInput } from './configurations.js';
import { turnContent, type Turn } from './dataset.js';
import { cosine, orderBy } from './fusion.js';
import { MAX_DEPTH } from './metrics.js';

/** Content of a turn with its photo caption, the way an importer could store it. */
export function captionedContent(turn: Turn): string {
  return turn.caption === null ? turnContent(turn) : `${turnContent(turn)} [shared a photo: ${turn.caption}]`;
}

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
// BM25 in JS

export interface Bm25Options {
  k1: number;
  b: number;
  stem: boolean;
  /** Query words dropped on top of the server's stop words. */
  extraStopWords?: ReadonlySet<string>;
}

export const FTS5_DEFAULTS: Bm25Options = { k1: 1.2, b: 0.75, stem: true };

/** FTS5 `unicode61 remove_diacritics 2` tokens, optionally Porter-stemmed like the `porter` tokenizer. */
export function tokenize(text: string, stem: boolean): string[] {
  const folded = text.toLowerCase().normalize('NFD').replace(/\p{M}/gu, '');
  const words = folded.match(/[\p{L}\p{N}]+/gu) ?? [];
  return stem ? words.map((w) => stemmer(w)) : words;
}

/**
 * SQLite FTS5's bm25() for one column:
 *   idf(t)     = ln((N - n_t + 0.5) / (n_t + 0.5)), replaced by 1e-6 when ≤ 0
 *   score(d, q) = Σ_{t ∈ q} idf(t) · tf(t, d) · (k1 + 1) / (tf(t, d) + k1 · (1 - b + b · |d| / avgdl))
 */
export function createBm25(docs: readonly { id: string; text: string }[], options: Bm25Options) {
  const tokenized = docs.map((d) => ({ id: d.id, tokens: tokenize(d.text, options.stem) }));
  const avgdl = tokenized.reduce((n, d) => n + d.tokens.length, 0) / Math.max(tokenized.length, 1);
  const postings = new Map<string, { id: string; tf: number; length: number }[]>();
  for (const doc of tokenized) {
    const counts = new Map<string, number>();
    for (const t of doc.tokens) {
      counts.set(t, (counts.get(t) ?? 0) + 1);
    }
    for (const [t, tf] of counts) {
      const list = postings.get(t) ?? [];
      list.push({ id: doc.id, tf, length: doc.tokens.length });
      postings.set(t, list);
    }
  }
  return (task: string): Map<string, number> => {
    const words = queryTerms(task).filter((w) => !(options.extraStopWords?.has(w) ?? false));
    const terms = new Set(words.flatMap((w) => tokenize(w, options.stem)));
    const scores = new Map<string, number>();
    for (const term of terms) {
      const list = postings.get(term) ?? [];
      const raw = Math.log((tokenized.length - list.length + 0.5) / (list.length + 0.5));
      const idf = raw <= 0 ? 1e-6 : raw;
      for (const p of list) {
        const norm = options.k1 * (1 - options.b + (options.b * p.length) / avgdl);
        scores.set(p.id, (scores.get(p.id) ?? 0) + (idf * p.tf * (options.k1 + 1)) / (p.tf + norm));
      }
    }
    return scores;
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Configurations

type Search = (task: string) => Map<string, number>;

/** One BM25 per conversation (keyed by its turn list) and options. */
function cachedBm25(content: (t: Turn) => string, options: Bm25Options): (turns: readonly Turn[]) => Search {
  const built = new WeakMap<readonly Turn[], Search>();
  return (turns) => {
    let search = built.get(turns);
    if (search === undefined) {
      search = createBm25(
        turns.map((t) => ({ id: t.id, text: content(t) })),
        options,
      );
      built.set(turns, search);
    }
    return search;
  };
}

/** Exact cosine of every turn with a query, computed once per query vector. */
function cachedSemantic(vectorsOf: (t: Turn) => readonly Float32Array[]) {
  const computed = new WeakMap<Float32Array, Map<string, number>>();
  return (queryVector: Float32Array, turns: readonly Turn[]): Map<string, number> => {
    let scores = computed.get(queryVector);
    if (scores === undefined) {
      scores = new Map(turns.map((t) => [t.id, Math.max(...vectorsOf(t).map((v) => cosine(queryVector, v)))]));
      computed.set(queryVector, scores);
    }
    return scores;
  };
}

/**
 * The server's candidate step with a different full-text scorer and/or content: the best `pool` turns by BM25 and by
 * exact cosine, each with both scores, then `rankCandidates` (or min-max fusion) with the given lexical weight.
 */
function alternativeCandidates(
  name: string,
  options: {
    content: (t: Turn) => string;
    bm25: Bm25Options;
    lexicalWeight: number;
    fusion: 'max' | 'minmax';
    pool: number;
    semantic: (queryVector: Float32Array, turns: readonly Turn[]) => Map<string, number>;
  },
): Configuration {
  const searchFor = cachedBm25(options.content, options.bm25);
  return {
    name,
    rank: ({ task, queryVector, turns }: RankingInput) => {
      const lexical = searchFor(turns)(task);
      const semantic = options.semantic(queryVector, turns);
      const ids = new Set([...orderBy(lexical).slice(0, options.pool), ...orderBy(semantic).slice(0, options.pool)]);
      const candidates: Candidate<RankableUnit>[] = [...ids].map((id) => ({
        unit: { id, confidence: 1, tags: [], status: 'active' },
        lexical: lexical.get(id) ?? 0,
        semantic: semantic.get(id) ?? 0,
      }));
      if (options.fusion === 'minmax') {
        return minMaxFusion(candidates, options.lexicalWeight);
      }
      const weights = { ...DEFAULT_WEIGHTS, lexical: options.lexicalWeight, semantic: 1 - options.lexicalWeight };
      return rankCandidates(task, candidates, { limit: MAX_DEPTH, weights }).map((r) => r.unit.id);
    },
  };
}

/** Words common in LoCoMo-style questions that carry no topic (measured, not tuned per question). */
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

/** The experiment rows, in report order. */
export function experimentConfigurations(context: ExperimentContext): Configuration[] {
  const plain = cachedSemantic((t) => context.documentVectors(turnContent(t)));
  const captioned = cachedSemantic((t) => context.documentVectors(captionedContent(t)));
  const variant = (
    name: string,
    overrides: Partial<{ bm25: Bm25Options; lexicalWeight: number; fusion: 'max' | 'minmax'; withCaptions: boolean }>,
  ) =>
    alternativeCandidates(name, {
      content: overrides.withCaptions === true ? captionedContent : turnContent,
      semantic: overrides.withCaptions === true ? captioned : plain,
      bm25: overrides.bm25 ?? FTS5_DEFAULTS,
      lexicalWeight: overrides.lexicalWeight ?? DEFAULT_WEIGHTS.lexical,
      fusion: overrides.fusion ?? 'max',
      pool: context.pool,
    });
  const minMaxOnService = (w: number): Configuration => ({
    name: `service candidates, min-max fusion w=${w}`,
    rank: ({ candidates }) => minMaxFusion(candidates, w),
  });
  return [
    ...[0.3, 0.4, 0.5, 0.6].map(minMaxOnService),
    variant('JS BM25 = FTS5 defaults, lexical only', { lexicalWeight: 1 }),
    variant('JS BM25 = FTS5 defaults, w=0.6 (replicates server)', {}),
    variant('JS BM25 no stemming, lexical only', { lexicalWeight: 1, bm25: { ...FTS5_DEFAULTS, stem: false } }),
    variant('JS BM25 + question words as stop words, lexical only', {
      lexicalWeight: 1,
      bm25: { ...FTS5_DEFAULTS, extraStopWords: QUESTION_WORDS },
    }),
    ...[0.3, 0.5, 1].map((b) =>
      variant(`JS BM25 b=${b}, lexical only`, { lexicalWeight: 1, bm25: { ...FTS5_DEFAULTS, b } }),
    ),
    ...[0.6, 2].map((k1) =>
      variant(`JS BM25 k1=${k1}, lexical only`, { lexicalWeight: 1, bm25: { ...FTS5_DEFAULTS, k1 } }),
    ),
    variant('captions in content, lexical only', { lexicalWeight: 1, withCaptions: true }),
    variant('captions in content, semantic only', { lexicalWeight: 0, withCaptions: true }),
    variant('captions in content, w=0.6', { withCaptions: true }),
    variant('captions in content, min-max w=0.5', { withCaptions: true, fusion: 'minmax', lexicalWeight: 0.5 }),
  ];
}

/** Extra document texts the experiments need vectors for. */
export function experimentDocuments(turns: readonly Turn[]): string[] {
  return turns.filter((t) => t.caption !== null).map(captionedContent);
}
