import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { CONTEXT_STATUSES, CONTEXT_TYPES } from '@contextpilot/contract';

import {
  confidenceArb,
  encoder,
  EXPORT_DATE,
  expectWellFormed,
  formatErrorOf,
  idArb,
  importJson,
  importText,
  mostly,
  options,
  parseOrRefuse,
  rawText,
  tagArb,
  timestampArb,
} from './transfer.test-support.js';

describe('parseImport JSON', () => {
  it.each([
    ['', 'Invalid JSON file: '],
    ['{"contexts": [}', 'Invalid JSON file: '],
    ["{'contexts': []}", 'Invalid JSON file: '],
    ['[1,]', 'Invalid JSON file: '],
  ])('refuses text that is not JSON: %j', (text, prefix) => {
    expect(formatErrorOf(() => importText('x.json', text))).toMatch(new RegExp(`^${prefix}.+`));
  });

  it.each([
    ['a number', '42'],
    ['a string', '"contexts"'],
    ['null', 'null'],
    ['an object without contexts', '{"items": []}'],
    ['an object whose contexts is not a list', '{"contexts": {"0": {}}}'],
    ['an object whose contexts is null', '{"contexts": null}'],
  ])('refuses a top level that is %s', (_name, text) => {
    expect(formatErrorOf(() => importText('x.json', text))).toBe(
      'Invalid import file: expected an object with a "contexts" list',
    );
  });

  it('accepts a bare list of items', () => {
    expect(importJson([{ type: 'fact', content: 'x' }]).units).toHaveLength(1);
  });

  it('accepts the export document and ignores its other keys', () => {
    const result = importJson({
      export_date: 'whenever',
      total_contexts: 99,
      contexts: [{ type: 'goal', content: 'g' }],
    });
    expect(result.total).toBe(1);
    expect(result.units[0]?.type).toBe('goal');
  });

  it.each(['__proto__', 'constructor', 'prototype'])('refuses a top-level %s key', (key) => {
    const text = `{"${key}": {"polluted": true}, "contexts": []}`;
    expect(formatErrorOf(() => importText('x.json', text))).toBe(`Invalid import file: forbidden key "${key}"`);
  });

  it.each(['__proto__', 'constructor', 'prototype'])('refuses an item with a %s key and pollutes nothing', (key) => {
    const text = `[{"type": "fact", "content": "x", "${key}": {"polluted": true}}, {"type": "fact", "content": "y"}]`;
    const result = importText('x.json', text);
    expect(result.errors).toEqual([`Context #1: forbidden key "${key}"`]);
    expect(result.units.map((u) => u.content)).toEqual(['y']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.getPrototypeOf(result.units[0])).toBe(Object.prototype);
  });

  it('ignores forbidden keys nested in values it never reads', () => {
    const result = importJson([{ type: 'fact', content: 'x', extra: JSON.parse('{"__proto__": {"polluted": 1}}') }]);
    expect(result.units).toHaveLength(1);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('refuses a file with more than maxItems items and accepts exactly maxItems', () => {
    const items = [1, 2, 3].map((n) => ({ type: 'fact', content: `c${n}` }));
    expect(formatErrorOf(() => importJson({ contexts: items }, options({ maxItems: 2 })))).toBe(
      'Import file has more than 2 contexts',
    );
    expect(formatErrorOf(() => importJson(items, options({ maxItems: 2 })))).toBe(
      'Import file has more than 2 contexts',
    );
    expect(importJson(items, options({ maxItems: 3 })).units).toHaveLength(3);
  });

  it('turns deeply nested JSON into a format or item error, never a stack overflow', () => {
    const deep = `[${'['.repeat(100_000)}${']'.repeat(100_000)}]`;
    expect(importText('x.json', deep)).toEqual({ units: [], errors: ['Context #1: expected an object'], total: 1 });
  });
});

describe('parseImport JSON properties', () => {
  it('returns or throws ImportFormatError for any JSON value', () => {
    const anyValue = fc.jsonValue({ maxDepth: 3 });
    // Fields are mostly valid so that files mix accepted and refused items; a few ids repeat on purpose.
    const itemArb = fc.record(
      {
        id: mostly(fc.oneof(idArb, fc.constantFrom('dup-1', 'dup-2')), anyValue),
        type: mostly(fc.constantFrom(...CONTEXT_TYPES), anyValue),
        content: mostly(rawText, anyValue),
        confidence: mostly(confidenceArb, fc.oneof(fc.double(), anyValue)),
        tags: mostly(fc.array(mostly(tagArb, fc.string()), { maxLength: 5 }), anyValue),
        source: mostly(rawText, anyValue),
        status: mostly(fc.constantFrom(...CONTEXT_STATUSES), anyValue),
        created_at: mostly(timestampArb, fc.oneof(fc.string(), anyValue)),
        last_used: mostly(fc.option(timestampArb, { nil: null }), fc.oneof(fc.string(), anyValue)),
        superseded_by: mostly(fc.option(idArb, { nil: null }), anyValue),
      },
      { requiredKeys: [] },
    );
    // defineProperty makes an own key even for `__proto__`, which JSON.stringify then writes out.
    const pollutedItemArb = fc
      .tuple(itemArb, fc.constantFrom('__proto__', 'constructor', 'prototype'), anyValue)
      .map(([item, key, value]) =>
        Object.defineProperty({ ...item }, key, { value, enumerable: true, configurable: true, writable: true }),
      );
    const items = fc.array(
      fc.oneof(
        { arbitrary: itemArb, weight: 8 },
        { arbitrary: pollutedItemArb, weight: 1 },
        { arbitrary: anyValue, weight: 1 },
      ),
      { maxLength: 60 },
    );
    const documentArb = fc.oneof(
      anyValue,
      items,
      items.map((contexts) => ({ export_date: EXPORT_DATE, contexts })),
      fc.dictionary(fc.string(), anyValue).map((extra) => ({ ...extra, contexts: [] })),
    );
    fc.assert(
      fc.property(documentArb, (document) => {
        expectWellFormed(parseOrRefuse('x.json', encoder.encode(JSON.stringify(document) ?? '')));
      }),
    );
  });
});
