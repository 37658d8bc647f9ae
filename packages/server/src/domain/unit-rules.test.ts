import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { CONTEXT_STATUSES, CONTEXT_TYPES } from '@contextpilot/contract';

import { codePointLength } from './sanitize.js';
import {
  checkConfidence,
  checkContent,
  checkNewUnit,
  checkSource,
  checkStatus,
  checkSupersededBy,
  checkTags,
  checkType,
  checkUnitRecord,
  cleanContent,
  cleanSource,
  cleanTags,
  InputRuleError,
  isContextStatus,
  isContextType,
  usableId,
} from './unit-rules.js';
import type { UnitInput } from './unit-rules.js';

const LIMITS = { maxContentLength: 10_000, maxTagCount: 20, maxTagLength: 50 };

const EMPTY = 'Content cannot be empty';
const TOO_LONG = 'Content exceeds maximum length of 10000 characters';
const INVALID_UNICODE = 'Content contains invalid Unicode';
const TAG_CHARS_HINT = 'contains invalid characters. Only alphanumeric, spaces, hyphens, and underscores allowed';

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

/** The result of a rule, or undefined when the input breaks it. */
function attempt<T extends object | number>(run: () => T): T | undefined {
  const result = outcome(run);
  return typeof result === 'string' ? undefined : result;
}

/** The result of a rule, or the message of the InputRuleError it throws. */
function outcome<T extends object | number>(run: () => T): T | string {
  try {
    return run();
  } catch (error) {
    if (error instanceof InputRuleError) {
      return error.message;
    }
    throw error;
  }
}

/** Fields as a create or an import may give them: mostly plausible, sometimes of any type. */
const unitInputArb: fc.Arbitrary<UnitInput> = fc.record(
  {
    type: fc.oneof(fc.constantFrom(...CONTEXT_TYPES), fc.constantFrom('opinion', 'Fact'), fc.anything()),
    content: fc.oneof(
      fc.string({
        unit: fc.constantFrom('a', ' ', '\n', '\r', '\u200B', '\u0000', 'é', 'e\u0301', '😀'),
        maxLength: 30,
      }),
      fc.string({ maxLength: 30 }),
      fc.anything(),
    ),
    confidence: fc.oneof(fc.double({ min: -0.5, max: 1.5 }), fc.constantFrom(0, -0, 1), fc.anything()),
    tags: fc.oneof(
      fc.array(fc.string({ unit: fc.constantFrom('a', 'B', ' ', '-', '_', '!', 'ﬁ', '\u200B'), maxLength: 8 }), {
        maxLength: 25,
      }),
      fc.anything(),
    ),
    source: fc.oneof(fc.string({ maxLength: 210 }), fc.constant(null), fc.anything()),
  },
  { requiredKeys: [] },
);

