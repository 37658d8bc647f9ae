import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { codePointLength, isWellFormed, MAX_COMBINING_MARKS, sanitizeText } from './sanitize.js';
import { cleanContent, InputRuleError } from './unit-rules.js';

const LIMITS = { maxContentLength: 10_000, maxTagCount: 20, maxTagLength: 50 };

const EMPTY = 'Content cannot be empty';
const INVALID_UNICODE = 'Content contains invalid Unicode';

/** Runs `fn` and returns the InputRuleError it throws (fails the test if it throws nothing or something else). */
function ruleError(fn: () => unknown): InputRuleError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InputRuleError);
    return error as InputRuleError;
  }
  throw new Error('expected an InputRuleError, nothing was thrown');
}

/** Readable test names: printable ASCII as is, everything else as \u{…}. */
function show(s: string): string {
  return `"${[...s].map((ch) => (/^[\x20-\x7e]$/.test(ch) ? ch : `\\u{${(ch.codePointAt(0) as number).toString(16).toUpperCase()}}`)).join('')}"`;
}

/** VAL-02 disallowed set, written independently of the module's regex (plus the line breaks turned into LF). */
function isDisallowed(cp: number): boolean {
  return (
    (cp <= 0x1f && cp !== 0x09 && cp !== 0x0a) ||
    (cp >= 0x7f && cp <= 0x9f) ||
    (cp >= 0x202a && cp <= 0x202e) ||
    (cp >= 0x2066 && cp <= 0x2069) ||
    cp === 0x200b ||
    (cp >= 0x2060 && cp <= 0x2064) ||
    cp === 0xfeff ||
    (cp >= 0xe0000 && cp <= 0xe007f) ||
    (cp >= 0xfff9 && cp <= 0xfffb) ||
    cp === 0x2028 ||
    cp === 0x2029
  );
}

/** Default-ignorable code points named in the removal rule, written out by hand rather than by the property. */
const ALWAYS_REMOVED = [
  0x00ad, 0x034f, 0x061c, 0x115f, 0x1160, 0x17b4, 0x17b5, 0x180e, 0x200b, 0x2060, 0x2064, 0x206a, 0x206f, 0x3164,
  0xfeff, 0xffa0, 0x1bca0, 0x1bca3, 0x1d173, 0x1d17a, 0xe0001, 0xe0049, 0xe007f,
];
const RGI_SUBDIVISION_FLAGS = [
  '🏴\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}',
  '🏴\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}',
  '🏴\u{E0067}\u{E0062}\u{E0077}\u{E006C}\u{E0073}\u{E007F}',
];
const isSpace = (cp: number | undefined) => cp !== undefined && /\s/u.test(String.fromCodePoint(cp));
const isMark = (cp: number | undefined) => cp !== undefined && /\p{M}/u.test(String.fromCodePoint(cp));
const isSelector = (cp: number | undefined) =>
  cp !== undefined && ((cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0xe0100 && cp <= 0xe01ef));
const isIgnorable = (cp: number | undefined) =>
  cp !== undefined && /\p{Default_Ignorable_Code_Point}/u.test(String.fromCodePoint(cp));
/** A character that shows: not a space, a mark or a default-ignorable code point. */
const isVisible = (cp: number | undefined) => cp !== undefined && !isSpace(cp) && !isMark(cp) && !isIgnorable(cp);

/**
 * Describes the first code point of sanitized text that should not be there, or returns null: a disallowed
 * character, a default-ignorable one outside the places real text needs it, or more than 8 marks in a row.
 */
