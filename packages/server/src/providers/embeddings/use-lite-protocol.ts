/** Messages between the USE-lite embedder and its worker threads. */

/** USE-lite reads the first 128 tokens of an input and ignores the rest. */
export const QUERY_TOKENS = 128;

export type UseLiteRequest =
  /** Token ids of each text's chunks, at most `maxChunks` per text. */
  | { kind: 'plan'; texts: string[]; maxChunks: number }
  /** One vector per token list. */
  | { kind: 'embed'; chunks: Int32Array[] }
  /** One vector for a query. */
  | { kind: 'query'; text: string };

/** `plan` answers with chunk token lists per text; `embed` and `query` with vectors. */
export type UseLiteResult = Int32Array[][] | Float32Array[];
