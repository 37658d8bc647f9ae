/**
 * Fixtures, helpers and fast-check arbitraries shared by the transfer tests (export, readers, import).
 */
import fc from 'fast-check';
import { expect } from 'vitest';

import { CONTEXT_STATUSES, CONTEXT_TYPES } from '@contextpilot/contract';

import type { ContextUnit } from '../types.js';
import { cleanContent, cleanSource, cleanTags, InputRuleError } from '../unit-rules.js';
import type { TextLimits } from '../unit-rules.js';
import { parseImport } from './import.js';
import type { ImportOptions, ImportParseResult } from './import.js';
import { ImportFormatError } from './items.js';
import { normalizeTimestamp } from './timestamps.js';

export const LIMITS: TextLimits = { maxContentLength: 10_000, maxTagCount: 20, maxTagLength: 50 };
export const NOW = '2026-03-04T05:06:07.089Z';
export const EXPORT_DATE = '2026-02-01T00:00:00.000Z';
export const HEADER = 'id,type,content,confidence,tags,source,status,created_at,last_used,superseded_by\r\n';

export const encoder = new TextEncoder();

export function makeUnit(overrides: Partial<ContextUnit> = {}): ContextUnit {
  return {
    id: 'u1',
    type: 'fact',
    content: 'Plain content',
    confidence: 1,
    createdAt: '2026-01-02T03:04:05.123Z',
    lastUsed: null,
    source: 'manual',
    tags: [],
    status: 'active',
    supersededBy: null,
    ...overrides,
  };
}

/** Options whose newId hands out `new-1`, `new-2`, … */
export function options(overrides: Partial<ImportOptions> = {}): ImportOptions {
  let n = 0;
  return {
    limits: LIMITS,
    maxItems: 100,
    now: NOW,
    newId: () => `new-${++n}`,
    ...overrides,
  };
}

/** Options for round trips: every item carries its own id, so drawing a new one is a bug. */
export const KEEP_IDS = options({
  newId: () => {
    throw new Error('newId must not be called when every item has a usable id');
  },
});

export function importText(filename: string, text: string, opts: ImportOptions = options()): ImportParseResult {
  return parseImport({ filename, bytes: encoder.encode(text) }, opts);
}

export function importJson(value: unknown, opts: ImportOptions = options()): ImportParseResult {
  return importText('contexts.json', JSON.stringify(value), opts);
}

/** Imports one JSON item and returns the only error, or fails. */
export function itemError(item: unknown, opts: ImportOptions = options()): string {
  const result = importJson([item], opts);
  expect(result.units).toEqual([]);
  expect(result.errors).toHaveLength(1);
  return result.errors[0] ?? '';
}

/** Imports one JSON item and returns the unit, or fails. */
export function itemUnit(item: unknown, opts: ImportOptions = options()): ContextUnit {
  const result = importJson([item], opts);
  expect(result.errors).toEqual([]);
  expect(result.units).toHaveLength(1);
  return result.units[0] as ContextUnit;
}

export function formatErrorOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof ImportFormatError) {
      return error.message;
    }
    throw error;
  }
  throw new Error('expected an ImportFormatError');
}

export const unitA = makeUnit({
  id: 'a1',
  type: 'fact',
  content: 'Hello, "world"\nline 2',
  confidence: 1,
  tags: ['x', 'y z'],
  source: 'manual',
});
export const unitB = makeUnit({
  id: 'b2',
  type: 'decision',
  content: 'plain',
  confidence: 0.75,
  tags: [],
  source: 'api',
  status: 'superseded',
  createdAt: '2026-01-03T00:00:00.000Z',
  lastUsed: '2026-01-04T00:00:00.000Z',
  supersededBy: 'a1',
});

/** A set exercising what a backup must keep: links, superseded units, Unicode, newlines, odd sources. */
export const fixture: ContextUnit[] = [
  unitA,
  unitB,
  makeUnit({
    id: 'c3:x.y_z-1',
    type: 'preference',
    content: 'Café ☕ 😀 👩‍💻 日本語 עברית\nsecond line\n\tindented, "quoted"',
    confidence: 0.9,
    tags: ['ünïcödé', 'with space', 'snake_case', 'kebab-case'],
    source: 'chat, imported',
    lastUsed: '2026-01-05T06:07:08.009Z',
  }),
  makeUnit({ id: 'd4', type: 'goal', content: '=SUM(A1:A2)', confidence: 0, source: '@cli' }),
];

/** The result of a sanitizer, or undefined when the input breaks one of its rules. */
export function attempt<T>(run: () => T): T | undefined {
  try {
    return run();
  } catch (error) {
    if (error instanceof InputRuleError) {
      return undefined;
    }
    throw error;
  }
}

export function isDefined<T>(value: T | undefined): value is T {
  return value !== undefined;
}

