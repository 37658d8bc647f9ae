/** The CSV reader of the import: a header row naming the columns, then one row per item. */
import { CsvError, parse as parseCsvRecords } from 'csv-parse/sync';

import { EXPORT_FIELDS, FORMULA_ESCAPED } from './export.js';
import type { ExportField } from './export.js';
import { ImportFormatError, parserMessage, tooMany } from './items.js';
import type { RawItem, ReadItem } from './items.js';

/** The inverse of the export's `escapeFormula`, applied to every CSV cell on import. */
export function unescapeFormula(cell: string): string {
  return FORMULA_ESCAPED.test(cell) ? cell.slice(1) : cell;
}

const REQUIRED_COLUMNS: readonly ExportField[] = ['type', 'content'];

/**
 * The items of a CSV import: one per row, the known columns turned into the values a JSON item would carry.
 * @throws ImportFormatError for an unparsable file, a header without `type` or `content` or naming a column twice,
 *   or more than `maxItems` rows
 */
export function readCsvItems(text: string, maxItems: number): ReadItem[] {
  const records = parseCsv(text, maxItems);
  const [header, ...rows] = records;
  if (header === undefined) {
    throw new ImportFormatError('Invalid CSV file: missing header row');
  }
  if (rows.length > maxItems) {
    throw tooMany(maxItems);
  }
  const columns = columnIndexes(header);
  return rows.map((row) => readCsvRow(row, columns));
}

function parseCsv(text: string, maxItems: number): string[][] {
  try {
    return parseCsvRecords(text, {
      // Field counts must match the header and quotes must be well formed (csv-parse's defaults): relaxing
      // either would guess at the user's data. Blank lines carry no data and are skipped.
      skip_empty_lines: true,
      // Header + maxItems + 1 rows are enough to know the file is too big; the rest is not parsed.
      to: maxItems + 2,
    });
  } catch (error) {
    if (error instanceof CsvError) {
      throw new ImportFormatError(`Invalid CSV file: ${parserMessage(error)}`);
    }
    throw error;
  }
}

/** Maps each known field to its column; names are matched trimmed and case-insensitively. */
function columnIndexes(header: readonly string[]): Map<ExportField, number> {
  const known = new Set<string>(EXPORT_FIELDS);
  const columns = new Map<ExportField, number>();
  header.forEach((cell, index) => {
    const name = cell.trim().toLowerCase();
    if (!known.has(name)) {
      return;
    }
    const field = name as ExportField;
    if (columns.has(field)) {
      throw new ImportFormatError(`Invalid CSV file: duplicate column "${field}"`);
    }
    columns.set(field, index);
  });
  for (const field of REQUIRED_COLUMNS) {
    if (!columns.has(field)) {
      throw new ImportFormatError(`Invalid CSV file: missing column "${field}"`);
    }
  }
  return columns;
}

function readCsvRow(row: readonly string[], columns: ReadonlyMap<ExportField, number>): RawItem {
  const item: RawItem = {};
  for (const [field, index] of columns) {
    const cell = row[index];
    if (cell !== undefined) {
      item[field] = csvCellValue(field, unescapeFormula(cell));
    }
  }
  return item;
}

const DECIMAL_NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Turns a CSV cell into the value a JSON item would carry. An empty cell means "absent" (so the field's default
 * applies), except for the nullable links and times, where it is `null`, as export writes them.
 */
function csvCellValue(field: ExportField, cell: string): unknown {
  switch (field) {
    case 'type':
    case 'content':
    case 'source':
      return cell;
    case 'confidence':
      if (cell === '') {
        return undefined;
      }
      // A strict pattern: Number() would also take '', ' 1 ', '0x1' and 'Infinity'. A non-number stays a string
      // and fails validation with a clear message.
      return DECIMAL_NUMBER.test(cell) ? Number(cell) : cell;
    case 'tags':
      // Empty pieces ("a,,b", a trailing comma) carry nothing and are dropped rather than failing the row.
      return cell
        .split(',')
        .map((tag) => tag.trim())
        .filter((tag) => tag !== '');
    case 'last_used':
    case 'superseded_by':
      return cell === '' ? null : cell;
    case 'id':
    case 'status':
    case 'created_at':
      return cell === '' ? undefined : cell;
  }
}