function leftover(out: string): string | null {
  // A kept subdivision flag stands for one visible character.
  const flagless = RGI_SUBDIVISION_FLAGS.reduce((text, flag) => text.replaceAll(flag, '🏴'), out);
  const cps = [...flagless].map((ch) => ch.codePointAt(0) as number);
  let marks = 0;
  for (let i = 0; i < cps.length; i++) {
    const [prev, cp, next] = [cps[i - 1], cps[i] as number, cps[i + 1]];
    const name = `U+${cp.toString(16).toUpperCase()} at ${i}`;
    if (isDisallowed(cp)) {
      return name;
    }
    marks = isMark(cp) ? marks + 1 : isIgnorable(cp) ? marks : 0;
    if (marks > 8) {
      return `${name}: more than 8 marks`;
    }
    if (!isIgnorable(cp)) {
      continue;
    }
    const fits =
      ((cp === 0x200c || cp === 0x200d) &&
        (((isVisible(prev) || isMark(prev) || isSelector(prev)) && isVisible(next)) ||
          (isMark(prev) && (next === undefined || isSpace(next))))) ||
      ((cp === 0x200e || cp === 0x200f) && prev !== 0x200e && prev !== 0x200f) ||
      (isSelector(cp) && isVisible(prev));
    if (!fits) {
      return name;
    }
  }
  return null;
}

/** Well-formed UTF-16 ⇔ survives a UTF-8 round trip (lone surrogates become U+FFFD). */
function survivesUtf8(s: string): boolean {
  return Buffer.from(s, 'utf8').toString('utf8') === s;
}

// Characters that exercise every branch: controls, line breaks, bidi, invisible, tag characters, combining marks,
// composition exclusions, Unicode spaces, astral characters and ordinary text.
const SPECIAL = [
  '\u0000',
  '\u0001',
  '\u0008',
  '\t',
  '\n',
  '\u000B',
  '\u000C',
  '\r',
  '\r\n',
  '\u001F',
  ' ',
  'a',
  'e',
  'Z',
  '0',
  '_',
  '\u007F',
  '\u0080',
  '\u0085',
  '\u009F',
  '\u00A0',
  '\u0301',
  '\u0308',
  '\u0327',
  '\u0958',
  '\u093C',
  '\u1100',
  '\u1161',
  '\u11A8',
  '\u180E',
  '\u2000',
  '\u2001',
  '\u200A',
  '\u200B',
  '\u200C',
  '\u200D',
  '\u200E',
  '\u200F',
  '\u2028',
  '\u2029',
  '\u202A',
  '\u202E',
  '\u2060',
  '\u2064',
  '\u2066',
  '\u2069',
  '\u3000',
  '\uFDFA',
  '\uFEFF',
  '\uFFF9',
  '\uFFFB',
  '\u{E0001}',
  '\u{E0049}',
  '\u{E007F}',
  '\u{E0100}',
  '\u{E01EF}',
  '\uFE00',
  '\uFE0E',
  '\uFE0F',
  '\u00AD',
  '\u034F',
  '\u061C',
  '\u115F',
  '\u1160',
  '\u206A',
  '\u206F',
  '\u3164',
  '\uFFA0',
  '\u{1BCA0}',
  '\u{1D173}',
  '\u20E3',
  '\u064E',
  '\u094D',
  '\u05B0',
  '\u{1F3F4}',
  '\u{E0067}',
  '\u{E0062}',
  '\u{E0073}',
  '\u{E0063}',
  '\u{E0074}',
  '🏴\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}',
  '\u{1F1E9}',
  '\u{1F1EA}',
  '❤',
  '#',
  'क',
  'ش',
  '😀',
  '👨',
  '世',
  'é',
  'Å',
  '\u212B',
  '\uFB01',
];
const specialUnit = fc.constantFrom(...SPECIAL);
const mixedUnit = fc.oneof(
  { arbitrary: specialUnit, weight: 3 },
  { arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), weight: 2 },
  { arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }), weight: 1 },
);
/** Any well-formed string (fast-check 4's `unit: 'binary'` replaces v3's fullUnicodeString: no half surrogates). */
const wellFormedText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.string({ unit: mixedUnit, maxLength: 60 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
);
/** Any UTF-16 string, lone surrogates included. */
const anyUtf16Text = fc.oneof(
  wellFormedText,
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 40 }),
  fc.string({
    unit: fc.oneof(specialUnit, fc.constantFrom('\uD800', '\uDBFF', '\uDC00', '\uDFFF', '\uD83D', '\uDE00', '\uDB40')),
    maxLength: 40,
  }),
);

