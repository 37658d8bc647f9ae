import { stringify } from 'csv-stringify/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { CONTEXT_STATUSES, CONTEXT_TYPES } from '@contextpilot/contract';

import { unescapeFormula } from './csv-reader.js';
import { escapeFormula, EXPORT_FIELDS, formatPythonFloat } from './export.js';
import {
  confidenceArb,
  encoder,
  expectWellFormed,
  formatErrorOf,
  formulaLike,
  HEADER,
  idArb,
  importText,
  makeUnit,
  mostly,
  NOW,
  options,
  parseOrRefuse,
  rawText,
  tagsArb,
  timestampArb,
  trickyChar,
} from './transfer.test-support.js';

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

describe('parseImport CSV properties', () => {
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
