/**
 * Splits text into chunks that an embedding model sees whole. Sentences are packed greedily while the chunk stays
 * within `maxTokens` (as counted by the model's own tokenizer); a sentence longer than that is cut at word
 * boundaries, and a single over-long word is cut hard. Every chunk is non-empty; the concatenation of the chunks
 * covers all words of the text in order.
 */
export function chunkText(text: string, maxTokens: number, countTokens: (s: string) => number): string[] {
  const trimmed = text.trim();
  if (trimmed === '') {
    return [];
  }
  if (countTokens(trimmed) <= maxTokens) {
    return [trimmed];
  }
  const pieces: string[] = [];
  const segmenter = new Intl.Segmenter('en', { granularity: 'sentence' });
  for (const { segment } of segmenter.segment(trimmed)) {
    const sentence = segment.trim();
    if (sentence === '') {
      continue;
    }
    if (countTokens(sentence) <= maxTokens) {
      pieces.push(sentence);
    } else {
      pieces.push(...splitLongSentence(sentence, maxTokens, countTokens));
    }
  }
  const chunks: string[] = [];
  let current = '';
  for (const piece of pieces) {
    const candidate = current === '' ? piece : `${current} ${piece}`;
    if (current !== '' && countTokens(candidate) > maxTokens) {
      chunks.push(current);
      current = piece;
    } else {
      current = candidate;
    }
  }
  if (current !== '') {
    chunks.push(current);
  }
  return chunks;
}

function splitLongSentence(sentence: string, maxTokens: number, countTokens: (s: string) => number): string[] {
  const out: string[] = [];
  let current = '';
  for (const word of sentence.split(/\s+/)) {
    if (countTokens(word) > maxTokens) {
      if (current !== '') {
        out.push(current);
        current = '';
      }
      out.push(...splitLongWord(word, maxTokens, countTokens));
      continue;
    }
    const candidate = current === '' ? word : `${current} ${word}`;
    if (current !== '' && countTokens(candidate) > maxTokens) {
      out.push(current);
      current = word;
    } else {
      current = candidate;
    }
  }
  if (current !== '') {
    out.push(current);
  }
  return out;
}

function splitLongWord(word: string, maxTokens: number, countTokens: (s: string) => number): string[] {
  const chars = [...word];
  const out: string[] = [];
  let start = 0;
  while (start < chars.length) {
    // Binary search for the longest prefix that fits.
    let lo = start + 1;
    let hi = chars.length;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (countTokens(chars.slice(start, mid).join('')) <= maxTokens) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    out.push(chars.slice(start, lo).join(''));
    start = lo;
  }
  return out;
}

/** A rough token count for providers whose tokenizer we do not have: about 0.75 words per token. */
export function estimateTokens(text: string): number {
  const words = text.trim().split(/\s+/).filter(Boolean).length;
  return Math.ceil(words * 1.35);
}