describe('sanitizeText and cleanContent: the characters an attacker hides in text', () => {
  it.each(
    [
      ['a\u0000b', 'ab'],
      ['a\r\nb', 'a\nb'],
      ['a\rb', 'a\nb'],
      ['a\u2028b', 'a\nb'],
      ['x\u202Eevil', 'xevil'],
      ['hi\u{E0049}\u{E0047}', 'hi'],
      ['👨\u200D👩\u200D👧', '👨\u200D👩\u200D👧'],
    ].map(([input, stored]) => [show(input as string), show(stored as string), input as string, stored as string]),
  )('stores %s as %s', (_in, _out, input, stored) => {
    expect(sanitizeText(input)).toBe(stored);
    expect(cleanContent(input, LIMITS)).toBe(stored);
  });

  it.each(['\u200B\u200B', '\u00A0\u3000', '\t', '\u0085'].map((input) => [show(input), input]))(
    'rejects %s as empty content',
    (_name, input) => {
      expect(sanitizeText(input)).toBe('');
      const error = ruleError(() => cleanContent(input, LIMITS));
      expect(error.message).toBe(EMPTY);
      expect(error.field).toBe('content');
    },
  );
});

describe('sanitizeText: the rest of the disallowed set', () => {
  it.each([
    ['C0 control U+0001', 'a\u0001b', 'ab'],
    ['vertical tab and form feed', 'a\u000B\u000Cb', 'ab'],
    ['U+001F', 'a\u001Fb', 'ab'],
    ['DEL', 'a\u007Fb', 'ab'],
    ['C1 U+0080', 'a\u0080b', 'ab'],
    ['C1 U+009F', 'a\u009Fb', 'ab'],
    ['bidi embedding U+202A', 'a\u202Ab', 'ab'],
    ['bidi isolates U+2066–U+2069', 'a\u2066\u2067\u2068\u2069b', 'ab'],
    ['zero-width space', 'a\u200Bb', 'ab'],
    ['word joiner and invisible operators U+2060–U+2064', 'a\u2060\u2061\u2062\u2063\u2064b', 'ab'],
    ['BOM / ZWNBSP inside text', 'a\uFEFFb', 'ab'],
    ['interlinear annotation U+FFF9–U+FFFB', 'a\uFFF9\uFFFA\uFFFBb', 'ab'],
    ['first and last tag characters', 'a\u{E0000}\u{E007F}b', 'ab'],
    ['U+0085 next line as a line break', 'a\u0085b', 'a\nb'],
    ['U+2029 paragraph separator as a line break', 'a\u2029b', 'a\nb'],
    ['CR CR LF as two line breaks', 'a\r\r\nb', 'a\n\nb'],
  ])('handles %s', (_name, input, stored) => {
    expect(sanitizeText(input)).toBe(stored);
  });

  it.each([
    ['ZWNJ', 'می\u200Cخواهم'],
    ['ZWJ', 'a\u200Db'],
    ['LRM', 'a\u200Eb'],
    ['RLM', '\u05E9\u05DC\u05D5\u05DD!\u200F'],
    ['a variation selector just past the tag block (U+E0100)', '葛\u{E0100}'],
    ['tab and line feed inside text', 'Line1\nLine2\tTabbed'],
  ])('keeps %s', (_name, input) => {
    expect(sanitizeText(input)).toBe(input);
  });
});

