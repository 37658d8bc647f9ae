/**
 * The import: reads a JSON or CSV file into sanitized context units, validating each item like a create. Pure:
 * bytes, limits, ids and the current time come in as arguments.
 */
import { CONTEXT_STATUSES, CONTEXT_TYPES } from '@contextpilot/contract';
import type { ContextStatus, ContextType } from '@contextpilot/contract';

import { cleanContent, cleanLabel, cleanTags, InputRuleError } from '../sanitize.js';
import type { TextLimits } from '../sanitize.js';
import type { ContextUnit } from '../types.js';
import { readCsvItems } from './csv-reader.js';
import { ImportFormatError, UnreadableItem } from './items.js';
import type { ReadItem } from './items.js';
import { readJsonItems } from './json-reader.js';
import { normalizeTimestamp } from './timestamps.js';

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
