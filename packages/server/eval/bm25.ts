/**
 * BM25 over a small document set, written out in JS so that the evaluation can vary what SQLite FTS5 fixes: k1, b,
 * stemming and stop words. With `FTS5_DEFAULTS` it ranks exactly like the server's full-text query (checked by the
 * `--experiments` report: its lexical-only row equals the server's).
 */
import { stemmer } from 'stemmer';

import { queryTerms } from '../src/domain/text-query.js';

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