describe('sanitizeText: default-ignorable code points', () => {
  it.each(ALWAYS_REMOVED.map((cp) => [`U+${cp.toString(16).toUpperCase()}`, String.fromCodePoint(cp)]))(
    'removes %s between two letters',
    (_name, ch) => {
      expect(sanitizeText(`a${ch}b`)).toBe('ab');
    },
  );

  it.each([
    ['U+FE0F with no character before it', '\uFE0Fa', 'a'],
    ['U+FE0F after a space', 'a \uFE0Fb', 'a b'],
    ['U+FE00 after a combining mark', 'a\u0316\uFE00', 'a\u0316'],
    ['a second variation selector', '❤\uFE0F\uFE0F', '❤\uFE0F'],
    ['a run of 16 variation selectors after an emoji', `😀${'\uFE00\uFE01\uFE02\uFE03'.repeat(4)}`, '😀\uFE00'],
    ['ideographic variation selectors after a letter, one kept', `a${'\u{E0100}\u{E01EF}'.repeat(8)}`, 'a\u{E0100}'],
    ['a ZWJ at the start and end', '\u200Da\u200D', 'a'],
    ['a ZWNJ next to a space', 'a\u200C b \u200Cc', 'a b c'],
    ['a run of joiners', 'a\u200D\u200C\u200D\u200Db', 'a\u200Db'],
    ['a ZWJ before a combining mark', 'a\u200D\u0301', '\u00E1'],
    ['a run of LRM and RLM', 'a\u200E\u200F\u200E\u200Fb', 'a\u200Eb'],
    ['text that is only LRM/RLM and spaces', '\u200E \u200F', ''],
    ['Hangul fillers that make a blank name', '\u3164\u115F\u1160\uFFA0', ''],
    ['hidden ASCII in tag characters after a black flag', '🏴\u{E0069}\u{E0067}\u{E006E}\u{E007F}', '🏴'],
    ['a subdivision flag that is not RGI', '🏴\u{E0075}\u{E0073}\u{E0063}\u{E0061}\u{E007F}', '🏴'],
    [
      'tag characters after an RGI subdivision flag',
      `${RGI_SUBDIVISION_FLAGS[1]}\u{E0049}\u{E0047}`,
      RGI_SUBDIVISION_FLAGS[1],
    ],
  ])('removes %s', (_name, input, stored) => {
    expect(sanitizeText(input)).toBe(stored);
  });

  it.each([
    ['a red heart with VS16', '❤\uFE0F'],
    ['keycaps', '1\uFE0F\u20E3 #\uFE0F\u20E3 *\uFE0F\u20E3'],
    ['a text-style smiley with VS15', '\u263A\uFE0E'],
    ['a family ZWJ sequence', '👨\u200D👩\u200D👧\u200D👦'],
    ['the rainbow flag', '🏳\uFE0F\u200D🌈'],
    ['the pirate flag', '🏴\u200D\u2620\uFE0F'],
    ['the eye in a speech bubble', '👁\uFE0F\u200D🗨\uFE0F'],
    ['a heart on fire', '❤\uFE0F\u200D🔥'],
    ['a technologist with a skin tone', '🧑🏽\u200D💻'],
    ['a woman running', '🏃\u200D\u2640\uFE0F'],
    ['country flags', '🇩🇪 🇯🇵 🇧🇷'],
    ['the flags of England, Scotland and Wales', RGI_SUBDIVISION_FLAGS.join(' ')],
    ['a Japanese name with an ideographic variation selector', '葛\u{E0100}飾'],
    ['Persian with ZWNJ', 'می\u200Cخواهم کتاب\u200Cها'],
    ['Devanagari with explicit half forms (ZWJ) and ZWNJ', 'क्\u200Dष क्\u200Cष संस्कृत'],
    ['Malayalam chillus spelled with ZWJ, ending a word', 'അവന്\u200D വന്നു, അവള്\u200D'],
    ['Vietnamese', 'Tiếng Việt có dấu: người, nghiêng, thưởng'],
    ['Vietnamese typed with combining marks', 'Vie\u0323\u0302t'],
    ['Hebrew with points and cantillation', 'בְּרֵאשִׁ֖ית בָּרָ֣א אֱלֹהִ֑ים'],
    ['Arabic with harakat and shadda', 'بِسْمِ ٱللَّهِ ٱلرَّحْمَٰنِ ٱلرَّحِيمِ'],
    ['Thai', 'สวัสดีครับ'],
    ['Tibetan stacks', 'བཀྲ་ཤིས་བདེ་ལེགས། ཧཱུྃ'],
    ['Myanmar with stacked medials', 'မြွှောင်း ကျွန်ုပ်'],
    ['a base with exactly 8 combining marks', `a${'\u0316\u0317'.repeat(4)}`],
  ])('keeps %s', (_name, input) => {
    const nfc = input.normalize('NFC');
    expect(sanitizeText(input)).toBe(nfc);
  });

  it(`caps a run of combining marks at ${MAX_COMBINING_MARKS} after each base character`, () => {
    // Marks below with one combining class and no precomposed forms: NFC neither reorders nor composes them.
    const zalgo = [...'Zalgo'].map((ch) => ch + '\u0316\u0317\u0318\u0319'.repeat(5)).join('');
    const capped = [...'Zalgo'].map((ch) => ch + '\u0316\u0317\u0318\u0319'.repeat(2)).join('');
    expect(sanitizeText(zalgo)).toBe(capped);
    expect(sanitizeText(`${'\u0301'.repeat(20)}x`)).toBe(`${'\u0301'.repeat(8)}x`);
  });

  it('counts marks across the invisible characters it keeps or removes', () => {
    expect(sanitizeText(`a${'\u0316\u200B'.repeat(12)}`)).toBe(`a${'\u0316'.repeat(8)}`);
    expect(sanitizeText(`a${'\u0316\u200E'.repeat(12)}`)).toBe(`a${'\u0316\u200E'.repeat(8)}`);
  });
});

