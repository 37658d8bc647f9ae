/**
 * The export writers: the v1 JSON document and the CSV file, a lossless backup. Superseded
 * units and `superseded_by` are included, and the import reads both formats back into identical units.
 */
import { stringify } from 'csv-stringify/sync';

import type { ExportDocument, ExportedContext } from '@contextpilot/contract';

import type { ContextUnit } from '../types.js';

/** The fields of an exported context, in v1 order (plus `superseded_by`). Also the CSV header. */
export const EXPORT_FIELDS = [
  'id',
  'type',
  'content',
  'confidence',
  'tags',
  'source',
  'status',
  'created_at',
  'last_used',
  'superseded_by',
] as const;

export type ExportField = (typeof EXPORT_FIELDS)[number];

function toExported(unit: ContextUnit): ExportedContext {
  return {
    id: unit.id,
    type: unit.type,
    content: unit.content,
    confidence: unit.confidence,
    tags: unit.tags,
    source: unit.source,
    status: unit.status,
    created_at: unit.createdAt,
    last_used: unit.lastUsed,
    superseded_by: unit.supersededBy,
  };
}

/**
 * The v1 JSON export document, pretty-printed with a 2-space indent and no trailing newline. Every unit given is
 * written, superseded ones included, in the order given.
 *
 * Unlike the original (Python `ensure_ascii`), non-ASCII characters are written as they are: JSON is UTF-8 by
 * definition (RFC 8259), the file stays readable, and any JSON parser reads both forms the same way.
 * Numbers are JSON numbers (`1`, not Python's `1.0`); JSON readers do not see a difference.
 */
export function exportJson(units: readonly ContextUnit[], exportDate: string): string {
  const document: ExportDocument = {
    export_date: exportDate,
    total_contexts: units.length,
    contexts: units.map(toExported),
  };
  return JSON.stringify(document, null, 2);
}

/**
 * Formats a number the way Python's `repr(float)` does, so CSV exports match the original byte for byte:
 * integers get `.0` (`1.0`), other values use the shortest digits that read back to the same number (`0.75`),
 * and exponents below -4 or from 16 up use scientific notation with a signed, two-digit exponent (`1e-05`).
 */
export function formatPythonFloat(value: number): string {
  if (Number.isNaN(value)) {
    return 'nan';
  }
  if (!Number.isFinite(value)) {
    return value > 0 ? 'inf' : '-inf';
  }
  if (value === 0) {
    return Object.is(value, -0) ? '-0.0' : '0.0';
  }
  // toExponential() without digits gives the shortest round-tripping mantissa, as Python's repr does.
  const [mantissa = '', exponentText = '0'] = value.toExponential().split('e');
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 16) {
    const sign = exponent < 0 ? '-' : '+';
    return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  // JavaScript writes positional notation for exponents -7..20, which covers -4..15: same digits as Python.
  const text = String(value);
  return text.includes('.') ? text : `${text}.0`;
}

// Spreadsheet formula injection (OWASP "CSV Injection"): Excel, LibreOffice and Google Sheets run a cell that
// starts with `=`, `+`, `-`, `@`, TAB or CR as a formula; Numbers also reads the full-width forms of the first four.
// Export writes such a cell with a leading `'`, which spreadsheets show as text, and quotes it.
// To keep import lossless the rule is a bijection: export prefixes every cell that is zero or more `'` followed by a
// formula character (so a content that really starts with `'=` becomes `''=`), and import removes one `'` from
// every cell that is one or more `'` followed by a formula character. Any other cell passes through unchanged.
// A CSV written by another tool with a cell like `'=x` therefore imports as `=x`, as a spreadsheet would show it.
const NEEDS_FORMULA_ESCAPE = /^'*[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;
/** A cell that {@link escapeFormula} wrote: one `'` too many, which the CSV reader removes. */
export const FORMULA_ESCAPED = /^'+[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;

/** A CSV cell as export writes it: `'` in front of anything a spreadsheet would run as a formula. */
export function escapeFormula(cell: string): string {
  return NEEDS_FORMULA_ESCAPE.test(cell) ? `'${cell}` : cell;
}

function toCsvRow(unit: ContextUnit): string[] {
  const cells = [
    unit.id,
    unit.type,
    unit.content,
    formatPythonFloat(unit.confidence),
    unit.tags.join(','),
    unit.source,
    unit.status,
    unit.createdAt,
    unit.lastUsed ?? '',
    unit.supersededBy ?? '',
  ];
  return cells.map(escapeFormula);
}

/**
 * The CSV export: a header row of {@link EXPORT_FIELDS}, then one row per unit (superseded ones included).
 * Python's csv "excel" dialect: comma separator, CRLF after every row, minimal quoting (a field is quoted when it
 * holds a comma, a quote, CR or LF; quotes inside are doubled). Tags are joined with `,` (a tag never holds a
 * comma), null is an empty field, confidence is written Python-style.
 *
 * A cell a spreadsheet would run as a formula is written quoted with a leading `'` ({@link escapeFormula});
 * import removes it again, so the round trip stays lossless.
 */
export function exportCsv(units: readonly ContextUnit[]): string {
  return stringify(units.map(toCsvRow), {
    header: true,
    columns: [...EXPORT_FIELDS],
    record_delimiter: 'windows',
    // Quote a lone CR or LF too (csv-stringify would not quote a lone CR once record_delimiter is set).
    quote_record_delimiter: true,
    // The formula escape is ours (csv-stringify's cannot be undone unambiguously); escaped cells are quoted.
    escape_formulas: false,
    quoted_match: FORMULA_ESCAPED,
  });
}
