import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { CONTEXT_STATUSES, CONTEXT_TYPES } from '@contextpilot/contract';

import { exportCsv, exportJson } from './export.js';
import { parseImport } from './import.js';
import {
  EXPORT_DATE,
  expectWellFormed,
  fixture,
  formatErrorOf,
  importJson,
  importText,
  itemError,
  itemUnit,
  KEEP_IDS,
  LIMITS,
  makeUnit,
  NOW,
  options,
  parseOrRefuse,
  unitsArb,
} from './transfer.test-support.js';

describe('parseImport round trips', () => {
  it('reads a JSON export back into identical units', () => {
    const result = importText('backup.json', exportJson(fixture, EXPORT_DATE), KEEP_IDS);
    expect(result).toEqual({ units: fixture, errors: [], total: fixture.length });
  });

  it('reads a CSV export back into identical units', () => {
    const result = importText('backup.csv', exportCsv(fixture), KEEP_IDS);
    expect(result).toEqual({ units: fixture, errors: [], total: fixture.length });
  });

  it('reads formula-escaped cells back exactly, including content that starts with quotes', () => {
    const units = [
      makeUnit({ id: '-1', content: '=1+1', tags: ['-a'], source: '+x', supersededBy: '-2' }),
      makeUnit({ id: '-2', content: "'=1+1", source: "''-x" }),
      makeUnit({ id: 'u3', content: "'plain", source: "'" }),
      makeUnit({ id: 'u4', content: '\uFF20mention', source: '@' }),
    ];
    const result = importText('backup.csv', exportCsv(units), KEEP_IDS);
    expect(result).toEqual({ units, errors: [], total: units.length });
  });

  it('reads a quote before a formula character as the escape, in files from other tools too', () => {
    const result = importText('x.csv', "type,content,source\r\nfact,'=1+1,'-x\r\nfact,''@a,'b\r\n");
    expect(result.units.map((u) => [u.content, u.source])).toEqual([
      ['=1+1', '-x'],
      ["'@a", "'b"],
    ]);
  });

  it('reads empty exports back as nothing', () => {
    expect(importText('e.json', exportJson([], EXPORT_DATE))).toEqual({ units: [], errors: [], total: 0 });
    expect(importText('e.csv', exportCsv([]))).toEqual({ units: [], errors: [], total: 0 });
  });
});

describe('parseImport file format', () => {
  it.each(['backup.JSON', 'backup.Json', 'dir/backup.json'])('accepts %s as JSON', (filename) => {
    expect(importText(filename, '[]').total).toBe(0);
  });

  it.each(['backup.CSV', 'backup.Csv'])('accepts %s as CSV', (filename) => {
    expect(importText(filename, 'type,content\r\nfact,x\r\n').total).toBe(1);
  });

  it.each(['backup.txt', 'backup', 'json', 'backup.json.bak', 'backup.xlsx', ''])(
    'refuses the file name %j',
    (filename) => {
      expect(formatErrorOf(() => importText(filename, '[]'))).toBe('Only JSON and CSV files are supported for import');
    },
  );

  it.each([
    ['a lone continuation byte', [0x80]],
    ['an invalid byte', [0x7b, 0xff, 0x7d]],
    ['a truncated sequence', [0x5b, 0xe2, 0x82]],
    ['an encoded surrogate', [0xed, 0xa0, 0x80]],
    ['an overlong encoding', [0xc0, 0xaf]],
    ['UTF-16 with BOM', [0xff, 0xfe, 0x5b, 0x00, 0x5d, 0x00]],
  ])('refuses bytes that are not UTF-8: %s', (_name, bytes) => {
    for (const filename of ['x.json', 'x.csv']) {
      expect(formatErrorOf(() => parseImport({ filename, bytes: new Uint8Array(bytes) }, options()))).toBe(
        'Invalid file encoding: expected UTF-8',
      );
    }
  });

  it('ignores a leading UTF-8 BOM in JSON', () => {
    const result = importText('x.json', '\uFEFF[{"id":"a","type":"fact","content":"x"}]');
    expect(result.units.map((u) => u.id)).toEqual(['a']);
  });

  it('ignores a leading UTF-8 BOM in CSV, so the first column keeps its name', () => {
    const result = importText('x.csv', '\uFEFFid,type,content\r\nabc,fact,x\r\n');
    expect(result.units.map((u) => u.id)).toEqual(['abc']);
  });

  it('reads an export written with a BOM by a spreadsheet', () => {
    const result = importText('backup.csv', `\uFEFF${exportCsv(fixture)}`, KEEP_IDS);
    expect(result.units).toEqual(fixture);
  });
});

