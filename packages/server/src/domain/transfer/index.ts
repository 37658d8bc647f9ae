/**
 * Import and export codecs for context units (JSON and CSV). Pure: bytes and times come in as arguments, so the
 * route decides where the file comes from and the clock decides what "now" is.
 *
 * Export is a lossless backup: superseded units and `superseded_by` are included, and
 * {@link parseImport} reads both formats back into identical units.
 */
export { exportCsv, exportJson } from './export.js';
export { ImportFormatError } from './items.js';
export { parseImport } from './import.js';
export type { ImportOptions, ImportParseResult } from './import.js';