/** `valid` four times out of five, `other` otherwise. */
export function mostly<T, U>(valid: fc.Arbitrary<T>, other: fc.Arbitrary<U>): fc.Arbitrary<T | U> {
  return fc.oneof({ arbitrary: valid, weight: 4 }, { arbitrary: other, weight: 1 });
}

export const trickyChar = fc.constantFrom(
  'a',
  'Z',
  ' ',
  '\n',
  '\r',
  '\t',
  ',',
  '"',
  "'",
  '=',
  '+',
  '-',
  '@',
  '\u200B',
  '\u200D',
  '\u00A0',
  '\u2028',
  'é',
  'e\u0301',
  'ß',
  '日',
  'ע',
  '😀',
  '👩‍💻',
  '\uFEFF',
  '\u0000',
  '\\',
  '{',
  '[',
  '\uFF1D',
  '\uFF20',
);
export const rawText = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: trickyChar, maxLength: 30 }),
);
/** Text that starts like a formula, possibly behind quotes, as the CSV formula escape must round-trip it. */
export const formulaLike = fc
  .tuple(
    fc.constantFrom('', "'", "''", "'''"),
    fc.constantFrom('=', '+', '-', '@', '\t', '\r', '\uFF1D', '\uFF0B', '\uFF0D', '\uFF20', 'a', ' '),
    rawText,
  )
  .map((parts) => parts.join(''));
export const contentArb = fc
  .oneof(rawText, formulaLike)
  .map((text) => attempt(() => cleanContent(text, LIMITS)))
  .filter(isDefined);
export const tagCharArb = fc.constantFrom(
  'a',
  'B',
  'z',
  '9',
  'é',
  'Ä',
  '日',
  '٣',
  '_',
  '-',
  ' ',
  'ﬁ',
  'Ǆ',
  '\u0301',
  '\u3000',
);
export const tagArb = fc
  .string({ unit: tagCharArb, minLength: 1, maxLength: 12 })
  .map((tag) => attempt(() => cleanTags([tag], LIMITS))?.[0])
  .filter(isDefined);
export const tagsArb = fc.array(tagArb, { maxLength: 8 }).map((tags) => cleanTags(tags, LIMITS));
export const sourceArb = fc.oneof(
  fc.constant('manual'),
  fc
    .oneof(rawText, formulaLike)
    .map((text) => attempt(() => cleanSource(text)))
    .filter(isDefined),
);
export const idArb = fc.stringMatching(/^[A-Za-z0-9_.:-]{1,100}$/);
export const timestampArb = fc.date({ noInvalidDate: true }).map((date) => date.toISOString());
export const confidenceArb = fc.oneof(
  fc.constantFrom(0, 0.1, 0.5, 0.75, 0.9, 1, 1e-7),
  fc.double({ min: 0, max: 1, noNaN: true }).map((c) => (c === 0 ? 0 : c)),
);
/** A valid unit: every field within the rules, and never a link to itself. */
export const unitArb: fc.Arbitrary<ContextUnit> = fc
  .record({
    id: idArb,
    type: fc.constantFrom(...CONTEXT_TYPES),
    content: contentArb,
    confidence: confidenceArb,
    createdAt: timestampArb,
    lastUsed: fc.option(timestampArb, { nil: null }),
    source: sourceArb,
    tags: tagsArb,
    status: fc.constantFrom(...CONTEXT_STATUSES),
    supersededBy: fc.option(idArb, { nil: null }),
  })
  .filter((unit) => unit.supersededBy !== unit.id);
export const unitsArb = fc.uniqueArray(unitArb, { selector: (unit) => unit.id, maxLength: 15 });

/** Runs parseImport; a thrown ImportFormatError is a valid outcome, anything else fails the property. */
export function parseOrRefuse(filename: string, bytes: Uint8Array): ImportParseResult | ImportFormatError {
  try {
    return parseImport({ filename, bytes }, options({ maxItems: 50 }));
  } catch (error) {
    if (error instanceof ImportFormatError) {
      return error;
    }
    throw error;
  }
}

/** What must hold for any file: every item is either a unit or an error, and every unit is clean. */
export function expectWellFormed(outcome: ImportParseResult | ImportFormatError): void {
  if (outcome instanceof ImportFormatError) {
    return;
  }
  expect(outcome.errors.length).toBeLessThanOrEqual(outcome.total);
  expect(outcome.units.length + outcome.errors.length).toBe(outcome.total);
  expect(new Set(outcome.units.map((u) => u.id)).size).toBe(outcome.units.length);
  for (const unit of outcome.units) {
    expect(cleanContent(unit.content, LIMITS)).toBe(unit.content);
    expect(cleanTags(unit.tags, LIMITS)).toEqual(unit.tags);
    expect(unit.confidence >= 0 && unit.confidence <= 1).toBe(true);
    expect(CONTEXT_TYPES).toContain(unit.type);
    expect(CONTEXT_STATUSES).toContain(unit.status);
    expect(normalizeTimestamp(unit.createdAt)).toBe(unit.createdAt);
    expect(unit.supersededBy).not.toBe(unit.id);
  }
}