describe('cleanContent: emptiness and length (as the v1 API answers)', () => {
  it('rejects empty and whitespace-only content', () => {
    expect(ruleError(() => cleanContent('', LIMITS)).message).toBe(EMPTY);
    expect(ruleError(() => cleanContent('   \n\t  ', LIMITS)).message).toBe(EMPTY);
    expect(ruleError(() => cleanContent('\u0000\u0001', LIMITS)).message).toBe(EMPTY);
  });

  it('accepts 10,000 ASCII code points and rejects 10,001', () => {
    expect(cleanContent('a'.repeat(10_000), LIMITS)).toBe('a'.repeat(10_000));
    expect(ruleError(() => cleanContent('a'.repeat(10_001), LIMITS)).message).toBe(TOO_LONG);
    expect(ruleError(() => cleanContent('a'.repeat(15_000), LIMITS)).message).toBe(TOO_LONG);
  });

  it('counts an astral character as one: 10,000 × 😀 (20,000 UTF-16 units) is accepted, 10,001 rejected', () => {
    const ok = '😀'.repeat(10_000);
    expect(ok.length).toBe(20_000);
    expect(cleanContent(ok, LIMITS)).toBe(ok);
    expect(ruleError(() => cleanContent('😀'.repeat(10_001), LIMITS)).message).toBe(TOO_LONG);
  });

  it('measures the length after stripping: 10,000 a plus 500 NULs is accepted', () => {
    expect(cleanContent('a'.repeat(10_000) + '\u0000'.repeat(500), LIMITS)).toBe('a'.repeat(10_000));
    expect(cleanContent('\u0000'.repeat(250) + 'a'.repeat(10_000) + '\u200B'.repeat(250), LIMITS)).toBe(
      'a'.repeat(10_000),
    );
  });

  it('measures the length after trimming', () => {
    expect(cleanContent(`   ${'a'.repeat(10_000)}   `, LIMITS)).toBe('a'.repeat(10_000));
  });

  it('measures the length after NFC: 10,000 × e + U+0301 (20,000 code points) is 10,000 é', () => {
    expect(cleanContent('e\u0301'.repeat(10_000), LIMITS)).toBe('\u00E9'.repeat(10_000));
  });

  it('counts NFC expansion: U+0958 becomes two code points, so 5,001 of them exceed 10,000', () => {
    expect(codePointLength(cleanContent('\u0958'.repeat(5_000), LIMITS))).toBe(10_000);
    expect(ruleError(() => cleanContent('\u0958'.repeat(5_001), LIMITS)).message).toBe(TOO_LONG);
  });

  it('does not apply NFKC: 1,000 × U+FDFA stay 1,000 code points', () => {
    expect(cleanContent('\uFDFA'.repeat(1_000), LIMITS)).toBe('\uFDFA'.repeat(1_000));
  });

  it('states the configured limit in the message', () => {
    expect(ruleError(() => cleanContent('abcdef', { maxContentLength: 5 })).message).toBe(
      'Content exceeds maximum length of 5 characters',
    );
  });

  it('reports the field it was given', () => {
    const error = ruleError(() => cleanContent('', LIMITS, 'task'));
    expect(error.field).toBe('task');
    expect(error.name).toBe('InputRuleError');
  });
});

describe('cleanContent: invalid Unicode', () => {
  it.each([
    ['a lone high surrogate', 'a\uD800b'],
    ['a lone low surrogate', 'a\uDC00b'],
    ['a high surrogate at the end', 'abc\uD83D'],
    ['a reversed pair', '\uDE00\uD83D'],
    ['U+FFFE', 'a\uFFFEb'],
    ['U+FFFF', 'a\uFFFFb'],
  ])('rejects %s', (_name, input) => {
    const error = ruleError(() => cleanContent(input, LIMITS));
    expect(error.message).toBe(INVALID_UNICODE);
    expect(error.field).toBe('content');
  });

  it('rejects a lone surrogate even when the rest would be empty', () => {
    expect(ruleError(() => cleanContent('\u0000\uD800', LIMITS)).message).toBe(INVALID_UNICODE);
  });

  it('accepts a proper surrogate pair', () => {
    expect(cleanContent('\uD83D\uDE00', LIMITS)).toBe('😀');
  });
});

