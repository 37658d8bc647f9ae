/**
 * Client-supplied text repeated in error messages. Ids, keys and names come from whoever sends the request, so a
 * message quoting one must stay short, keep its own quotes closed and carry no raw line break or invisible
 * character into a response, a log line or a terminal.
 */

/** Longest part of a value repeated in a message by default, in code points; a longer value is cut and ends with "…". */
export const MAX_ECHO_LENGTH = 64;

// Escaped: backslash and quotes (so a value cannot close the quotes a message puts around it), `<`, `>` and `&` (so
// the message stays inert in HTML), and every control, format, invisible, line-separating or lone surrogate code
// point, which could break lines or hide text.
const UNSAFE = /[\\"'<>&\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]/gu;
const SHORT_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\\\',
  '"': '\\"',
  "'": "\\'",
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

function escapeChar(ch: string): string {
  const short = SHORT_ESCAPES[ch];
  if (short !== undefined) {
    return short;
  }
  // JSON-style: one \uXXXX per UTF-16 unit (an astral character becomes its surrogate pair).
  let out = '';
  for (let i = 0; i < ch.length; i++) {
    out += `\\u${ch.charCodeAt(i).toString(16).padStart(4, '0')}`;
  }
  return out;
}

/**
 * A value the client sent (an id, a key, a name) as it may appear inside an error message: its first `maxLength`
 * code points ({@link MAX_ECHO_LENGTH} unless given), followed by "…" when it was longer, with backslashes, quotes and `<>&`
 * escaped and control, invisible and line-separating characters written as JSON-style escapes (`\n`, `\u202e`).
 * An ordinary value (a UUID, a field name, a tag) comes back unchanged, so v1 messages keep their exact text.
 * Linear in the length of the part kept; the rest of the value is never read.
 */
export function echo(value: string, maxLength = MAX_ECHO_LENGTH): string {
  let end = 0;
  for (let count = 0; count < maxLength && end < value.length; count++) {
    const unit = value.charCodeAt(end);
    const next = value.charCodeAt(end + 1);
    end += unit >= 0xd800 && unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff ? 2 : 1;
  }
  const kept = value.slice(0, end).replace(UNSAFE, escapeChar);
  return end < value.length ? `${kept}…` : kept;
}
