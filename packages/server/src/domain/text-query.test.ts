import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { fts5Query, MAX_QUERY_TERMS, queryTerms } from './text-query.js';

/**
 * Parses an FTS5 expression made of quoted strings joined by " OR " back into its terms. Returns null when the
 * expression has an unbalanced quote or anything outside the quotes other than the separators.
 */
function parseQuoted(expr: string): string[] | null {
  if (expr === '') {
    return [];
  }
  const terms: string[] = [];
  let i = 0;
  for (;;) {
    if (expr[i] !== '"') {
      return null;
    }
    i++;
    let term = '';
    for (;;) {
      if (i >= expr.length) {
        return null; // unterminated string
      }
      if (expr[i] === '"') {
        if (expr[i + 1] === '"') {
          term += '"';
          i += 2;
          continue;
        }
        i++;
        break;
      }
      term += expr[i];
      i++;
    }
    terms.push(term);
    if (i === expr.length) {
      return terms;
    }
    if (!expr.startsWith(' OR ', i)) {
      return null;
    }
    i += 4;
  }
}

describe('queryTerms', () => {
  it('lower-cases words and drops stop words', () => {
    expect(queryTerms('The quick brown fox and THE lazy dog')).toEqual(['quick', 'brown', 'fox', 'lazy', 'dog']);
  });

  it('returns [] when only stop words or punctuation remain', () => {
    expect(queryTerms('What is it that you should do?')).toEqual([]);
    expect(queryTerms("don't")).toEqual([]);
    expect(queryTerms(' ... !!! ')).toEqual([]);
    expect(queryTerms('')).toEqual([]);
  });

  it('de-duplicates terms, keeping first-seen order', () => {
    expect(queryTerms('Python python PYTHON data Python data code')).toEqual(['python', 'data', 'code']);
  });

  it('splits on punctuation and keeps numbers', () => {
    expect(queryTerms('node.js, C++ & python3 (v2) 2024-01-05')).toEqual([
      'node',
      'js',
      'c',
      'python3',
      'v2',
      '2024',
      '01',
      '05',
    ]);
  });

  it('keeps Unicode words whole', () => {
    expect(queryTerms('Café ÜBER 東京 naïve Привет ΑΘΗΝΑ')).toEqual([
      'café',
      'über',
      '東京',
      'naïve',
      'привет',
      'αθηνα',
    ]);
  });

  it('stops after MAX_QUERY_TERMS distinct terms', () => {
    expect(MAX_QUERY_TERMS).toBe(64);
    const text = Array.from({ length: 100 }, (_, i) => `w${i} the w${i}`).join(' ');
    const terms = queryTerms(text);
    expect(terms).toHaveLength(64);
    expect(terms[0]).toBe('w0');
    expect(terms[63]).toBe('w63');
  });

  it('returns distinct, lower-case, non-stop-word terms made of letters and digits only, for any text', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ unit: 'grapheme', maxLength: 100 })),
        (text) => {
          const terms = queryTerms(text);
          expect(terms.length).toBeLessThanOrEqual(MAX_QUERY_TERMS);
          expect(new Set(terms).size).toBe(terms.length);
          for (const term of terms) {
            expect(term).toMatch(/^[\p{L}\p{N}]+$/u);
            expect(term).toBe(term.toLowerCase());
            expect(['the', 'and', 'a', 'is'].includes(term)).toBe(false);
          }
        },
      ),
    );
  });
});

describe('fts5Query', () => {
  it('quotes every term and joins them with OR', () => {
    expect(fts5Query(['python', 'data'])).toBe('"python" OR "data"');
    expect(fts5Query(['only'])).toBe('"only"');
  });

  it('returns the empty string for no terms', () => {
    expect(fts5Query([])).toBe('');
  });

  it('doubles embedded double quotes', () => {
    expect(fts5Query(['say "hi"', '"'])).toBe('"say ""hi""" OR """"');
  });

  it('neutralizes FTS5 syntax inside terms', () => {
    expect(fts5Query(['a OR b', 'NEAR(x y)', 'c*', 'col:val', '^start'])).toBe(
      '"a OR b" OR "NEAR(x y)" OR "c*" OR "col:val" OR "^start"',
    );
  });

  it('never produces an unbalanced quote: the output parses back to exactly the input terms', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.string({ unit: fc.constantFrom('"', '""', ' ', 'OR', 'a', '*', '(', ')', ':') }),
            fc.string({ unit: 'binary' }),
          ),
          {
            maxLength: 10,
          },
        ),
        (terms) => {
          const expr = fts5Query(terms);
          expect(expr.split('"').length % 2).toBe(1);
          expect(parseQuoted(expr)).toEqual(terms);
        },
      ),
      { numRuns: 1_000 },
    );
  });

  it('quotes the output of queryTerms for any text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 100 }), (text) => {
        const terms = queryTerms(text);
        expect(parseQuoted(fts5Query(terms))).toEqual(terms);
      }),
    );
  });
});