describe('sanitizeText: the cases of the v1 API', () => {
  it('leaves normal text unchanged', () => {
    expect(sanitizeText('Normal text here.')).toBe('Normal text here.');
  });

  it('removes NUL and other control characters', () => {
    expect(sanitizeText('Hello\x00World')).toBe('HelloWorld');
    expect(sanitizeText('Hello\x01\x02World')).toBe('HelloWorld');
  });

  it('trims surrounding whitespace, including Unicode spaces', () => {
    expect(sanitizeText('  Test content with spaces  ')).toBe('Test content with spaces');
    expect(sanitizeText('\u00A0\u2000\u3000 x \u180E\u0085\t\n')).toBe('x');
  });

  it('maps the empty string to the empty string', () => {
    expect(sanitizeText('')).toBe('');
  });

  it('preserves Unicode text and emoji', () => {
    expect(sanitizeText('Hello 世界 🌍')).toBe('Hello 世界 🌍');
    expect(cleanContent('Hello 世界 🌍', LIMITS)).toBe('Hello 世界 🌍');
  });

  it('normalizes to NFC', () => {
    expect(sanitizeText('e\u0301')).toBe('\u00E9');
    expect(sanitizeText('\u212B')).toBe('\u00C5');
  });

  it('composes a base letter with a mark that a removed character used to separate', () => {
    expect(sanitizeText('e\u200B\u0301')).toBe('\u00E9');
  });

  it('trims spaces that only become edges once disallowed characters are removed', () => {
    expect(sanitizeText('\u0000 a \u200B')).toBe('a');
  });
});

describe('codePointLength and isWellFormed', () => {
  it('counts code points', () => {
    expect(codePointLength('')).toBe(0);
    expect(codePointLength('abc')).toBe(3);
    expect(codePointLength('a😀b')).toBe(3);
    expect(codePointLength('\uD800')).toBe(1);
    expect(codePointLength('\uD800\uD800\uDC00')).toBe(2);
  });

  it('agrees with the string iterator for any UTF-16 string', () => {
    fc.assert(fc.property(anyUtf16Text, (s) => codePointLength(s) === [...s].length));
  });

  it('detects lone surrogates', () => {
    expect(isWellFormed('a😀b')).toBe(true);
    expect(isWellFormed('')).toBe(true);
    expect(isWellFormed('\uD800')).toBe(false);
    expect(isWellFormed('\uDC00x')).toBe(false);
    expect(isWellFormed('\uD83D\uDE00\uDE00')).toBe(false);
  });

  it('agrees with a UTF-8 round trip for any UTF-16 string', () => {
    fc.assert(fc.property(anyUtf16Text, (s) => isWellFormed(s) === survivesUtf8(s)));
  });
});