describe('cleanTags', () => {
  it('accepts an empty list', () => {
    expect(cleanTags([], LIMITS)).toEqual([]);
  });

  it('accepts 20 tags and rejects 21 distinct tags', () => {
    const twenty = Array.from({ length: 20 }, (_, i) => `tag${i}`);
    expect(cleanTags(twenty, LIMITS)).toEqual(twenty);
    const error = ruleError(() => cleanTags([...twenty, 'tag20'], LIMITS));
    expect(error.message).toBe('Maximum 20 tags allowed');
    expect(error.field).toBe('tags');
  });

  it('checks the count after merging duplicates', () => {
    const twenty = Array.from({ length: 20 }, (_, i) => `tag${i}`);
    expect(cleanTags([...twenty, 'TAG0', ' tag1 '], LIMITS)).toEqual(twenty);
  });

  it.each([[['valid', '']], [['valid', '   ']], [['\u200B']], [['\t\n']]])('rejects an empty tag in %j', (tags) => {
    const error = ruleError(() => cleanTags(tags, LIMITS));
    expect(error.message).toBe('Tags cannot be empty');
    expect(error.field).toBe('tags');
  });

  it('accepts 50 code points and rejects 51', () => {
    expect(cleanTags(['a'.repeat(50)], LIMITS)).toEqual(['a'.repeat(50)]);
    expect(ruleError(() => cleanTags(['a'.repeat(51)], LIMITS)).message).toBe(
      `Tag '${'a'.repeat(51)}' exceeds maximum length of 50 characters`,
    );
  });

  it('measures tag length in code points (50 astral letters are accepted)', () => {
    const tag = '𠀀'.repeat(50);
    expect(tag.length).toBe(100);
    expect(cleanTags([tag], LIMITS)).toEqual([tag]);
  });

  it('measures tag length after trimming', () => {
    expect(cleanTags([`  ${'a'.repeat(50)}  `], LIMITS)).toEqual(['a'.repeat(50)]);
  });

  it.each(['tag@invalid', 'tag#invalid', 'tag$invalid', 'tag%invalid', '../', 'a.b'])(
    'rejects %j for invalid characters',
    (tag) => {
      const error = ruleError(() => cleanTags(['ok', tag], LIMITS));
      expect(error.message).toBe(`Tag '${tag}' ${TAG_CHARS_HINT}`);
      expect(error.field).toBe('tags');
    },
  );

  it.each([
    ['<script>', '\\u003cscript\\u003e'],
    ["it's", "it\\'s"],
    ['a\\b', 'a\\\\b'],
  ])('rejects %j for invalid characters, quoting it safely in the message', (tag, shown) => {
    expect(ruleError(() => cleanTags([tag], LIMITS)).message).toBe(`Tag '${shown}' ${TAG_CHARS_HINT}`);
  });

  it('quotes at most 64 characters of an over-long tag in the message', () => {
    const error = ruleError(() => cleanTags(['a'.repeat(10_000)], LIMITS));
    expect(error.message).toBe(`Tag '${'a'.repeat(64)}…' exceeds maximum length of 50 characters`);
  });

  it.each(['python-3', 'my_tag', 'tag with spaces', '日本語', 'café', 'हिन्दी', 'Привет'])('accepts %j', (tag) => {
    expect(cleanTags([tag], LIMITS)).toEqual([tag]);
  });

  it('merges duplicates case-insensitively after NFKC, keeping the first spelling', () => {
    expect(cleanTags(['Work', 'work', 'ＷＯＲＫ'], LIMITS)).toEqual(['Work']);
    expect(cleanTags(['ＷＯＲＫ', 'Work'], LIMITS)).toEqual(['WORK']);
  });

  it('trims surrounding spaces', () => {
    expect(cleanTags(['  tag1  ', 'tag2'], LIMITS)).toEqual(['tag1', 'tag2']);
  });

  it('collapses inner whitespace to a single space', () => {
    expect(cleanTags(['machine   learning', 'a \t b', 'x\ny', 'p\u3000q'], LIMITS)).toEqual([
      'machine learning',
      'a b',
      'x y',
      'p q',
    ]);
  });

  it('applies NFKC (ligatures, full-width digits) and NFC', () => {
    expect(cleanTags(['\uFB01le', '１２３', 'cafe\u0301'], LIMITS)).toEqual(['file', '123', 'café']);
  });

  it('removes invisible characters inside a tag', () => {
    expect(cleanTags(['ta\u200Bg'], LIMITS)).toEqual(['tag']);
  });

  it('rejects a tag with a lone surrogate', () => {
    const error = ruleError(() => cleanTags(['ok', 'a\uD800'], LIMITS));
    expect(error.message).toBe('Tags contain invalid Unicode');
    expect(error.field).toBe('tags');
  });

  it('returns valid, merged tags or throws InputRuleError for any list of strings', () => {
    const limits = { maxTagCount: 5, maxTagLength: 12 };
    const tagText = fc.oneof(
      fc.string({
        unit: fc.constantFrom('a', 'B', 'ｃ', ' ', '\t', '-', '_', '@', '\u200B', '\u0301', 'é', '1', '😀'),
        maxLength: 14,
      }),
      fc.string({ unit: 'binary', maxLength: 14 }),
    );
    fc.assert(
      fc.property(fc.array(tagText, { maxLength: 8 }), (tags) => {
        let out: string[];
        try {
          out = cleanTags(tags, limits);
        } catch (error) {
          expect(error).toBeInstanceOf(InputRuleError);
          expect((error as InputRuleError).field).toBe('tags');
          return;
        }
        expect(out.length).toBeLessThanOrEqual(5);
        expect(new Set(out.map((t) => t.toLowerCase())).size).toBe(out.length);
        for (const tag of out) {
          expect(tag).toMatch(/^[\p{L}\p{N}\p{M}_\- ]+$/u);
          expect(codePointLength(tag)).toBeLessThanOrEqual(12);
          expect(tag).toBe(tag.trim());
          expect(tag).not.toMatch(/\s\s/u);
        }
        expect(cleanTags(out, limits)).toEqual(out);
      }),
      { numRuns: 2_000 },
    );
  });
});

