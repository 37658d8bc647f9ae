/**
 * Import and export codecs for context units (JSON and CSV). Pure: bytes and times come in as arguments, so the
 * route decides where the file comes from and the clock decides what "now" is.
 *
 * Export is a lossless backup (decisions.md item 13): superseded units and `superseded_by` are included, and
 * {@link parseImport} reads both formats back into identical units.
 */
import { CsvError, parse as parseCsvRecords } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';

import { CONTEXT_STATUSES, CONTEXT_TYPES } from '@contextpilot/contract';
import type { ContextStatus, ContextType, ExportDocument, ExportedContext } from '@contextpilot/contract';

import { echo } from './echo.js';
import { cleanContent, cleanLabel, cleanTags, InputRuleError } from './sanitize.js';
import type { TextLimits } from './sanitize.js';
import type { ContextUnit } from './types.js';

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

type ExportField = (typeof EXPORT_FIELDS)[number];

/** The file as a whole cannot be imported (wrong format, bad encoding, unparsable, too many items). */
export class ImportFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImportFormatError';
  }
}

/** What an import file holds once read: the units that passed, one message per item that did not. */
export interface ImportParseResult {
  units: ContextUnit[];
  errors: string[];
  /** Number of items seen in the file (`units.length + errors.length`). */
  total: number;
}

/** What {@link parseImport} needs from its caller: the configured limits and the sources of ids and time. */
export interface ImportOptions {
  /** The same text limits a create applies. */
  limits: TextLimits;
  /** Upper bound on the number of items in one file. */
  maxItems: number;
  /** RFC 3339 timestamp used as `created_at` of items that have none. */
  now: string;
  /** Id for items that have no usable id of their own. */
  newId: () => string;
}

// ---------------------------------------------------------------------------------------------------------------
// Export

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
const FORMULA_ESCAPED = /^'+[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;

/** A CSV cell as export writes it: `'` in front of anything a spreadsheet would run as a formula. */
export function escapeFormula(cell: string): string {
  return NEEDS_FORMULA_ESCAPE.test(cell) ? `'${cell}` : cell;
}

