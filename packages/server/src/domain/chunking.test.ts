import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { chunkText, cutText, estimateTokens, planChunks, type ChunkOptions } from './chunking.js';

const words = (s: string): string[] => s.split(/\s+/).filter(Boolean);

/** A tokenizer stand-in: one token per whitespace-separated word. */
function byWords(maxTokens: number, maxChunks = 100): ChunkOptions<string> {
  return { maxTokens, maxChunks, maxCharsPerToken: Number.POSITIVE_INFINITY, encode: words, startsWord: () => true };
}

/** A tokenizer stand-in that makes long words expensive: one token per code point; a word starts after a space. */
function byCodePoints(maxTokens: number, maxChunks = 100): ChunkOptions<string> {
  return {
    maxTokens,
    maxChunks,
    maxCharsPerToken: 2,
    encode: (sentence) => [...sentence.replace(/\s+/g, ' ')],
    startsWord: (token) => token === ' ',
  };
}

const joined = (chunks: string[][]) => chunks.map((c) => c.join(' '));

describe('planChunks', () => {
  it('returns [] for empty or whitespace-only text', () => {
    expect(planChunks('', byWords(10))).toEqual([]);
    expect(planChunks('  \n\t ', byWords(10))).toEqual([]);
  });

  it('returns short text as one chunk', () => {
    expect(joined(planChunks('  Hello world. How are you?  ', byWords(10)))).toEqual(['Hello world. How are you?']);
  });

  it('packs whole sentences greedily', () => {
    const text = 'One two three. Four five six. Seven eight nine.';
    expect(joined(planChunks(text, byWords(6)))).toEqual(['One two three. Four five six.', 'Seven eight nine.']);
    expect(joined(planChunks(text, byWords(5)))).toEqual(['One two three.', 'Four five six.', 'Seven eight nine.']);
  });

  it('cuts a sentence longer than maxTokens, and packs its tail with the next sentence', () => {
    expect(joined(planChunks('w1 w2 w3 w4 w5 w6 w7 w8 w9 w10', byWords(4)))).toEqual([
      'w1 w2 w3 w4',
      'w5 w6 w7 w8',
      'w9 w10',
    ]);
    expect(joined(planChunks('a b c d e. f.', byWords(3)))).toEqual(['a b c', 'd e. f.']);
  });

  it('cuts a long sentence before a word start, and an over-long word hard', () => {
    const chunks = planChunks('hi abcdefghij yo', byCodePoints(5)).map((c) => c.join(''));
    expect(chunks).toEqual(['hi', ' abcd', 'efghi', 'j yo']);
  });

  it('makes at most maxChunks chunks and never tokenizes what they cannot hold', () => {
    const seen: string[] = [];
    const options = byCodePoints(10, 3);
    const chunks = planChunks('x'.repeat(1_000_000), {
      ...options,
      encode: (s, o) => (seen.push(s), options.encode(s, o)),
    });
    expect(chunks).toHaveLength(3);
    expect(chunks.every((c) => c.length === 10)).toBe(true);
    // 3 chunks × 10 tokens × at most 2 characters per token.
    expect(seen.join('').length).toBe(60);
  });

  it('stops reading sentences once the chunks are full', () => {
    let calls = 0;
    const text = 'Short one. '.repeat(10_000);
    const chunks = planChunks(text, { ...byWords(4, 2), encode: (s) => (calls++, words(s)) });
    expect(joined(chunks)).toEqual(['Short one. Short one.', 'Short one. Short one.']);
    expect(calls).toBeLessThanOrEqual(5);
  });

  it('passes each sentence with its offset in the text', () => {
    const offsets: [string, number][] = [];
    planChunks('  First one.  Second one. ', { ...byWords(10), encode: (s, o) => (offsets.push([s, o]), words(s)) });
    expect(offsets).toEqual([
      ['First one.', 2],
      ['Second one.', 14],
    ]);
  });

  const word = fc.stringMatching(/^[a-zA-Z0-9]{1,10}[.!?,]?$/);
  const separator = fc.constantFrom(' ', '  ', '\n', '\n\n', '\t', ' \u00A0');
  const text = fc
    .tuple(fc.array(fc.tuple(word, separator), { maxLength: 80 }), separator, separator)
    .map(([pairs, before, after]) => before + pairs.map(([w, s]) => w + s).join('') + after);

  it('keeps every word in order in non-empty chunks within maxTokens, up to maxChunks (property)', () => {
    fc.assert(
      fc.property(text, fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 10 }), (t, maxTokens, maxChunks) => {
        const chunks = planChunks(t, byWords(maxTokens, maxChunks));
        expect(chunks.length).toBeLessThanOrEqual(maxChunks);
        for (const chunk of chunks) {
          expect(chunk.length).toBeGreaterThan(0);
          expect(chunk.length).toBeLessThanOrEqual(maxTokens);
        }
        const all = words(t);
        const kept = chunks.flat();
        expect(kept).toEqual(all.slice(0, kept.length));
        if (chunks.length < maxChunks) {
          expect(kept).toEqual(all);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('keeps every chunk within maxTokens for any text, never splitting a surrogate pair (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: 'grapheme', maxLength: 80 }), fc.string({ unit: 'binary', maxLength: 80 }), text),
        fc.integer({ min: 1, max: 12 }),
        (t, maxTokens) => {
          for (const chunk of planChunks(t, byCodePoints(maxTokens))) {
            expect(chunk.length).toBeGreaterThan(0);
            expect(chunk.length).toBeLessThanOrEqual(maxTokens);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('cutText', () => {
  it('keeps the first characters, never half of a surrogate pair', () => {
    expect(cutText('abcdef', 3)).toBe('abc');
    expect(cutText('ab', 3)).toBe('ab');
    expect(cutText('a😀b', 2)).toBe('a');
    expect(cutText('a😀b', 3)).toBe('a😀');
  });
});

describe('chunkText', () => {
  it('keeps a short text whole, inner whitespace included', () => {
    expect(chunkText('  one two\nthree  four  ', 100, 5)).toEqual(['one two\nthree  four']);
  });

  it('cuts to the estimated token budget, up to maxChunks chunks, from the original text', () => {
    const text = Array.from({ length: 50 }, (_, i) => `Sentence ${i} has a few words in it.`).join('\n');
    const chunks = chunkText(text, 27, 100);
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks) {
      expect(estimateTokens(chunk)).toBeLessThanOrEqual(27);
      expect(text).toContain(chunk);
    }
    expect(chunks.join('\n')).toBe(text);
    expect(chunkText(text, 27, 3)).toEqual(chunks.slice(0, 3));
  });
});

describe('estimateTokens', () => {
  it('estimates 1.35 tokens per word, rounded up', () => {
    expect(estimateTokens('')).toBe(0);
    expect(estimateTokens('   ')).toBe(0);
    expect(estimateTokens('one')).toBe(2);
    expect(estimateTokens(' a b\nc ')).toBe(5);
    expect(estimateTokens(Array.from({ length: 20 }, () => 'w').join(' '))).toBe(27);
  });
});
