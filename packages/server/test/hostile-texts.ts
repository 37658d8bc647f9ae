/**
 * Texts at the 10,000-code-point content limit that are the worst of their kind for a tokenizer or a chunker: shared
 * by the tests and the benchmark, so both hold the embedding pipeline to the same inputs.
 */
const LIMIT = 10_000;

export const HOSTILE_TEXTS: Readonly<Record<string, string>> = {
  'U+FDFA (18 characters each under NFKC)': '\uFDFA'.repeat(LIMIT),
  "one word of 'x'": 'x'.repeat(LIMIT),
  'a letter and 999 combining marks, repeated': `a${'\u0301'.repeat(999)}`.repeat(LIMIT / 1000),
  prose: 'My grandmother taught me to bake bread, and I still bake it every Sunday morning. '
    .repeat(125)
    .slice(0, LIMIT),
  'mixed scripts and emoji': [...'日本語のテキスト Ελληνικά кириллица العربية 😀👨‍👩‍👧 '.repeat(400)]
    .slice(0, LIMIT)
    .join(''),
};