/** The inverse of {@link escapeFormula}, applied to every CSV cell on import. */
export function unescapeFormula(cell: string): string {
  return FORMULA_ESCAPED.test(cell) ? cell.slice(1) : cell;
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

// ---------------------------------------------------------------------------------------------------------------
// Import: file level

/**
 * Reads an import file (JSON or CSV, chosen by the file name's extension, case-insensitively) into sanitized
 * context units, validating each item like a create.
 *
 * Accepted shapes: JSON = the export document (`{"contexts": [...]}`, other keys ignored) or a bare array of
 * items; CSV = a header row naming the columns (`type` and `content` required, order free, unknown columns
 * ignored) and one row per item. The bytes must be UTF-8; a leading BOM is ignored.
 *
 * Item policy: good items are kept and each bad item adds one message `Context <id or #n>: <reason>` (the id
 * when the item carries a usable one, otherwise its 1-based position) to `errors`; nothing is dropped silently.
 * Ids, `created_at`, `last_used`, `status` and `superseded_by` are kept. An item without a usable id (missing,
 * not a string, too long or with characters outside `[A-Za-z0-9_.:-]`) gets a new id. When two accepted items
 * share an id, the later one is reported as `duplicate id` (the first wins); an item that failed does not claim
 * its id. Whether `superseded_by` points at a unit that exists is for the caller to decide.
 *
 * @throws ImportFormatError when the file as a whole is unusable: unsupported extension, not UTF-8, unparsable
 *   JSON or CSV, wrong top-level shape, or more than `options.maxItems` items.
 */
export function parseImport(input: { filename: string; bytes: Uint8Array }, options: ImportOptions): ImportParseResult {
  const format = formatOf(input.filename);
  const text = decodeUtf8(input.bytes);
  const items = format === 'json' ? readJsonItems(text, options.maxItems) : readCsvItems(text, options.maxItems);
  return validateItems(items, options);
}

function formatOf(filename: string): 'json' | 'csv' {
  const name = filename.toLowerCase();
  if (name.endsWith('.json')) {
    return 'json';
  }
  if (name.endsWith('.csv')) {
    return 'csv';
  }
  throw new ImportFormatError('Only JSON and CSV files are supported for import');
}

function decodeUtf8(bytes: Uint8Array): string {
  let text: string;
  try {
    // `fatal` refuses malformed bytes instead of silently storing U+FFFD in place of the user's text.
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    if (error instanceof TypeError) {
      throw new ImportFormatError('Invalid file encoding: expected UTF-8');
    }
    throw error;
  }
  // TextDecoder already drops one leading BOM; this keeps that true whatever decoder options change later.
  return text.startsWith('\uFEFF') ? text.slice(1) : text;
}

/** Longest parser message passed on, in code points. */
const MAX_PARSER_MESSAGE = 160;

/** A JSON or CSV parser's message, which quotes the file's own text: cut short and escaped like any echoed value. */
function parserMessage(error: Error): string {
  return echo(error.message, MAX_PARSER_MESSAGE);
}

function tooMany(maxItems: number): ImportFormatError {
  return new ImportFormatError(`Import file has more than ${maxItems} contexts`);
}

/** One item as read from the file, before validation: only the known fields, each possibly absent. */
type RawItem = Partial<Record<ExportField, unknown>>;

/** An item that cannot be read as fields (not an object, or a forbidden key); validation reports `reason`. */
class UnreadableItem {
  constructor(readonly reason: string) {}
}

type ReadItem = RawItem | UnreadableItem;

// Keys that mean "prototype" to careless object code. JSON.parse makes them plain own properties (harmless
// here, since only known fields are copied out), but a file carrying them is refused rather than passed on.
// A reviver that drops them is not used: V8 walks revivers recursively, so a deeply nested file would overflow
// the stack and surface as a RangeError instead of a clean format error.
const FORBIDDEN_KEYS = ['__proto__', 'constructor', 'prototype'];

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function forbiddenKeyOf(value: Record<string, unknown>): string | undefined {
  return FORBIDDEN_KEYS.find((key) => Object.hasOwn(value, key));
}

// ---------------------------------------------------------------------------------------------------------------
// Import: JSON

function readJsonItems(text: string, maxItems: number): ReadItem[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    if (error instanceof SyntaxError) {
      throw new ImportFormatError(`Invalid JSON file: ${parserMessage(error)}`);
    }
    throw error;
  }
  const list = jsonItemList(data);
  if (list.length > maxItems) {
    throw tooMany(maxItems);
  }
  return list.map(readJsonItem);
}

function jsonItemList(data: unknown): unknown[] {
  if (Array.isArray(data)) {
    return data;
  }
  if (isPlainObject(data)) {
    const forbidden = forbiddenKeyOf(data);
    if (forbidden !== undefined) {
      throw new ImportFormatError(`Invalid import file: forbidden key "${forbidden}"`);
    }
    const contexts = Object.hasOwn(data, 'contexts') ? data['contexts'] : undefined;
    if (Array.isArray(contexts)) {
      return contexts;
    }
  }
  throw new ImportFormatError('Invalid import file: expected an object with a "contexts" list');
}

function readJsonItem(value: unknown): ReadItem {
  if (!isPlainObject(value)) {
    return new UnreadableItem('expected an object');
  }
  const forbidden = forbiddenKeyOf(value);
  if (forbidden !== undefined) {
    return new UnreadableItem(`forbidden key "${forbidden}"`);
  }
  // Copy only the known fields into a fresh object; unknown keys are ignored.
  const item: RawItem = {};
  for (const field of EXPORT_FIELDS) {
    if (Object.hasOwn(value, field)) {
      item[field] = value[field];
    }
  }
  return item;
}

