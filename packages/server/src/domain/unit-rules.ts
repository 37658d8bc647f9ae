/**
 * What a valid context unit is. Every rule on a unit's fields lives here, and create, update, JSON import and CSV
 * import all call these functions, so each path stores the same thing and refuses the same input with the same
 * message. Pure. A broken rule throws {@link InputRuleError}: services turn it into a 400, the import into one line
 * of its error list.
 *
 * The request schemas of `@contextpilot/contract` check JSON shapes before a request gets here; the checks below that
 * repeat them (type, confidence range) are what guard the paths without a schema, such as import files.
 */
import { CONTEXT_STATUSES, CONTEXT_TYPES, UNIT_RULES } from '@contextpilot/contract';

import { echo } from './echo.js';
import { codePointLength, isWellFormed, sanitizeText } from './sanitize.js';
import { normalizeTimestamp } from './transfer/timestamps.js';
import type { ContextStatus, ContextType, ContextUnit } from './types.js';

/** The configurable limits on a unit's text (`config.ts` reads them; the contract holds the defaults). */
export interface TextLimits {
  maxContentLength: number;
  maxTagCount: number;
  maxTagLength: number;
}

/**
 * A rule broken by user input; services turn it into a 400 with `message`. `field` names the field the rule is
 * about, and is absent for a rule about the unit as a whole.
 */
export class InputRuleError extends Error {
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'InputRuleError';
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Content, tags and source: the cleaning of user text

const NONCHARACTERS = /[\uFFFE\uFFFF]/;

/**
 * Validates and cleans context content (or a prompt's task, which follows the same rules): sanitized as
 * {@link sanitizeText} does, non-empty, at most `maxContentLength` code points once cleaned.
 * @throws InputRuleError "Content cannot be empty" / "Content exceeds maximum length of N characters" /
 *   "Content contains invalid Unicode"
 */
export function cleanContent(text: string, limits: Pick<TextLimits, 'maxContentLength'>, field = 'content'): string {
  if (!isWellFormed(text) || NONCHARACTERS.test(text)) {
    throw new InputRuleError('Content contains invalid Unicode', field);
  }
  const clean = sanitizeText(text);
  if (clean === '') {
    throw new InputRuleError('Content cannot be empty', field);
  }
  // Length is measured on the stored value, so stripped characters never count against the limit.
  if (codePointLength(clean) > limits.maxContentLength) {
    throw new InputRuleError(`Content exceeds maximum length of ${limits.maxContentLength} characters`, field);
  }
  return clean;
}

const TAG_PATTERN = /^[\p{L}\p{N}\p{M}_\- ]+$/u;

/**
 * Validates and cleans a tag list: each tag NFKC-normalised, trimmed, inner whitespace collapsed; duplicates
 * (compared case-insensitively) merged, keeping the first spelling. The count limit applies after merging.
 * @throws InputRuleError with the v1 messages ("Tags cannot be empty", "Maximum N tags allowed", …)
 */
export function cleanTags(tags: readonly string[], limits: Pick<TextLimits, 'maxTagCount' | 'maxTagLength'>): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of tags) {
    if (!isWellFormed(raw)) {
      throw new InputRuleError('Tags contain invalid Unicode', 'tags');
    }
    const tag = sanitizeText(raw.normalize('NFKC')).replace(/\s+/gu, ' ');
    if (tag === '') {
      throw new InputRuleError('Tags cannot be empty', 'tags');
    }
    if (codePointLength(tag) > limits.maxTagLength) {
      throw new InputRuleError(
        `Tag '${echo(tag)}' exceeds maximum length of ${limits.maxTagLength} characters`,
        'tags',
      );
    }
    if (!TAG_PATTERN.test(tag)) {
      throw new InputRuleError(
        `Tag '${echo(tag)}' contains invalid characters. Only alphanumeric, spaces, hyphens, and underscores allowed`,
        'tags',
      );
    }
    const key = tag.toLowerCase();
    if (!seen.has(key)) {
      seen.add(key);
      out.push(tag);
    }
  }
  if (out.length > limits.maxTagCount) {
    throw new InputRuleError(`Maximum ${limits.maxTagCount} tags allowed`, 'tags');
  }
  return out;
}

/**
 * Cleans a source label: sanitized, whitespace collapsed to single spaces, at most `maxLength` code points
 * (default {@link UNIT_RULES}.maxSourceLength); a label that is blank once cleaned becomes `manual`.
 * @throws InputRuleError "Source contains invalid Unicode" / "Source exceeds maximum length of N characters"
 */
export function cleanSource(text: string, maxLength: number = UNIT_RULES.maxSourceLength): string {
  if (!isWellFormed(text)) {
    throw new InputRuleError('Source contains invalid Unicode', 'source');
  }
  const clean = sanitizeText(text).replace(/\s+/gu, ' ');
  if (codePointLength(clean) > maxLength) {
    throw new InputRuleError(`Source exceeds maximum length of ${maxLength} characters`, 'source');
  }
  return clean === '' ? UNIT_RULES.defaultSource : clean;
}

// ---------------------------------------------------------------------------------------------------------------
// One field at a time, from any value (a request body already shaped by its schema, or an item of a file)

function isOneOf<T extends string>(values: readonly T[], value: unknown): value is T {
  return typeof value === 'string' && (values as readonly string[]).includes(value);
}

/** True for one of the four unit types (case-sensitive). */
export function isContextType(value: unknown): value is ContextType {
  return isOneOf(CONTEXT_TYPES, value);
}

/** True for `active` or `superseded`. */
export function isContextStatus(value: unknown): value is ContextStatus {
  return isOneOf(CONTEXT_STATUSES, value);
}