describe('cleanSource', () => {
  it('sanitizes and collapses whitespace', () => {
    expect(cleanSource('  my \t  source\n', 100)).toBe('my source');
    expect(cleanSource('im\u0000port\u202E', 100)).toBe('import');
  });

  it('falls back when nothing is left', () => {
    expect(cleanSource('', 100)).toBe('manual');
    expect(cleanSource(' \u0000\u200B ', 100)).toBe('manual');
  });

  it('accepts exactly the maximum length and rejects one more code point', () => {
    expect(cleanSource('😀'.repeat(5), 5)).toBe('😀'.repeat(5));
    const error = ruleError(() => cleanSource('abcdef', 5));
    expect(error.message).toBe('Source exceeds maximum length of 5 characters');
    expect(error.field).toBe('source');
  });

  it('measures the length after collapsing whitespace', () => {
    expect(cleanSource('a     b', 3)).toBe('a b');
  });

  it('rejects a lone surrogate', () => {
    const error = ruleError(() => cleanSource('x\uDFFF', 100));
    expect(error.message).toBe('Source contains invalid Unicode');
    expect(error.field).toBe('source');
  });
});

describe('checkType', () => {
  it.each(CONTEXT_TYPES)('accepts %s', (type) => {
    expect(checkType(type)).toBe(type);
  });

  it.each([undefined, null, '', 'opinion', 'FACT', ' fact', 3, ['fact']])('refuses %j', (type) => {
    const error = ruleError(() => checkType(type));
    expect(error.message).toBe('type must be one of preference, decision, fact, goal');
    expect(error.field).toBe('type');
  });
});

describe('checkContent', () => {
  it('cleans a string like cleanContent', () => {
    expect(checkContent('  Hello\r\nworld\u200B ', LIMITS)).toBe('Hello\nworld');
  });

  it.each([undefined, null, 42, ['text'], { text: 'x' }])('refuses %j', (content) => {
    const error = ruleError(() => checkContent(content, LIMITS));
    expect(error.message).toBe('content must be a string');
    expect(error.field).toBe('content');
  });
});

describe('checkConfidence', () => {
  it('defaults to 1 and keeps values in [0, 1]', () => {
    expect(checkConfidence(undefined)).toBe(1);
    expect(checkConfidence(0)).toBe(0);
    expect(checkConfidence(0.35)).toBe(0.35);
    expect(checkConfidence(1)).toBe(1);
  });

  it('turns -0 into 0', () => {
    expect(Object.is(checkConfidence(-0), 0)).toBe(true);
  });

  it.each([null, 1.5, -0.1, 1.0000001, Number.NaN, Number.POSITIVE_INFINITY, '0.5', true, [0.5]])(
    'refuses %j',
    (confidence) => {
      const error = ruleError(() => checkConfidence(confidence));
      expect(error.message).toBe('confidence must be a number between 0 and 1');
      expect(error.field).toBe('confidence');
    },
  );

  it('returns a number in [0, 1] that is never -0, or throws InputRuleError, for any value', () => {
    fc.assert(
      fc.property(fc.oneof(fc.double(), fc.anything()), (value) => {
        const out = attempt(() => checkConfidence(value));
        if (out !== undefined) {
          expect(out >= 0 && out <= 1).toBe(true);
          expect(Object.is(out, -0)).toBe(false);
        }
      }),
    );
  });
});