// ---------------------------------------------------------------------------------------------------------------
// Import: CSV

const REQUIRED_COLUMNS: readonly ExportField[] = ['type', 'content'];

function readCsvItems(text: string, maxItems: number): ReadItem[] {
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

// ---------------------------------------------------------------------------------------------------------------
// Import: item validation

function validateItems(items: readonly ReadItem[], options: ImportOptions): ImportParseResult {
  const units: ContextUnit[] = [];
  const errors: string[] = [];
  const seenIds = new Set<string>();
  items.forEach((item, index) => {
    const label = itemLabel(item, index);
    try {
      const unit = validateItem(item, options, seenIds);
      seenIds.add(unit.id);
      units.push(unit);
    } catch (error) {
      if (error instanceof InputRuleError) {
        errors.push(`Context ${label}: ${error.message}`);
        return;
      }
      throw error;
    }
  });
  return { units, errors, total: items.length };
}

/** The item's own id when it is usable, otherwise `#n` (1-based), so no odd text is echoed into messages. */
function itemLabel(item: ReadItem, index: number): string {
  const id = item instanceof UnreadableItem ? undefined : usableId(item.id);
  return id ?? `#${index + 1}`;
}

const ID_PATTERN = /^[A-Za-z0-9_.:-]+$/;
const MAX_ID_LENGTH = 100;

function usableId(value: unknown): string | undefined {
  return typeof value === 'string' && value.length <= MAX_ID_LENGTH && ID_PATTERN.test(value) ? value : undefined;
}

function validateItem(item: ReadItem, options: ImportOptions, seenIds: ReadonlySet<string>): ContextUnit {
  if (item instanceof UnreadableItem) {
    throw new InputRuleError(item.reason, 'item');
  }
  const fields = {
    type: checkType(item.type),
    content: checkContent(item.content, options.limits),
    confidence: checkConfidence(item.confidence),
    tags: checkTags(item.tags, options.limits),
    source: checkSource(item.source),
    status: checkStatus(item.status),
    createdAt: checkTimestamp(item.created_at, 'created_at') ?? options.now,
    lastUsed: checkNullableTimestamp(item.last_used, 'last_used'),
    supersededBy: checkLink(item.superseded_by),
  };
  const ownId = usableId(item.id);
  if (ownId !== undefined && seenIds.has(ownId)) {
    throw new InputRuleError('duplicate id', 'id');
  }
  // A new id is drawn only for an item that is otherwise good, so failed items use none up.
  return { id: ownId ?? options.newId(), ...fields };
}

function isOneOf<T extends string>(values: readonly T[], value: unknown): value is T {
  return typeof value === 'string' && (values as readonly string[]).includes(value);
}

function checkType(value: unknown): ContextType {
  if (!isOneOf(CONTEXT_TYPES, value)) {
    throw new InputRuleError(`type must be one of ${CONTEXT_TYPES.join(', ')}`, 'type');
  }
  return value;
}

function checkContent(value: unknown, limits: TextLimits): string {
  if (typeof value !== 'string') {
    throw new InputRuleError('content must be a string', 'content');
  }
  return cleanContent(value, limits);
}

function checkConfidence(value: unknown): number {
  if (value === undefined) {
    return 1;
  }
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw new InputRuleError('confidence must be a number between 0 and 1', 'confidence');
  }
  // -0 becomes 0: JSON writes both as 0, so keeping the sign would make the two formats disagree.
  return value === 0 ? 0 : value;
}

function checkTags(value: unknown, limits: TextLimits): string[] {
  if (value === undefined) {
    return [];
  }
  if (!Array.isArray(value) || !value.every((tag): tag is string => typeof tag === 'string')) {
    throw new InputRuleError('tags must be a list of strings', 'tags');
  }
  return cleanTags(value, limits);
}

const MAX_SOURCE_LENGTH = 200;