/** @throws InputRuleError unless `value` is one of {@link CONTEXT_TYPES} */
export function checkType(value: unknown): ContextType {
  if (!isContextType(value)) {
    throw new InputRuleError(`type must be one of ${CONTEXT_TYPES.join(', ')}`, 'type');
  }
  return value;
}

/** Cleaned content ({@link cleanContent}). @throws InputRuleError for a non-string or a broken content rule */
export function checkContent(value: unknown, limits: Pick<TextLimits, 'maxContentLength'>): string {
  if (typeof value !== 'string') {
    throw new InputRuleError('content must be a string', 'content');
  }
  return cleanContent(value, limits);
}

/**
 * A confidence in [0, 1]; absent means the default (1). -0 becomes 0: JSON writes both as 0, so keeping the sign
 * would make the CSV export (`-0.0`) and the JSON export disagree.
 * @throws InputRuleError for anything but a number in [0, 1]
 */
export function checkConfidence(value: unknown): number {
  if (value === undefined) {
    return UNIT_RULES.defaultConfidence;
  }
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw new InputRuleError('confidence must be a number between 0 and 1', 'confidence');
  }
  return value === 0 ? 0 : value;
}

/** Cleaned tags ({@link cleanTags}); absent means none. @throws InputRuleError for anything but a list of strings */
export function checkTags(value: unknown, limits: Pick<TextLimits, 'maxTagCount' | 'maxTagLength'>): string[] {
  if (value === undefined) {
    return [];
  }
  if (!Array.isArray(value) || !value.every((tag): tag is string => typeof tag === 'string')) {
    throw new InputRuleError('tags must be a list of strings', 'tags');
  }
  return cleanTags(value, limits);
}

/** A cleaned source ({@link cleanSource}); absent or null means `manual`. @throws InputRuleError for a non-string */
export function checkSource(value: unknown): string {
  if (value === undefined || value === null) {
    return UNIT_RULES.defaultSource;
  }
  if (typeof value !== 'string') {
    throw new InputRuleError('source must be a string', 'source');
  }
  return cleanSource(value);
}

/** A status; absent means `active`. @throws InputRuleError unless `value` is one of {@link CONTEXT_STATUSES} */
export function checkStatus(value: unknown): ContextStatus {
  if (value === undefined) {
    return 'active';
  }
  if (!isContextStatus(value)) {
    throw new InputRuleError(`status must be one of ${CONTEXT_STATUSES.join(', ')}`, 'status');
  }
  return value;
}

const ID_PATTERN = /^[A-Za-z0-9_.:-]+$/;
const MAX_ID_LENGTH = 100;

/** `value` when it can serve as a unit id (a string of 1–100 characters from `[A-Za-z0-9_.:-]`), else undefined. */
export function usableId(value: unknown): string | undefined {
  return typeof value === 'string' && value.length <= MAX_ID_LENGTH && ID_PATTERN.test(value) ? value : undefined;
}

/**
 * The link to the unit that supersedes this one, which can never be the unit itself. Whether the target exists is
 * for the caller to decide (an update requires it; an import keeps links to units outside the file).
 * @throws InputRuleError "A context cannot supersede itself"
 */
export function checkSupersededBy(id: string | undefined, link: string | null): string | null {
  if (link !== null && link === id) {
    throw new InputRuleError('A context cannot supersede itself');
  }
  return link;
}

// ---------------------------------------------------------------------------------------------------------------
// Whole units

/** The fields a caller chooses for a new unit, as given: any value, each possibly absent. */
export interface UnitInput {
  type?: unknown;
  content?: unknown;
  confidence?: unknown;
  tags?: unknown;
  source?: unknown;
}

/** The fields of a new unit once checked and cleaned. */
export type UnitFields = Pick<ContextUnit, 'type' | 'content' | 'confidence' | 'tags' | 'source'>;

/**
 * Checks and cleans the fields of a new unit; absent ones get their defaults (confidence 1, no tags, source
 * `manual`). Fields are checked in the order type, content, confidence, tags, source; the first broken rule throws.
 * @throws InputRuleError
 */
export function checkNewUnit(input: UnitInput, limits: TextLimits): UnitFields {
  return {
    type: checkType(input.type),
    content: checkContent(input.content, limits),
    confidence: checkConfidence(input.confidence),
    tags: checkTags(input.tags, limits),
    source: checkSource(input.source),
  };
}

/** A unit as an export file holds it (v1 wire names): any value, each possibly absent. */
export interface UnitRecord extends UnitInput {
  id?: unknown;
  status?: unknown;
  created_at?: unknown;
  last_used?: unknown;
  superseded_by?: unknown;
}

/**
 * Checks and cleans a unit restored from an export file: the fields of {@link checkNewUnit}, then status
 * (default `active`), `created_at` (default `now`), `last_used` and `superseded_by` (default null; never the
 * record's own id, as on update). Times are normalised to RFC 3339 UTC with milliseconds. `id` is the record's
 * own id when {@link usableId} accepts it, otherwise undefined, and the caller draws a new one.
 * @throws InputRuleError for the first broken rule
 */
export function checkUnitRecord(
  record: UnitRecord,
  options: { limits: TextLimits; now: string },
): { id: string | undefined; unit: Omit<ContextUnit, 'id'> } {
  const id = usableId(record.id);
  const unit = {
    ...checkNewUnit(record, options.limits),
    status: checkStatus(record.status),
    createdAt: checkTimestamp(record.created_at, 'created_at') ?? options.now,
    lastUsed: checkNullableTimestamp(record.last_used, 'last_used'),
    supersededBy: checkSupersededBy(id, checkLink(record.superseded_by)),
  };
  return { id, unit };
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
