/** The notice that ends a reply cut at the size limit. */
export function truncationNotice(maxBytes: number): string {
  return `\n\n[Reply truncated: it reached the limit of ${maxBytes} bytes.]`;
}

/**
 * Keeps a reply that arrives in pieces within `maxBytes` of UTF-8, the notice that ends a cut reply included.
 * `take(piece)` returns what of the piece may be passed on (cut at a character boundary, with the notice, once the
 * limit is reached) and whether the reply is now complete; later pieces are dropped. `text` is everything passed on.
 * `maxBytes` must leave room for the notice (configuration allows no less than 1024).
 */
export function createReplyLimit(maxBytes: number) {
  const notice = truncationNotice(maxBytes);
  const budget = maxBytes - Buffer.byteLength(notice);
  let used = 0;
  let text = '';
  let reached = false;
  return {
    take(piece: string): { text: string; reached: boolean } {
      if (reached) {
        return { text: '', reached };
      }
      const size = Buffer.byteLength(piece);
      if (used + size <= budget) {
        used += size;
        text += piece;
        return { text: piece, reached };
      }
      let kept = '';
      for (const char of piece) {
        const charSize = Buffer.byteLength(char);
        if (used + charSize > budget) {
          break;
        }
        used += charSize;
        kept += char;
      }
      reached = true;
      text += kept + notice;
      return { text: kept + notice, reached };
    },
    get text(): string {
      return text;
    },
  };
}
