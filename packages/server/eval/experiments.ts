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

/**
 * What the server's FTS5 query computes: bm25(context_fts, 2.0, 1.0) multiplies each term's frequency by the column
 * weight 2 (it is not a score factor), and tf·2·(k1+1)/(tf·2 + k1·N) ranks like tf·(k1+1)/(tf + (k1/2)·N): k1 = 1.2 with
 * weight 2 is k1 = 0.6 with weight 1. The `tags` column holds `[]` and adds nothing.
 */
export const FTS5_DEFAULTS: Bm25Options = { k1: 0.6, b: 0.75, stem: true };

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
// Unit contents

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
    const sameSession = prev !== undefined && prev.id.split(':')[0] === t.id.split(':')[0];
    return sameSession ? `${turnContent(prev)}\n${turnContent(t)}` : turnContent(t);
  });

// ---------------------------------------------------------------------------------------------------------------
// Configurations

export interface Variant {
  name: string;
  contents?: Contents;
  bm25?: Bm25Options;
  /** Lexical weight of the fusion (semantic = 1 - w); DEFAULT_WEIGHTS when absent. */
  lexicalWeight?: number;
  fusion?: 'max' | 'minmax';
  /** Tag each unit with its speaker, so that `rankCandidates`' tag bonus applies when the task names them. */
  speakerTags?: boolean;
  /**
   * Lets a turn inherit part of the score of the turn before it (an answer follows its question):
   *   score'(u) = max(score(u), γ · score(previous turn of u))
   */
  propagate?: number;
}

interface Scored {
  lexical: Map<string, number>;
  semantic: Map<string, number>;
}

/** Per conversation (keyed by its turn array) and per query vector, the scores of one content mapping. */
function createScorer(
  contents: Contents,
  bm25: Bm25Options,
  documentVectors: (text: string) => readonly Float32Array[],
) {
  const perConversation = new WeakMap<
    readonly Turn[],
    { search: (task: string) => Map<string, number>; texts: string[] }
  >();
  const perQuery = new WeakMap<Float32Array, Map<string, number>>();
  return (task: string, queryVector: Float32Array, turns: readonly Turn[]): Scored => {
    let conv = perConversation.get(turns);
    if (conv === undefined) {
      const texts = contents(turns);
      conv = {
        texts,
        search: createBm25(
          turns.map((t, i) => ({ id: t.id, text: texts[i] ?? '' })),
          bm25,
        ),
      };
      perConversation.set(turns, conv);
    }
    let semantic = perQuery.get(queryVector);
    if (semantic === undefined) {
      const texts = conv.texts;
      semantic = new Map(
        turns.map((t, i) => [t.id, Math.max(...documentVectors(texts[i] ?? '').map((v) => cosine(queryVector, v)))]),
      );
      perQuery.set(queryVector, semantic);
    }
    return { lexical: conv.search(task), semantic };
  };
}

/** Applies `propagate`: every ranked turn may lift the turn after it. Input and output best first. */
function propagateFromPrevious(
  ranked: readonly { id: string; score: number }[],
  turns: readonly Turn[],
  gamma: number,
): string[] {
  const next = new Map<string, string>();
  turns.forEach((t, i) => {
    const after = turns[i + 1];
    if (after !== undefined && after.id.split(':')[0] === t.id.split(':')[0]) {
      next.set(t.id, after.id);
    }
  });
  const scores = new Map(ranked.map((r) => [r.id, r.score]));
  for (const r of ranked) {
    const after = next.get(r.id);
    if (after !== undefined) {
      scores.set(after, Math.max(scores.get(after) ?? 0, gamma * r.score));
    }
  }
  return orderBy(scores);
}

/**
 * The server's candidate step with the variant's content, BM25 and fusion: the best `pool` turns by BM25 and by exact
 * cosine, each with both scores, fused by `rankCandidates` (or min-max).
 */
function variantConfiguration(variant: Variant, context: ExperimentContext): Configuration {
  const score = createScorer(variant.contents ?? plainContents, variant.bm25 ?? FTS5_DEFAULTS, context.documentVectors);
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
      return propagateFromPrevious(ranked, turns, variant.propagate).slice(0, MAX_DEPTH);
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
    { name: 'min-max fusion w=0.5', fusion: 'minmax', lexicalWeight: 0.5 },
    { name: 'captions in content, lexical only', contents: captionedContents, lexicalWeight: LEXICAL_ONLY },
    { name: 'captions in content, w=0.6', contents: captionedContents },
    { name: 'speaker as tag (tag bonus), w=0.6', speakerTags: true },
    { name: 'speaker as tag (tag bonus), w=0.4', speakerTags: true, lexicalWeight: 0.4 },
    { name: 'previous turn in content, lexical only', contents: previousTurnContents, lexicalWeight: LEXICAL_ONLY },
    { name: 'previous turn in content, semantic only', contents: previousTurnContents, lexicalWeight: 0 },
    ...[0.4, 0.5, 0.6].map((w) => ({
      name: `previous turn in content, w=${w}`,
      contents: previousTurnContents,
      lexicalWeight: w,
    })),
    ...[0.5, 0.8].map((g) => ({ name: `answer follows question, γ=${g}, w=0.6`, propagate: g })),
    ...[0.7, 0.9, 1].map((g) => ({ name: `answer follows question, γ=${g}, w=0.6`, propagate: g })),
    ...[0.4, 0.5, 0.7].map((w) => ({ name: `answer follows question, γ=0.8, w=${w}`, propagate: 0.8, lexicalWeight: w })),
    { name: 'γ=0.8 + speaker tags, w=0.6', propagate: 0.8, speakerTags: true },
    { name: 'γ=0.8 + speaker tags + b=0.3, w=0.6', propagate: 0.8, speakerTags: true, bm25: bm25({ b: 0.3 }) },
    { name: 'γ=0.8 + b=0.3, w=0.6', propagate: 0.8, bm25: bm25({ b: 0.3 }) },
  ];
}

/** The experiment configurations; service candidates with min-max fusion first. */
export function experimentConfigurations(context: ExperimentContext): Configuration[] {
  const minMaxOnService = (w: number): Configuration => ({
    name: `service candidates, min-max fusion w=${w}`,
    rank: ({ candidates }) => minMaxFusion(candidates, w),
  });
  return [
    ...[0.4, 0.5, 0.6].map(minMaxOnService),
    ...experimentVariants().map((v) => variantConfiguration(v, context)),
  ];
}

/** Every document text the experiments need vectors for. */
export function experimentDocuments(turns: readonly Turn[]): string[] {
  return [...new Set(experimentVariants().flatMap((v) => (v.contents ?? plainContents)(turns)))];
}