function checkSource(value: unknown): string {
  // A missing source is `manual`, as on create (the original skipped such items).
  if (value === undefined || value === null) {
    return 'manual';
  }
  if (typeof value !== 'string') {
    throw new InputRuleError('source must be a string', 'source');
  }
  return cleanLabel(value, MAX_SOURCE_LENGTH, 'manual');
}

function checkStatus(value: unknown): ContextStatus {
  if (value === undefined) {
    return 'active';
  }
  if (!isOneOf(CONTEXT_STATUSES, value)) {
    throw new InputRuleError(`status must be one of ${CONTEXT_STATUSES.join(', ')}`, 'status');
  }
  return value;
}

function checkLink(value: unknown): string | null {
  if (value === undefined || value === null) {
    return null;
  }
  const id = usableId(value);
  if (id === undefined) {
    // Unlike an item's own id, a bad link cannot be replaced by a new one: the item is refused, not rewired.
    throw new InputRuleError('superseded_by must be a valid id or null', 'superseded_by');
  }
  return id;
}

/** `undefined` when absent; the normalised timestamp otherwise. */
function checkTimestamp(value: unknown, field: string): string | undefined {
  if (value === undefined) {
    return undefined;
  }
  const timestamp = typeof value === 'string' ? normalizeTimestamp(value) : undefined;
  if (timestamp === undefined) {
    throw new InputRuleError(`${field} must be a valid timestamp`, field);
  }
  return timestamp;
}

function checkNullableTimestamp(value: unknown, field: string): string | null {
  if (value === undefined || value === null) {
    return null;
  }
  const timestamp = typeof value === 'string' ? normalizeTimestamp(value) : undefined;
  if (timestamp === undefined) {
    throw new InputRuleError(`${field} must be a valid timestamp or null`, field);
  }
  return timestamp;
}

// ISO 8601 / RFC 3339 date or date-time: year (4 digits, or ±6 as toISOString writes far years), optional time
// with seconds and fraction, optional zone. `T`, `t` or a space separates date and time.
const TIMESTAMP =
  /^([+-]\d{6}|\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?([Zz]|[+-]\d{2}:?\d{2})?)?$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  const isLeap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 && isLeap ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0);
}

/**
 * A timestamp in RFC 3339 UTC with milliseconds, or `undefined` when the text is not a real date-time.
 * Date.parse alone is not enough: it accepts implementation-specific text (`"1"` is 2001 in V8), rolls over
 * impossible dates (Feb 31 → Mar 3) and reads a date-time without zone as server-local time. Here the shape and
 * calendar are checked first, and a missing zone means UTC, as in the original's naive-UTC exports.
 */
export function normalizeTimestamp(text: string): string | undefined {
  const match = TIMESTAMP.exec(text);
  if (match === null) {
    return undefined;
  }
  const [, year = '', month = '', day = '', hour = '00', minute = '00', second = '00', fraction = '', zone] = match;
  const zoneOk =
    zone === undefined || /^[Zz]$/.test(zone) || (Number(zone.slice(1, 3)) <= 23 && Number(zone.slice(-2)) <= 59);
  const valid =
    Number(month) >= 1 &&
    Number(month) <= 12 &&
    Number(day) >= 1 &&
    Number(day) <= daysInMonth(Number(year), Number(month)) &&
    Number(hour) <= 23 &&
    Number(minute) <= 59 &&
    Number(second) <= 59 &&
    zoneOk;
  if (!valid) {
    return undefined;
  }
  // Milliseconds are what is stored; finer digits are truncated, as Date.parse does.
  const millis = fraction.slice(0, 3).padEnd(3, '0');
  const offset = zone === undefined || /^[Zz]$/.test(zone) ? 'Z' : `${zone.slice(0, 3)}:${zone.slice(-2)}`;
  const ms = Date.parse(`${year}-${month}-${day}T${hour}:${minute}:${second}.${millis}${offset}`);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}
