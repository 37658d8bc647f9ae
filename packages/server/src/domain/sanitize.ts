/**
 * Cleaning and checking of user text. Pure: the API, JSON/CSV import and any other write path call these
 * through the services, so every path stores the same thing.
 */

export interface TextLimits {
  maxContentLength: number;
  maxTagCount: number;
  maxTagLength: number;
}

/** A rule broken by user input; services turn it into a 400 with `message`. */
export class InputRuleError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
    this.name = 'InputRuleError';
  }
}

// Characters removed from stored text:
// C0 controls except TAB and LF (CR and the Unicode line separators are turned into LF first), DEL, C1 controls,
// bidi embeddings/overrides/isolates, zero-width and invisible format characters, tag characters and
// interlinear annotation characters. ZWJ/ZWNJ (emoji sequences, Indic scripts) and LRM/RLM (RTL text) are kept.
const DISALLOWED =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point of this pattern
  /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069\u200B\u2060-\u2064\uFEFF\uFFF9-\uFFFB]|\uDB40[\uDC00-\uDC7F]/g;
const LINE_BREAKS = /\r\n|[\r\u0085\u2028\u2029]/g;
const NONCHARACTERS = /[\uFFFE\uFFFF]/;
// Unicode whitespace as Python's str.strip() sees it (includes NBSP, U+2000–U+200A, U+3000), for trimming.
// Tested one character at a time: an anchored `[\s]+$` regex is quadratic on a long inner run of spaces.
const EDGE_SPACE_CHAR = /[\s\u0085\u180E]/;

function trimEdges(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && EDGE_SPACE_CHAR.test(text.charAt(start))) {
    start++;
  }
  while (end > start && EDGE_SPACE_CHAR.test(text.charAt(end - 1))) {
    end--;
  }
  return text.slice(start, end);
}

/** Number of Unicode code points (an astral character counts as one). */
export function codePointLength(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        i++;
      }
    }
    n++;
  }
  return n;
}

/** True when the string has no lone surrogate (it can be encoded as UTF-8). */
export function isWellFormed(text: string): boolean {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);
}

/**
 * Returns the text as it is stored: NFC, line breaks as `\n`, disallowed characters removed, trimmed.
 * Idempotent. Does not check lengths (see {@link cleanContent}).
 */
export function sanitizeText(text: string): string {
  return trimEdges(text.normalize('NFC').replace(LINE_BREAKS, '\n').replace(DISALLOWED, '')).normalize('NFC');
}

/**
 * Validates and cleans context content or a task.
 * @throws InputRuleError "Content cannot be empty" / "Content exceeds maximum length of N characters" /
 *   "Content contains invalid Unicode"
 */
export function cleanContent(text: string, limits: Pick<TextLimits, 'maxContentLength'>, field = 'content'): string {
  if (!isWellFormed(text) || NONCHARACTERS.test(text)) {
    throw new InputRuleError('Content contains invalid Unicode', field);
  }
  const clean = sanitizeText(text);
  if (clean === '') {
    throw new InputRuleError('Content cannot be empty', field);
  }
  // Length is measured on the stored value, so stripped characters never count against the limit.
  if (codePointLength(clean) > limits.maxContentLength) {
    throw new InputRuleError(`Content exceeds maximum length of ${limits.maxContentLength} characters`, field);
  }
  return clean;
}

const TAG_PATTERN = /^[\p{L}\p{N}\p{M}_\- ]+$/u;

/**
 * Validates and cleans a tag list: each tag NFKC-normalised, trimmed, inner whitespace collapsed; duplicates
 * (compared case-insensitively) merged, keeping the first spelling. The count limit applies after merging.
 * @throws InputRuleError with the v1 messages ("Tags cannot be empty", "Maximum N tags allowed", …)
 */
export function cleanTags(tags: readonly string[], limits: Pick<TextLimits, 'maxTagCount' | 'maxTagLength'>): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of tags) {
    if (!isWellFormed(raw)) {
      throw new InputRuleError('Tags contain invalid Unicode', 'tags');
    }
    const tag = sanitizeText(raw.normalize('NFKC')).replace(/\s+/gu, ' ');
    if (tag === '') {
      throw new InputRuleError('Tags cannot be empty', 'tags');
    }
    if (codePointLength(tag) > limits.maxTagLength) {
      throw new InputRuleError(`Tag '${tag}' exceeds maximum length of ${limits.maxTagLength} characters`, 'tags');
    }
    if (!TAG_PATTERN.test(tag)) {
      throw new InputRuleError(
        `Tag '${tag}' contains invalid characters. Only alphanumeric, spaces, hyphens, and underscores allowed`,
        'tags',
      );
    }
    const key = tag.toLowerCase();
    if (!seen.has(key)) {
      seen.add(key);
      out.push(tag);
    }
  }
  if (out.length > limits.maxTagCount) {
    throw new InputRuleError(`Maximum ${limits.maxTagCount} tags allowed`, 'tags');
  }
  return out;
}

/** Cleans a short single-line label such as `source`: sanitized, whitespace collapsed, bounded. */
export function cleanLabel(text: string, maxLength: number, fallback: string): string {
  if (!isWellFormed(text)) {
    throw new InputRuleError('Source contains invalid Unicode', 'source');
  }
  const clean = sanitizeText(text).replace(/\s+/gu, ' ');
  if (codePointLength(clean) > maxLength) {
    throw new InputRuleError(`Source exceeds maximum length of ${maxLength} characters`, 'source');
  }
  return clean === '' ? fallback : clean;
}
