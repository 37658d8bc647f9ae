/**
 * Splitting text into chunks that an embedding model sees whole, with a bound on the work any text can cause.
 *
 * Sentences are tokenized one at a time and packed greedily while a chunk stays within `maxTokens`; a sentence
 * longer than that is cut before a word that starts within the limit (a single over-long word is cut hard). At most
 * `maxChunks` chunks are made: the rest of a longer text is never tokenized, and each sentence is cut to the
 * characters the remaining budget can use, so the cost is linear in the text and bounded by the budget, whatever the
 * text holds.
 */

export interface ChunkOptions<T> {
  /** Most tokens in one chunk. */
  maxTokens: number;
  /** Most chunks of one text. */
  maxChunks: number;
  /**
   * Most characters (UTF-16 units) one token can stand for. A sentence is cut at `tokens still allowed × this`
   * characters before it is tokenized; `Infinity` never cuts.
   */
  maxCharsPerToken: number;
  /** Tokens of one sentence (trimmed, never empty); `offset` is where it starts in the text. */
  encode: (sentence: string, offset: number) => readonly T[];
  /** True when a chunk may start at this token without cutting a word. */
  startsWord: (token: T) => boolean;
}

const sentences = new Intl.Segmenter('en', { granularity: 'sentence' });

/** The chunks of a text, each a non-empty list of at most `maxTokens` tokens, in text order; [] for blank text. */
export function planChunks<T>(text: string, options: ChunkOptions<T>): T[][] {
  const { maxTokens, maxChunks } = options;
  const chunks: T[][] = [];
  let current: T[] = [];
  const full = () => chunks.length >= maxChunks;
  for (const { segment, index } of sentences.segment(text)) {
    const start = firstNonSpace(segment);
    if (start === segment.length) {
      continue;
    }
    const sentence = segment.slice(start, lastNonSpace(segment) + 1);
    const allowed = (maxChunks - chunks.length) * maxTokens - current.length;
    if (allowed <= 0) {
      break;
    }
    const tokens = options.encode(cutText(sentence, allowed * options.maxCharsPerToken), index + start);
    if (current.length + tokens.length <= maxTokens) {
      current.push(...tokens);
      continue;
    }
    if (current.length > 0) {
      chunks.push(current);
      current = [];
    }
    const pieces = splitAtWords(tokens, maxTokens, options.startsWord);
    for (const piece of pieces.slice(0, -1)) {
      if (full()) {
        break;
      }
      chunks.push(piece);
    }
    current = pieces.at(-1) ?? [];
    if (full()) {
      current = [];
      break;
    }
  }
  if (current.length > 0 && !full()) {
    chunks.push(current);
  }
  return chunks;
}

/** Cuts a token list into pieces of at most `maxTokens`, each (but a hard-cut word) starting a word. */
function splitAtWords<T>(tokens: readonly T[], maxTokens: number, startsWord: (token: T) => boolean): T[][] {
  const pieces: T[][] = [];
  let start = 0;
  while (tokens.length - start > maxTokens) {
    let end = start + maxTokens;
    while (end > start && !startsWord(tokens[end] as T)) {
      end--;
    }
    if (end === start) {
      end = start + maxTokens;
    }
    pieces.push(tokens.slice(start, end));
    start = end;
  }
  pieces.push(tokens.slice(start));
  return pieces;
}

/** The first `maxChars` UTF-16 units of a text, never splitting a surrogate pair. */
export function cutText(text: string, maxChars: number): string {
  if (text.length <= maxChars) {
    return text;
  }
  const end = Math.max(0, Math.floor(maxChars));
  const code = text.charCodeAt(end - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? end - 1 : end);
}

const SPACE = /\s/;

function firstNonSpace(text: string): number {
  let i = 0;
  while (i < text.length && SPACE.test(text.charAt(i))) {
    i++;
  }
  return i;
}

function lastNonSpace(text: string): number {
  let i = text.length - 1;
  while (i >= 0 && SPACE.test(text.charAt(i))) {
    i--;
  }
  return i;
}

/** Words per chunk for a budget counted with {@link estimateTokens}. */
const TOKENS_PER_WORD = 1.35;

/**
 * Chunks for a provider whose tokenizer we do not have: words are counted with {@link estimateTokens}, and each
 * chunk is the original text from its first word to its last (whitespace inside kept).
 */
export function chunkText(text: string, maxTokens: number, maxChunks: number): string[] {
  const wordsPerChunk = Math.max(1, Math.floor(maxTokens / TOKENS_PER_WORD));
  const chunks = planChunks<{ start: number; end: number }>(text, {
    maxTokens: wordsPerChunk,
    maxChunks,
    maxCharsPerToken: Number.POSITIVE_INFINITY,
    encode: (sentence, offset) =>
      Array.from(sentence.matchAll(/\S+/g), (m) => ({ start: offset + m.index, end: offset + m.index + m[0].length })),
    startsWord: () => true,
  });
  return chunks.map((words) => text.slice(words[0]?.start, words.at(-1)?.end));
}

/** A rough token count for providers whose tokenizer we do not have: about 0.75 words per token. */
export function estimateTokens(text: string): number {
  const words = text.trim().split(/\s+/).filter(Boolean).length;
  return Math.ceil(words * TOKENS_PER_WORD);
}
