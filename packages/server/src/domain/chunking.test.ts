import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { chunkText, estimateTokens } from './chunking.js';

/** A tokenizer stand-in: one token per whitespace-separated word. */
const wordCount = (s: string): number => s.split(/\s+/).filter(Boolean).length;
/** A tokenizer stand-in that makes long words expensive: one token per code point. */
const charCount = (s: string): number => [...s].length;

const words = (s: string): string[] => s.split(/\s+/).filter(Boolean);
const nonSpace = (s: string): string => s.replace(/\s+/g, '');

describe('chunkText', () => {
  it('returns [] for empty or whitespace-only text', () => {
    expect(chunkText('', 10, wordCount)).toEqual([]);
    expect(chunkText('  \n\t ', 10, wordCount)).toEqual([]);
  });

  it('returns short text as one trimmed chunk', () => {
    expect(chunkText('  Hello world. How are you?  ', 10, wordCount)).toEqual(['Hello world. How are you?']);
  });

  it('keeps text of exactly maxTokens in one chunk, inner whitespace untouched', () => {
    expect(chunkText('one two\nthree  four', 4, wordCount)).toEqual(['one two\nthree  four']);
  });

  it('packs whole sentences greedily', () => {
    expect(chunkText('One two three. Four five six. Seven eight nine.', 6, wordCount)).toEqual([
      'One two three. Four five six.',
      'Seven eight nine.',
    ]);
    expect(chunkText('One two three. Four five six. Seven eight nine.', 5, wordCount)).toEqual([
      'One two three.',
      'Four five six.',
      'Seven eight nine.',
    ]);
  });

  it('cuts a sentence longer than maxTokens at word boundaries', () => {
    expect(chunkText('w1 w2 w3 w4 w5 w6 w7 w8 w9 w10', 4, wordCount)).toEqual(['w1 w2 w3 w4', 'w5 w6 w7 w8', 'w9 w10']);
  });

  it('packs the tail of a cut sentence with the next sentence', () => {
    expect(chunkText('a b c d e. f.', 3, wordCount)).toEqual(['a b c', 'd e. f.']);
  });

  it('cuts an over-long single word hard', () => {
    expect(chunkText('abcdefghij', 4, charCount)).toEqual(['abcd', 'efgh', 'ij']);
  });

  it('cuts an over-long word between code points, never inside a surrogate pair', () => {
    expect(chunkText('😀😀😀😀😀', 2, charCount)).toEqual(['😀😀', '😀😀', '😀']);
  });

  it('keeps the words around an over-long word in their own chunks', () => {
    expect(chunkText('hi abcdefghij yo', 4, charCount)).toEqual(['hi', 'abcd', 'efgh', 'ij', 'yo']);
  });

  it('cuts one character per chunk when maxTokens is 0', () => {
    expect(chunkText('abc', 0, charCount)).toEqual(['a', 'b', 'c']);
  });

  it('keeps every chunk within maxTokens on long text', () => {
    const text = Array.from({ length: 50 }, (_, i) => `Sentence ${i} has a few words in it.`).join(' ');
    const chunks = chunkText(text, 20, wordCount);
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks) {
      expect(wordCount(chunk)).toBeLessThanOrEqual(20);
    }
    expect(chunks.join(' ')).toBe(text);
  });
});

describe('chunkText: properties', () => {
  const word = fc.stringMatching(/^[a-zA-Z0-9]{1,10}[.!?,]?$/);
  const separator = fc.constantFrom(' ', ' ', '  ', '\n', '\n\n', '\t', ' \u00A0');
  const text = fc
    .tuple(fc.array(fc.tuple(word, separator), { maxLength: 80 }), separator, separator)
    .map(([pairs, before, after]) => before + pairs.map(([w, s]) => w + s).join('') + after);

  it('splits random word sequences into non-empty trimmed chunks within maxTokens, keeping every word in order', () => {
    fc.assert(
      fc.property(text, fc.integer({ min: 1, max: 30 }), (t, maxTokens) => {
        const chunks = chunkText(t, maxTokens, wordCount);
        for (const chunk of chunks) {
          expect(chunk).not.toBe('');
          expect(chunk).toBe(chunk.trim());
          expect(wordCount(chunk)).toBeLessThanOrEqual(maxTokens);
        }
        expect(chunks.flatMap(words)).toEqual(words(t));
        if (wordCount(t) <= maxTokens) {
          expect(chunks).toEqual(words(t).length === 0 ? [] : [t.trim()]);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('keeps every non-space character in order and every chunk within maxTokens, for any text', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: 'grapheme', maxLength: 80 }), fc.string({ unit: 'binary', maxLength: 80 }), text),
        fc.integer({ min: 1, max: 12 }),
        (t, maxTokens) => {
          const chunks = chunkText(t, maxTokens, charCount);
          for (const chunk of chunks) {
            expect(chunk).not.toBe('');
            expect(charCount(chunk)).toBeLessThanOrEqual(maxTokens);
          }
          expect(chunks.map(nonSpace).join('')).toBe(nonSpace(t));
        },
      ),
      { numRuns: 500 },
    );
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
