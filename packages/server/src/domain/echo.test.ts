import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { echo, MAX_ECHO_LENGTH } from './echo.js';

describe('echo', () => {
  it.each([
    '0b8f8f5e-3c7a-4e8e-9c6f-2f7d3b9a1c2e',
    'superseded_by',
    'machine learning',
    'café 日本語 😀',
    'a'.repeat(MAX_ECHO_LENGTH),
  ])('leaves the ordinary value %j unchanged', (value) => {
    expect(echo(value)).toBe(value);
  });

  it('cuts a long value at 64 code points and marks the cut', () => {
    expect(echo('k'.repeat(10_000))).toBe(`${'k'.repeat(64)}…`);
    expect(echo('😀'.repeat(65))).toBe(`${'😀'.repeat(64)}…`);
  });

  it.each([
    ['a line break', 'a\nb', 'a\\nb'],
    ['CR and tab', 'a\r\tb', 'a\\r\\tb'],
    ['quotes and a backslash', `a"b'c\\d`, `a\\"b\\'c\\\\d`],
    ['HTML', '<script>&', '\\u003cscript\\u003e\\u0026'],
    ['NUL and DEL', 'a\u0000\u007F', 'a\\u0000\\u007f'],
    ['a bidi override', 'a\u202Eb', 'a\\u202eb'],
    ['U+2028 and U+2029', '\u2028\u2029', '\\u2028\\u2029'],
    ['a zero-width space and a Hangul filler', '\u200B\u3164', '\\u200b\\u3164'],
    ['a tag character', 'a\u{E0041}', 'a\\udb40\\udc41'],
    ['a lone surrogate', 'a\uD800b', 'a\\ud800b'],
  ])('escapes %s', (_name, value, shown) => {
    expect(echo(value)).toBe(shown);
  });

  it('escapes every quote, control, invisible or line-separating character and keeps at most 64 code points', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ maxLength: 200 })), (value) => {
        const shown = echo(value);
        // Once the escapes are taken out, nothing unsafe and no backslash is left.
        const unescaped = shown.replace(/\\(?:["'\\nrt]|u[0-9a-f]{4})/g, '');
        expect(unescaped).not.toMatch(/[\\\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}"'<>&]/u);
        // Every kept code point becomes at most one 12-character escape (a surrogate pair), plus the ellipsis.
        expect(shown.length).toBeLessThanOrEqual(MAX_ECHO_LENGTH * 12 + 1);
        expect(shown.endsWith('…')).toBe([...value].length > MAX_ECHO_LENGTH);
      }),
      { numRuns: 2_000 },
    );
  });

  it('cuts a huge value to the part it keeps', () => {
    expect(echo('x'.repeat(5_000_000))).toBe(`${'x'.repeat(64)}…`);
  });
});
