/**
 * What the JSON and CSV readers hand to the import: the items of a file, each still unchecked, and the errors that
 * stop a whole file.
 */
import { echo } from '../echo.js';
import type { UnitRecord } from '../unit-rules.js';

/** The file as a whole cannot be imported (wrong format, bad encoding, unparsable, too many items). */
export class ImportFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImportFormatError';
  }
}

/** Longest parser message passed on, in code points. */
const MAX_PARSER_MESSAGE = 160;

/** A JSON or CSV parser's message, which quotes the file's own text: cut short and escaped like any echoed value. */
export function parserMessage(error: Error): string {
  return echo(error.message, MAX_PARSER_MESSAGE);
}

export function tooMany(maxItems: number): ImportFormatError {
  return new ImportFormatError(`Import file has more than ${maxItems} contexts`);
}

/** One item as read from the file, before validation: only the known fields, each possibly absent. */
export type RawItem = UnitRecord;

/** An item that cannot be read as fields (not an object, or a forbidden key); validation reports `reason`. */
export class UnreadableItem {
  constructor(readonly reason: string) {}
}

export type ReadItem = RawItem | UnreadableItem;
