/**
 * Cleaning of user text: Unicode normalisation, line breaks, control and invisible characters. Pure. What a unit's
 * fields may hold once cleaned (limits, emptiness, allowed characters) is decided by `unit-rules.ts`.
 */

// Characters removed from stored text: C0 controls except TAB and LF (CR and the Unicode line separators are
// turned into LF first), DEL, C1 controls and the interlinear annotation characters. Default-ignorable code points
// (bidi controls, zero-width characters, fillers, variation selectors, tag characters…) are handled by
// `stripInvisible` below.
// eslint-disable-next-line no-control-regex -- matching control characters is the point of this pattern
const DISALLOWED = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\uFFF9-\uFFFB]/g;
const LINE_BREAKS = /\r\n|[\r\u0085\u2028\u2029]/g;
// Unicode whitespace as Python's str.strip() sees it (includes NBSP, U+2000–U+200A, U+3000), for trimming.
// Tested one character at a time: an anchored `[\s]+$` regex is quadratic on a long inner run of spaces.
const EDGE_SPACE_CHAR = /[\s\u0085]/;

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

/**
 * Longest run of combining marks kept after one base character. Real text stays well below it (Vietnamese and
 * Devanagari need up to 3 after NFC, pointed and cantillated Hebrew 5, Myanmar and Tibetan stacks 5 or 6);
 * "Zalgo" text stacks dozens to draw over neighbouring lines, and every mark beyond this is dropped.
 */
export const MAX_COMBINING_MARKS = 8;

const ZWNJ = 0x200c;
const ZWJ = 0x200d;
const LRM = 0x200e;
const RLM = 0x200f;
const IGNORABLE = /\p{Default_Ignorable_Code_Point}/u;
const VARIATION_SELECTOR = /\p{Variation_Selector}/u;
const MARK = /\p{M}/u;
const SPACE = /\s/u;
// Cheap test for text that `stripInvisible` would return unchanged.
const NEEDS_SCAN = /[\p{Default_Ignorable_Code_Point}\p{M}]/u;
// The only tag sequences kept: the RGI subdivision flags of England, Scotland and Wales (U+1F3F4, tag letters
// "gbeng"/"gbsct"/"gbwls", CANCEL TAG). Any other run of tag characters is the classic way to hide ASCII text.
const SUBDIVISION_FLAG =
  /\u{1F3F4}\u{E0067}\u{E0062}(?:\u{E0065}\u{E006E}\u{E0067}|\u{E0073}\u{E0063}\u{E0074}|\u{E0077}\u{E006C}\u{E0073})\u{E007F}/uy;

/** What the last kept character was, which decides whether an invisible character may follow it. */
type Last = 'edge' | 'space' | 'visible' | 'mark' | 'selector' | 'bidi';

/**
 * Removes default-ignorable code points (Unicode's Default_Ignorable_Code_Point property) and caps runs of
 * combining marks, keeping only what real text needs:
 * - one ZWJ or ZWNJ between two visible characters (emoji ZWJ sequences, Indic conjuncts, Persian half-spaces),
 *   or after a combining mark at the end of a word (Malayalam chillus and Indic half forms spelled with a virama);
 * - LRM/RLM, which RTL text needs around neutral characters (a run of them is kept as one);
 * - one variation selector right after a visible character (❤️, keycaps 1️⃣, text-style ☺︎, CJK ideographic
 *   variants), so a run of selectors cannot carry hidden bytes;
 * - tag characters only inside the RGI subdivision flags;
 * - at most {@link MAX_COMBINING_MARKS} consecutive combining marks.
 * Text left with nothing visible (only LRM/RLM and spaces) becomes ''. One pass: linear in the input length.
 */
function stripInvisible(text: string): string {
  if (!NEEDS_SCAN.test(text)) {
    return text;
  }
  let out = '';
  let last: Last = 'edge';
  let marks = 0;
  let joiner = ''; // a ZWJ/ZWNJ kept only if the next kept character is visible…
  let joinerEndsWord = false; // …or, after a mark, if a space or the end of the text comes next
  let hasVisible = false;
  for (let i = 0; i < text.length;) {
    const cp = text.codePointAt(i) as number;
    let ch = text.slice(i, cp > 0xffff ? i + 2 : i + 1);
    if (cp === 0x1f3f4) {
      SUBDIVISION_FLAG.lastIndex = i;
      ch = SUBDIVISION_FLAG.exec(text)?.[0] ?? ch;
    }
    i += ch.length;
    let kind: Last;
    if (ch.length > 2) {
      kind = 'visible'; // a subdivision flag
    } else if (cp === ZWJ || cp === ZWNJ) {
      if (joiner === '' && (last === 'visible' || last === 'mark' || last === 'selector')) {
        joiner = ch;
        joinerEndsWord = last === 'mark';
      }
      continue;
    } else if (cp === LRM || cp === RLM) {
      if (last === 'bidi') {
        continue;
      }
      kind = 'bidi';
    } else if (ch.length === 1 && cp < 0x300 && cp !== 0xad) {
      // Latin-1 and its extensions hold no mark or ignorable character but the soft hyphen.
      kind = SPACE.test(ch) ? 'space' : 'visible';
    } else if (IGNORABLE.test(ch)) {
      if (!(VARIATION_SELECTOR.test(ch) && last === 'visible')) {
        continue;
      }
      kind = 'selector';
    } else if (MARK.test(ch)) {
      if (marks >= MAX_COMBINING_MARKS) {
        continue;
      }
      kind = 'mark';
    } else {
      kind = SPACE.test(ch) ? 'space' : 'visible';
    }
    if (joiner !== '' && (kind === 'visible' || (kind === 'space' && joinerEndsWord))) {
      out += joiner;
    }
    joiner = '';
    marks = kind === 'mark' ? marks + 1 : kind === 'visible' || kind === 'space' ? 0 : marks;
    hasVisible ||= kind === 'visible' || kind === 'mark';
    out += ch;
    last = kind;
  }
  if (joiner !== '' && joinerEndsWord) {
    out += joiner;
  }
  return hasVisible ? out : '';
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
 * Returns the text as it is stored: NFC, line breaks as `\n`, control and invisible characters removed (see
 * `stripInvisible`), trimmed. Idempotent, linear time. Does not check lengths (the unit rules do).
 */
export function sanitizeText(text: string): string {
  let out = cleanOnce(text);
  // Removing a character can bring a base and its mark together, and NFC composes them, which changes what the
  // characters around them may keep (a joiner after a mark, but not after a letter): clean again until nothing
  // changes. Each pass only removes or composes, so this settles within a pass or two; the bound keeps it linear.
  for (let pass = 0; pass < MAX_CLEANING_PASSES; pass++) {
    const again = cleanOnce(out);
    if (again === out) {
      break;
    }
    out = again;
  }
  return out;
}

const MAX_CLEANING_PASSES = 4;

function cleanOnce(text: string): string {
  const normalized = text.normalize('NFC').replace(LINE_BREAKS, '\n').replace(DISALLOWED, '');
  // NFC again: removing a character can bring a base and its mark together.
  return trimEdges(stripInvisible(normalized)).normalize('NFC');
}
