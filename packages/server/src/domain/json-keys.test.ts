import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { findDuplicateKey } from './json-keys.js';

describe('findDuplicateKey', () => {
  it.each([
    ['{}', undefined],
    ['[]', undefined],
    ['{"a":1,"b":2}', undefined],
    ['{"a":1,"a":2}', 'a'],
    ['{"a":{"b":1,"b":2}}', 'b'],
    ['[{"x":1},{"x":2}]', undefined],
    ['{"a":{"x":1},"b":{"x":2}}', undefined],
    ['[1,[2,{"k":[{"k":1,"j":2,"k":3}]}]]', 'k'],
    ['{"a":"a","b":"a"}', undefined],
    ['{"a":["a","a"]}', undefined],
    ['{"\\u0061":1,"a":2}', 'a'],
    ['{"a\\"b":1,"a\\"b":2}', 'a"b'],
    ['{"a\\\\":1,"a\\\\":2}', 'a\\'],
    ['{"":1,"":2}', ''],
    ['{"x":{},"y":[],"x":0}', 'x'],
    [' { "a" : 1 , "a" : 2 } ', 'a'],
    ['"{\\"a\\":1,\\"a\\":2}"', undefined],
    ['{"a":"}","a":"{"}', 'a'],
    ['{"a,":1,"b":{"a,":2}}', undefined],
    ['{"__proto__":1,"b":2}', undefined],
  ])('finds %s → %j', (text, key) => {
    expect(findDuplicateKey(text)).toBe(key);
  });

  it('finds no duplicate in anything JSON.stringify writes', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(findDuplicateKey(JSON.stringify(value))).toBeUndefined();
        expect(findDuplicateKey(JSON.stringify(value, null, 2))).toBeUndefined();
      }),
      { numRuns: 1_000 },
    );
  });

  it('finds a key repeated anywhere in a JSON.stringify output', () => {
    // A marker object {"k":…} written with the key twice, inserted somewhere inside an arbitrary document.
    const document = fc.tuple(fc.jsonValue(), fc.string({ maxLength: 8 }), fc.jsonValue(), fc.jsonValue());
    fc.assert(
      fc.property(document, ([outer, key, first, second]) => {
        const marker = `{${JSON.stringify(key)}:${JSON.stringify(first)},${JSON.stringify(key)}:${JSON.stringify(second)}}`;
        const text = JSON.stringify([outer, '\u0000marker\u0000']).replace('"\\u0000marker\\u0000"', () => marker);
        JSON.parse(text);
        expect(findDuplicateKey(text)).toBe(key);
      }),
      { numRuns: 1_000 },
    );
  });

  it('scans 256 KiB of worst-case JSON in well under a second', () => {
    const manyKeys = `{${Array.from({ length: 20_000 }, (_, i) => `"k${i}":${i}`).join(',')}}`;
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const escapes = `{${Array.from({ length: 5_000 }, (_, i) => `"\\u00${(i % 90) + 10}${i}":1`).join(',')}}`;
    const longString = `{"a":"${'\\"'.repeat(120_000)}"}`;
    const started = performance.now();
    for (const text of [manyKeys, deep, escapes, longString]) {
      JSON.parse(text);
      expect(findDuplicateKey(text)).toBeUndefined();
    }
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});