describe('checkTags', () => {
  it('defaults to none and cleans a list like cleanTags', () => {
    expect(checkTags(undefined, LIMITS)).toEqual([]);
    expect(checkTags(['  Work  ', 'work', 'deep   focus'], LIMITS)).toEqual(['Work', 'deep focus']);
  });

  it.each([null, 'a,b', [1], ['a', null], { 0: 'a' }])('refuses %j', (tags) => {
    const error = ruleError(() => checkTags(tags, LIMITS));
    expect(error.message).toBe('tags must be a list of strings');
    expect(error.field).toBe('tags');
  });
});

describe('checkSource', () => {
  it.each([undefined, null, '', '   ', '\u200B'])('turns %j into manual', (source) => {
    expect(checkSource(source)).toBe('manual');
  });

  it('cleans a string like cleanSource, up to 200 code points', () => {
    expect(checkSource('  web \n  ui ')).toBe('web ui');
    expect(checkSource('😀'.repeat(200))).toBe('😀'.repeat(200));
    expect(ruleError(() => checkSource('x'.repeat(201))).message).toBe(
      'Source exceeds maximum length of 200 characters',
    );
  });

  it.each([5, true, ['api']])('refuses %j', (source) => {
    const error = ruleError(() => checkSource(source));
    expect(error.message).toBe('source must be a string');
    expect(error.field).toBe('source');
  });
});

describe('checkStatus', () => {
  it('defaults to active and accepts both statuses', () => {
    expect(checkStatus(undefined)).toBe('active');
    for (const status of CONTEXT_STATUSES) {
      expect(checkStatus(status)).toBe(status);
    }
  });

  it.each([null, '', 'deleted', 'Active', 1])('refuses %j', (status) => {
    const error = ruleError(() => checkStatus(status));
    expect(error.message).toBe('status must be one of active, superseded');
    expect(error.field).toBe('status');
  });
});

describe('isContextType and isContextStatus', () => {
  it('accept exactly the contract values', () => {
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom(...CONTEXT_TYPES, ...CONTEXT_STATUSES), fc.anything()), (value) => {
        expect(isContextType(value)).toBe((CONTEXT_TYPES as readonly unknown[]).includes(value));
        expect(isContextStatus(value)).toBe((CONTEXT_STATUSES as readonly unknown[]).includes(value));
      }),
    );
  });
});

describe('usableId', () => {
  it.each(['abc', 'A-Z_0.9:x', 'x'.repeat(100), '550e8400-e29b-41d4-a716-446655440000'])('keeps %s', (id) => {
    expect(usableId(id)).toBe(id);
  });

  it.each([undefined, null, '', 'x'.repeat(101), 'has space', 'semi;colon', 'ümlaut', 'a/b', 42, ['a']])(
    'refuses %j',
    (id) => {
      expect(usableId(id)).toBeUndefined();
    },
  );
});

describe('checkSupersededBy', () => {
  it('keeps a link to another unit and no link', () => {
    expect(checkSupersededBy('a', 'b')).toBe('b');
    expect(checkSupersededBy('a', null)).toBeNull();
    expect(checkSupersededBy(undefined, 'b')).toBe('b');
  });

  it('refuses a link to the unit itself, as a rule about the unit rather than one field', () => {
    const error = ruleError(() => checkSupersededBy('a', 'a'));
    expect(error.message).toBe('A context cannot supersede itself');
    expect(error.field).toBeUndefined();
  });
});