describe('sanitizeText: properties (VAL-08)', () => {
  it('never outputs a removed code point, an invisible character out of place or too many marks', () => {
    fc.assert(
      fc.property(wellFormedText, (s) => {
        expect(leftover(sanitizeText(s))).toBeNull();
      }),
      { numRuns: 3_000 },
    );
  });

  it('removes every always-removed invisible character and keeps the rest of the text', () => {
    const visible = fc.constantFrom('a', 'Z', '9', '世', 'é', '-', '😀');
    const invisible = fc.constantFrom(...ALWAYS_REMOVED.map((cp) => String.fromCodePoint(cp)));
    fc.assert(
      fc.property(fc.array(fc.tuple(visible, invisible), { minLength: 1, maxLength: 30 }), (pairs) => {
        expect(sanitizeText(pairs.map(([v, i]) => v + i).join(''))).toBe(pairs.map(([v]) => v).join(''));
      }),
      { numRuns: 1_000 },
    );
  });

  it('never outputs CR', () => {
    fc.assert(
      fc.property(wellFormedText, (s) => !sanitizeText(s).includes('\r')),
      { numRuns: 1_000 },
    );
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(wellFormedText, (s) => {
        const once = sanitizeText(s);
        expect(sanitizeText(once)).toBe(once);
      }),
      { numRuns: 2_000 },
    );
  });

  it('is idempotent on text dense with joiners, marks and invisible characters that block composition', () => {
    const dense = fc
      .array(
        fc.constantFrom('a', 'e', ' ', '\u0301', '\u0308', '\u200B', '\u200C', '\u200D', '\uFE0F', '\u200E', '\u00AD'),
        { maxLength: 12 },
      )
      .map((chars) => chars.join(''));
    expect(sanitizeText(sanitizeText('a\u200B\u0301\u200D'))).toBe(sanitizeText('a\u200B\u0301\u200D'));
    fc.assert(
      fc.property(dense, (s) => {
        const once = sanitizeText(s);
        expect(sanitizeText(once)).toBe(once);
      }),
      { numRuns: 5_000 },
    );
  });

  it('outputs NFC', () => {
    fc.assert(
      fc.property(wellFormedText, (s) => {
        const out = sanitizeText(s);
        expect(out.normalize('NFC')).toBe(out);
      }),
      { numRuns: 2_000 },
    );
  });

  it('outputs well-formed UTF-16 for well-formed input', () => {
    fc.assert(
      fc.property(wellFormedText, (s) => survivesUtf8(sanitizeText(s))),
      { numRuns: 2_000 },
    );
  });

  it('is never longer in code points than the NFC of its input', () => {
    fc.assert(
      fc.property(wellFormedText, (s) => codePointLength(sanitizeText(s)) <= codePointLength(s.normalize('NFC'))),
      { numRuns: 2_000 },
    );
  });

  it('never starts or ends with whitespace', () => {
    fc.assert(
      fc.property(wellFormedText, (s) => {
        const out = sanitizeText(s);
        expect(out).toBe(out.trim());
      }),
      { numRuns: 1_000 },
    );
  });

  it('leaves text made only of allowed printable characters unchanged', () => {
    const printable = fc.string({
      unit: fc.constantFrom('a', 'Z', '9', ' ', '\n', '\t', 'é', '世', '😀', '❤\uFE0F', '👨\u200D👩'),
      maxLength: 40,
    });
    fc.assert(
      fc.property(printable, (s) => {
        const core = `x${s}x`;
        expect(sanitizeText(core)).toBe(core);
      }),
    );
  });
});

