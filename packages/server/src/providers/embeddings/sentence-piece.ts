/**
 * The SentencePiece (unigram) tokenizer of the Universal Sentence Encoder, in linear time.
 *
 * It gives exactly the token ids of the tokenizer that ships with `@energetic-ai/embeddings` (and TensorFlow.js'
 * universal-sentence-encoder), whose vectors are stored: the text is NFKC-normalised, spaces become `▁`, and the
 * best segmentation is found by Viterbi over every vocabulary piece that starts at each position. That tokenizer
 * copies the rest of the input at every position (quadratic time and memory: a 30 KB text took minutes); this one
 * walks the vocabulary trie at most `maxPieceLength` steps from each position, so the cost is linear in the text.
 */

/** A vocabulary entry: the piece and its log probability. */
export type VocabularyEntry = readonly [piece: string, score: number];

/** Marks the start of a word (replaces spaces, and starts the text). */
const SEPARATOR = '\u2581';
/** The first entries are control symbols (`<unk>` stand-in, `<s>`, `</s>`, extra ids): never produced by `encode`. */
const RESERVED_SYMBOLS = 6;
/** Id of an unknown piece; a run of unknown characters becomes one such token. */
const UNKNOWN = 0;

interface TrieNode {
  children: Map<number, TrieNode>;
  /** Vocabulary index of the piece ending here, or -1. */
  index: number;
}

export interface SentencePieceTokenizer {
  /** Token ids of a text, as the model reads them. Linear in the length of the (normalised) text. */
  encode(text: string): number[];
  /** True when the token begins a word (its piece starts with `▁`): a chunk may start there without cutting a word. */
  startsWord(id: number): boolean;
  /** Longest vocabulary piece, in code points. */
  readonly maxPieceLength: number;
}

export function createSentencePieceTokenizer(vocabulary: readonly VocabularyEntry[]): SentencePieceTokenizer {
  const root: TrieNode = { children: new Map(), index: -1 };
  const scores = new Float64Array(vocabulary.length);
  const lengths = new Int32Array(vocabulary.length);
  const wordStarts = new Uint8Array(vocabulary.length);
  let maxPieceLength = 1;
  vocabulary.forEach(([piece, score], index) => {
    const points = codePoints(piece);
    scores[index] = score;
    lengths[index] = points.length;
    wordStarts[index] = piece.startsWith(SEPARATOR) ? 1 : 0;
    if (index < RESERVED_SYMBOLS) {
      return;
    }
    maxPieceLength = Math.max(maxPieceLength, points.length);
    let node = root;
    for (const point of points) {
      let child = node.children.get(point);
      if (child === undefined) {
        child = { children: new Map(), index: -1 };
        node.children.set(point, child);
      }
      node = child;
    }
    node.index = index;
  });
  // The unknown piece stands for one character.
  lengths[UNKNOWN] = 1;

  function encode(text: string): number[] {
    const normalized = text.normalize('NFKC');
    if (normalized === '') {
      return [];
    }
    const symbols = codePoints(SEPARATOR + normalized.replaceAll(' ', SEPARATOR));
    const n = symbols.length;
    // best[e]: score of the best segmentation of symbols[0, e); 0 also means "not reached yet", as in the reference.
    const best = new Float64Array(n + 1);
    const words = new Int32Array(n + 1);
    // A piece [s, e) is offered to position e in increasing s (and, from one s, increasing length); the last of
    // equal scores wins. This is the order of the reference implementation, so ties resolve identically.
    const offer = (start: number, end: number, index: number, score: number): void => {
      const total = score + (best[start] as number);
      if (best[end] === 0 || total >= (best[end] as number)) {
        best[end] = total;
        words[end] = index;
      }
    };
    for (let start = 0; start < n; start++) {
      let node = root.children.get(symbols[start] as number);
      let matched = false;
      for (let end = start + 1; node !== undefined; end++) {
        if (node.index >= 0) {
          offer(start, end, node.index, scores[node.index] as number);
          matched = true;
        }
        node = end < n ? node.children.get(symbols[end] as number) : undefined;
      }
      if (!matched) {
        offer(start, start + 1, UNKNOWN, 0);
      }
    }
    const reversed: number[] = [];
    for (let at = n; at > 0; at -= lengths[words[at] as number] as number) {
      const id = words[at] as number;
      // Adjacent unknown pieces merge into one.
      if (!(id === UNKNOWN && reversed.at(-1) === UNKNOWN)) {
        reversed.push(id);
      }
    }
    return reversed.reverse();
  }

  return {
    encode,
    startsWord: (id) => wordStarts[id] === 1,
    maxPieceLength,
  };
}

function codePoints(text: string): Int32Array {
  const out = new Int32Array(text.length);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const point = text.codePointAt(i) as number;
    out[n++] = point;
    if (point > 0xffff) {
      i++;
    }
  }
  return out.subarray(0, n);
}