describe('checkNewUnit', () => {
  it('fills the defaults of a create', () => {
    expect(checkNewUnit({ type: 'fact', content: ' x ' }, LIMITS)).toEqual({
      type: 'fact',
      content: 'x',
      confidence: 1,
      tags: [],
      source: 'manual',
    });
  });

  it('checks type, content, confidence, tags and source in that order', () => {
    const bad = { type: 'x', content: '', confidence: 2, tags: ['!'], source: 'x'.repeat(201) };
    const messages: string[] = [];
    let input: UnitInput = bad;
    for (const [field, good] of [
      ['type', 'fact'],
      ['content', 'ok'],
      ['confidence', 0.5],
      ['tags', ['ok']],
      ['source', 'api'],
    ] as const) {
      messages.push(ruleError(() => checkNewUnit(input, LIMITS)).field ?? '');
      input = { ...input, [field]: good };
    }
    expect(messages).toEqual(['type', 'content', 'confidence', 'tags', 'source']);
    expect(checkNewUnit(input, LIMITS)).toEqual({
      type: 'fact',
      content: 'ok',
      confidence: 0.5,
      tags: ['ok'],
      source: 'api',
    });
  });

  it('returns fields it accepts again unchanged, or throws InputRuleError, for any input', () => {
    fc.assert(
      fc.property(unitInputArb, (input) => {
        const fields = attempt(() => checkNewUnit(input, LIMITS));
        if (fields !== undefined) {
          expect(checkNewUnit(fields, LIMITS)).toEqual(fields);
        }
      }),
      { numRuns: 2_000 },
    );
  });
});

describe('checkUnitRecord', () => {
  const NOW = '2026-03-04T05:06:07.089Z';
  const options = { limits: LIMITS, now: NOW };

  it('restores every field, normalising times', () => {
    expect(
      checkUnitRecord(
        {
          id: 'u-1',
          type: 'goal',
          content: ' Ship it ',
          confidence: 0.75,
          tags: ['work'],
          source: 'backup',
          status: 'superseded',
          created_at: '2026-01-02T03:04:05+01:00',
          last_used: '2026-01-03',
          superseded_by: 'u-2',
        },
        options,
      ),
    ).toEqual({
      id: 'u-1',
      unit: {
        type: 'goal',
        content: 'Ship it',
        confidence: 0.75,
        tags: ['work'],
        source: 'backup',
        status: 'superseded',
        createdAt: '2026-01-02T02:04:05.000Z',
        lastUsed: '2026-01-03T00:00:00.000Z',
        supersededBy: 'u-2',
      },
    });
  });

  it('fills the defaults of an import and leaves a missing or unusable id to the caller', () => {
    const expected = {
      type: 'fact',
      content: 'x',
      confidence: 1,
      tags: [],
      source: 'manual',
      status: 'active',
      createdAt: NOW,
      lastUsed: null,
      supersededBy: null,
    };
    expect(checkUnitRecord({ type: 'fact', content: 'x' }, options)).toEqual({ id: undefined, unit: expected });
    expect(checkUnitRecord({ id: 'bad id', type: 'fact', content: 'x' }, options)).toEqual({
      id: undefined,
      unit: expected,
    });
  });

  it.each([
    [{ created_at: null }, 'created_at must be a valid timestamp'],
    [{ created_at: '2026-02-30T00:00:00Z' }, 'created_at must be a valid timestamp'],
    [{ last_used: 'never' }, 'last_used must be a valid timestamp or null'],
    [{ superseded_by: 'bad id' }, 'superseded_by must be a valid id or null'],
    [{ status: 'deleted' }, 'status must be one of active, superseded'],
  ])('refuses %j', (fields, message) => {
    expect(ruleError(() => checkUnitRecord({ type: 'fact', content: 'x', ...fields }, options)).message).toBe(message);
  });

  it('refuses a unit that supersedes itself', () => {
    const error = ruleError(() =>
      checkUnitRecord({ id: 'u-1', type: 'fact', content: 'x', superseded_by: 'u-1' }, options),
    );
    expect(error.message).toBe('A context cannot supersede itself');
  });

  it('applies the rules of a create to the fields a create has, with the same outcome', () => {
    fc.assert(
      fc.property(unitInputArb, (input) => {
        const created = outcome(() => checkNewUnit(input, LIMITS));
        const restored = outcome(() => checkUnitRecord(input, options).unit);
        if (typeof created === 'string' || typeof restored === 'string') {
          expect(restored).toEqual(created);
        } else {
          expect(restored).toMatchObject(created);
        }
      }),
      { numRuns: 2_000 },
    );
  });
});
