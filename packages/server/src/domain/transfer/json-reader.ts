/** The JSON reader of the import: the export document or a bare list of items. */
import { EXPORT_FIELDS } from './export.js';
import { ImportFormatError, parserMessage, tooMany, UnreadableItem } from './items.js';
import type { RawItem, ReadItem } from './items.js';

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

/**
 * The items of a JSON import: only the known fields of each, unchecked.
 * @throws ImportFormatError for text that is not JSON, a wrong top-level shape or more than `maxItems` items
 */
export function readJsonItems(text: string, maxItems: number): ReadItem[] {
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