describe('cleanContent: properties', () => {
  it('returns a non-empty string within the limit, or throws InputRuleError, for any UTF-16 input', () => {
    const limits = { maxContentLength: 20 };
    const messages = new Set([EMPTY, INVALID_UNICODE, 'Content exceeds maximum length of 20 characters']);
    fc.assert(
      fc.property(anyUtf16Text, (s) => {
        let out: string;
        try {
          out = cleanContent(s, limits);
        } catch (error) {
          expect(error).toBeInstanceOf(InputRuleError);
          expect(messages.has((error as InputRuleError).message)).toBe(true);
          return;
        }
        expect(out).not.toBe('');
        expect(codePointLength(out)).toBeLessThanOrEqual(20);
        expect(out).toBe(sanitizeText(s));
        expect(survivesUtf8(out)).toBe(true);
      }),
      { numRuns: 3_000 },
    );
  });

  it('rejects exactly the inputs with a lone surrogate or a U+FFFE/U+FFFF noncharacter as invalid Unicode', () => {
    fc.assert(
      fc.property(anyUtf16Text, (s) => {
        const bad = !survivesUtf8(s) || /[\uFFFE\uFFFF]/.test(s);
        let message = '';
        try {
          cleanContent(s, LIMITS);
        } catch (error) {
          message = (error as Error).message;
        }
        expect(message === INVALID_UNICODE).toBe(bad);
      }),
      { numRuns: 2_000 },
    );
  });
});

describe('sanitizeText: no catastrophic backtracking', () => {
  // Adversarial shapes for every regex in the pipeline. A linear pipeline takes about a millisecond; the bound
  // only catches quadratic behaviour (the old trailing-whitespace regex took ~80 ms here, and minutes for the
  // largest body the server accepts).
  const shapes: [string, string][] = [
    ['an inner run of spaces', `a${' '.repeat(9_998)}a`],
    ['an inner run of NBSP', `a${'\u00A0'.repeat(9_998)}a`],
    ['an inner run of ideographic spaces and tabs', `a${'\u3000\t'.repeat(4_999)}a`],
    ['CR LF pairs', '\r\n'.repeat(5_000)],
    ['controls', '\u0000\u0001'.repeat(5_000)],
    ['tag characters', '\u{E0041}'.repeat(10_000)],
    ['lone-surrogate-looking halves of tag characters', `${'\uDB40'.repeat(5_000)}${'\uDC00'.repeat(5_000)}`],
    ['a base letter with 9,999 combining marks', `a${'\u0301\u0327'.repeat(4_999)}\u0301`],
    ['10,000 combining marks and no base', '\u0316'.repeat(10_000)],
    ['an emoji with 9,999 variation selectors', `😀${'\uFE0F\u{E0100}'.repeat(3_333)}\uFE0F`],
    ['10,000 ideographic variation selectors', '\u{E0100}'.repeat(10_000)],
    ['letters and variation selectors alternating', 'a\uFE0F'.repeat(5_000)],
    ['10,000 joiners between two letters', `a${'\u200D\u200C'.repeat(5_000)}b`],
    ['marks and joiners alternating', `a${'\u094D\u200D'.repeat(5_000)}`],
    ['LRM and RLM', '\u200E\u200F'.repeat(5_000)],
    ['black flags with almost a subdivision tag', '🏴\u{E0067}\u{E0062}\u{E0073}\u{E0063}'.repeat(1_666)],
    ['RGI subdivision flags', '🏴\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}'.repeat(1_428)],
  ];

  it.each(shapes)('sanitizes 10,000 code points of %s in well under a second', (_name, input) => {
    const started = performance.now();
    sanitizeText(input);
    isWellFormed(input);
    codePointLength(input);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('sanitizes the largest content a request body can carry made of marks, selectors and joiners', () => {
    const input = `a${'\u0316\uFE0F\u200D\u{E0100}'.repeat(50_000)}`;
    const started = performance.now();
    // The last ZWJ follows a mark at the end of the text, where a Malayalam chillu would keep it.
    expect(sanitizeText(input)).toBe(`a${'\u0316'.repeat(MAX_COMBINING_MARKS)}\u200D`);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('sanitizes the largest content a request body can carry (250,000 inner spaces) in well under a second', () => {
    const input = `a${' '.repeat(250_000)}a`;
    const started = performance.now();
    expect(sanitizeText(input)).toBe(input);
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});
