/**
 * The import: reads a JSON or CSV file into sanitized context units, validating each item like a create. Pure:
 * bytes, limits, ids and the current time come in as arguments.
 */
import type { ContextUnit } from '../types.js';
import { checkUnitRecord, InputRuleError, usableId } from '../unit-rules.js';
import type { TextLimits } from '../unit-rules.js';
import { readCsvItems } from './csv-reader.js';
import { ImportFormatError, UnreadableItem } from './items.js';
import type { ReadItem } from './items.js';
import { readJsonItems } from './json-reader.js';

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
 * its id. An item whose `superseded_by` is its own id is refused, as an update refuses it; whether the link points
 * at a unit that exists is for the caller to decide.
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

function validateItem(item: ReadItem, options: ImportOptions, seenIds: ReadonlySet<string>): ContextUnit {
  if (item instanceof UnreadableItem) {
    throw new InputRuleError(item.reason, 'item');
  }
  const { id, unit } = checkUnitRecord(item, options);
  if (id !== undefined && seenIds.has(id)) {
    throw new InputRuleError('duplicate id', 'id');
  }
  // A new id is drawn only for an item that is otherwise good, so failed items use none up.
  return { id: id ?? options.newId(), ...unit };
}