describe('parseImport item validation', () => {
  const base = { id: 'x1', type: 'fact', content: 'ok' };

  it('reports an item that is not an object by position', () => {
    const result = importJson([base, 1, null, 'text', [base]]);
    expect(result.units).toHaveLength(1);
    expect(result.errors).toEqual([
      'Context #2: expected an object',
      'Context #3: expected an object',
      'Context #4: expected an object',
      'Context #5: expected an object',
    ]);
    expect(result.total).toBe(5);
  });

  it.each([undefined, null, 'opinion', 'FACT', 3, ['fact']])('refuses type %j', (type) => {
    expect(itemError({ ...base, type })).toBe('Context x1: type must be one of preference, decision, fact, goal');
  });

  it.each(CONTEXT_TYPES)('accepts type %s', (type) => {
    expect(itemUnit({ ...base, type }).type).toBe(type);
  });

  it.each([undefined, null, 42, ['text'], { text: 'x' }])('refuses content %j', (content) => {
    expect(itemError({ ...base, content })).toBe('Context x1: content must be a string');
  });

  it('sanitizes content like a create', () => {
    expect(itemUnit({ ...base, content: '  Hello\r\nworld\u200B\u0000 ' }).content).toBe('Hello\nworld');
    expect(itemUnit({ ...base, content: 'e\u0301' }).content).toBe('é');
  });

  it('applies the content rules of sanitize', () => {
    expect(itemError({ ...base, content: ' \u200B\n ' })).toBe('Context x1: Content cannot be empty');
    expect(itemError({ ...base, content: '\uD800' })).toBe('Context x1: Content contains invalid Unicode');
    expect(
      itemError({ ...base, content: '12345678901' }, options({ limits: { ...LIMITS, maxContentLength: 10 } })),
    ).toBe('Context x1: Content exceeds maximum length of 10 characters');
  });

  it('defaults confidence to 1 and keeps 0 and 1', () => {
    expect(itemUnit(base).confidence).toBe(1);
    expect(itemUnit({ ...base, confidence: 0 }).confidence).toBe(0);
    expect(itemUnit({ ...base, confidence: 0.25 }).confidence).toBe(0.25);
  });

  it.each([null, 1.5, -0.1, '0.5', true, [0.5]])('refuses confidence %j', (confidence) => {
    expect(itemError({ ...base, confidence })).toBe('Context x1: confidence must be a number between 0 and 1');
  });

  it('defaults tags to none and cleans them like a create', () => {
    expect(itemUnit(base).tags).toEqual([]);
    expect(itemUnit({ ...base, tags: ['  Work  ', 'work', 'deep   focus', 'ﬁle'] }).tags).toEqual([
      'Work',
      'deep focus',
      'file',
    ]);
  });

  it.each([null, 'a,b', [1], ['a', null], { 0: 'a' }])('refuses tags %j', (tags) => {
    expect(itemError({ ...base, tags })).toBe('Context x1: tags must be a list of strings');
  });

  it('applies the tag rules of sanitize', () => {
    expect(itemError({ ...base, tags: ['bad!'] })).toBe(
      "Context x1: Tag 'bad!' contains invalid characters. Only alphanumeric, spaces, hyphens, and underscores allowed",
    );
    expect(itemError({ ...base, tags: [' '] })).toBe('Context x1: Tags cannot be empty');
    expect(itemError({ ...base, tags: ['a', 'b', 'c'] }, options({ limits: { ...LIMITS, maxTagCount: 2 } }))).toBe(
      'Context x1: Maximum 2 tags allowed',
    );
  });

  it.each([undefined, null, '', '   ', '\u200B'])('turns source %j into manual', (source) => {
    expect(itemUnit({ ...base, source }).source).toBe('manual');
  });

  it('cleans source as a label', () => {
    expect(itemUnit({ ...base, source: '  web \n  ui ' }).source).toBe('web ui');
    expect(itemError({ ...base, source: 'x'.repeat(201) })).toBe(
      'Context x1: Source exceeds maximum length of 200 characters',
    );
    expect(itemUnit({ ...base, source: 'x'.repeat(200) }).source).toHaveLength(200);
  });

  it.each([5, true, ['api']])('refuses source %j', (source) => {
    expect(itemError({ ...base, source })).toBe('Context x1: source must be a string');
  });

  it('defaults status to active and keeps superseded', () => {
    expect(itemUnit(base).status).toBe('active');
    for (const status of CONTEXT_STATUSES) {
      expect(itemUnit({ ...base, status }).status).toBe(status);
    }
  });

  it.each([null, 'deleted', 'Active', 1])('refuses status %j', (status) => {
    expect(itemError({ ...base, status })).toBe('Context x1: status must be one of active, superseded');
  });

  it.each(['abc', 'A-Z_0.9:x', 'x'.repeat(100), '550e8400-e29b-41d4-a716-446655440000'])('keeps the id %s', (id) => {
    expect(itemUnit({ ...base, id }).id).toBe(id);
  });

  it.each([undefined, null, '', 'x'.repeat(101), 'has space', 'semi;colon', 'ümlaut', 'a/b', 42, ['a']])(
    'gives a new id instead of %j',
    (id) => {
      expect(itemUnit({ ...base, id }).id).toBe('new-1');
    },
  );

  it('names an item without a usable id by its 1-based position', () => {
    const result = importJson([base, { id: 'bad id', type: 'x', content: 'c' }, { type: 'x', content: 'c' }]);
    expect(result.errors).toEqual([
      'Context #2: type must be one of preference, decision, fact, goal',
      'Context #3: type must be one of preference, decision, fact, goal',
    ]);
  });

  it('reports the later of two items with the same id as a duplicate', () => {
    const result = importJson([
      { ...base, content: 'first' },
      { ...base, content: 'second' },
    ]);
    expect(result.units.map((u) => u.content)).toEqual(['first']);
    expect(result.errors).toEqual(['Context x1: duplicate id']);
    expect(result.total).toBe(2);
  });

  it('lets an id taken only by a failed item be used by a later one', () => {
    const result = importJson([{ ...base, type: 'bad' }, base]);
    expect(result.units.map((u) => u.id)).toEqual(['x1']);
    expect(result.errors).toEqual(['Context x1: type must be one of preference, decision, fact, goal']);
  });

  it('draws new ids only for items that are accepted', () => {
    const result = importJson([
      { type: 'bad', content: 'x' },
      { type: 'fact', content: 'a' },
      { type: 'fact', content: 'b' },
    ]);
    expect(result.units.map((u) => u.id)).toEqual(['new-1', 'new-2']);
  });

  it('keeps created_at, normalised to UTC with milliseconds, and defaults it to now', () => {
    expect(itemUnit(base).createdAt).toBe(NOW);
    expect(itemUnit({ ...base, created_at: '2025-12-31T23:59:59.999Z' }).createdAt).toBe('2025-12-31T23:59:59.999Z');
    expect(itemUnit({ ...base, created_at: '2026-01-02T03:04:05.123456' }).createdAt).toBe('2026-01-02T03:04:05.123Z');
    expect(itemUnit({ ...base, created_at: '2026-01-02T03:04:05' }).createdAt).toBe('2026-01-02T03:04:05.000Z');
    expect(itemUnit({ ...base, created_at: '2026-01-02T03:04:05+01:00' }).createdAt).toBe('2026-01-02T02:04:05.000Z');
  });

  it.each([null, '', 'yesterday', '1', '2026-02-30T00:00:00Z', '2026-13-01T00:00:00Z', 12345, '2026-01-02T25:00:00Z'])(
    'refuses created_at %j',
    (created_at) => {
      expect(itemError({ ...base, created_at })).toBe('Context x1: created_at must be a valid timestamp');
    },
  );

  it('keeps last_used, null included', () => {
    expect(itemUnit(base).lastUsed).toBeNull();
    expect(itemUnit({ ...base, last_used: null }).lastUsed).toBeNull();
    expect(itemUnit({ ...base, last_used: '2026-01-02T03:04:05.5Z' }).lastUsed).toBe('2026-01-02T03:04:05.500Z');
  });

  it.each(['', 'never', 0, false])('refuses last_used %j', (last_used) => {
    expect(itemError({ ...base, last_used })).toBe('Context x1: last_used must be a valid timestamp or null');
  });

  it('keeps superseded_by, including links to units outside the file', () => {
    expect(itemUnit(base).supersededBy).toBeNull();
    expect(itemUnit({ ...base, superseded_by: null }).supersededBy).toBeNull();
    expect(itemUnit({ ...base, superseded_by: 'elsewhere-1' }).supersededBy).toBe('elsewhere-1');
  });

  it.each(['', 'bad id', 'x'.repeat(101), 7])('refuses superseded_by %j', (superseded_by) => {
    expect(itemError({ ...base, superseded_by })).toBe('Context x1: superseded_by must be a valid id or null');
  });

  it('refuses an item that supersedes itself', () => {
    expect(itemError({ ...base, superseded_by: 'x1' })).toBe('Context x1: A context cannot supersede itself');
  });

  it('ignores unknown keys', () => {
    expect(itemUnit({ ...base, embedding: [1, 2], relevance_score: 0.5, extra: { nested: true } })).toEqual(
      makeUnit({ id: 'x1', content: 'ok', createdAt: NOW }),
    );
  });

  it('reports every bad item, not only the first ten', () => {
    const items = Array.from({ length: 15 }, (_, i) => ({ id: `bad${i}`, type: 'nope', content: 'x' }));
    const result = importJson([...items, base]);
    expect(result.errors).toHaveLength(15);
    expect(result.units).toHaveLength(1);
    expect(result.total).toBe(16);
  });
});

describe('parseImport properties', () => {
  it('reads any JSON export back into identical units', () => {
    fc.assert(
      fc.property(unitsArb, (units) => {
        const result = importText('backup.json', exportJson(units, EXPORT_DATE), KEEP_IDS);
        expect(result).toEqual({ units, errors: [], total: units.length });
      }),
    );
  });

  it('reads any CSV export back into identical units', () => {
    fc.assert(
      fc.property(unitsArb, (units) => {
        const result = importText('backup.csv', exportCsv(units), KEEP_IDS);
        expect(result).toEqual({ units, errors: [], total: units.length });
      }),
    );
  });

  it('returns or throws ImportFormatError for any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.constantFrom('x.json', 'x.csv', 'x.txt'), (bytes, filename) => {
        expectWellFormed(parseOrRefuse(filename, bytes));
      }),
    );
  });
});
