import type { ContextUnit } from '@contextpilot/contract';

/** Where a command writes: stdout for results, stderr for progress and errors. */
export interface Output {
  /** `--json`: one JSON document on stdout, nothing else there. */
  json: boolean;
  /** stdout is a terminal (tables are cut to its width). */
  tty: boolean;
  columns: number;
  out: (text: string) => void;
  err: (text: string) => void;
}

export function createOutput(json: boolean): Output {
  const tty = process.stdout.isTTY === true;
  return {
    json,
    tty,
    columns: tty ? (process.stdout.columns ?? 100) : Infinity,
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
  };
}

/** Prints `value` as JSON with `--json`, else the text `render` makes of it. */
export function emit<T>(output: Output, value: T, render: (value: T) => string): void {
  if (output.json) {
    output.out(`${JSON.stringify(value, null, 2)}\n`);
    return;
  }
  // On a terminal, no text from the server (or a server --url points at) may act as a terminal command.
  const text = output.tty ? printable(render(value)) : render(value);
  output.out(text === '' || text.endsWith('\n') ? text : `${text}\n`);
}

/** Control characters (terminal escapes among them) shown as visible escapes: unit text is user data. */
export function printable(text: string): string {
  return text.replace(
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** One line: line breaks and tabs become spaces. */
const oneLine = (text: string) => printable(text.replace(/[\r\n\t]+/g, ' '));

function cut(text: string, width: number): string {
  const chars = [...text];
  return chars.length <= width ? text : `${chars.slice(0, Math.max(1, width - 1)).join('')}…`;
}

/**
 * Aligned columns under a header. The last column takes what is left of the terminal's width and is cut with `…`;
 * off a terminal nothing is cut.
 */
export function table(output: Output, headers: readonly string[], rows: readonly string[][]): string {
  const cells = rows.map((row) => row.map(oneLine));
  const widths = headers.map((header, i) =>
    Math.max([...header].length, ...cells.map((row) => [...(row[i] ?? '')].length)),
  );
  const last = headers.length - 1;
  const fixed = widths.slice(0, last).reduce((sum, w) => sum + w + 2, 0);
  const lastWidth = Math.max(10, output.columns - fixed);
  const line = (row: readonly string[]) =>
    row
      .map((cell, i) => (i === last ? cut(cell, lastWidth) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...cells.map(line)].join('\n');
}

/** A list as a table, one row per item, or `empty` when there is none. */
export function listTable<T>(
  output: Output,
  items: readonly T[],
  view: { empty: string; headers: readonly string[]; row: (item: T) => string[] },
): string {
  return items.length === 0 ? view.empty : table(output, view.headers, items.map(view.row));
}

/** The list view of units. */
export function unitTable(output: Output, units: readonly ContextUnit[]): string {
  return listTable(output, units, {
    empty: 'No context units.',
    headers: ['ID', 'TYPE', 'CONF', 'STATUS', 'TAGS', 'CONTENT'],
    row: (u) => [u.id, u.type, u.confidence.toFixed(2), u.status, u.tags.join(','), u.content],
  });
}

/** The detail view of one unit. */
export function unitDetail(unit: ContextUnit): string {
  const rows: Array<[string, string]> = [
    ['id', unit.id],
    ['type', unit.type],
    ['status', unit.status],
    ['confidence', String(unit.confidence)],
    ['tags', unit.tags.join(', ') || '-'],
    ['source', unit.source],
    ['created', unit.created_at],
    ['last used', unit.last_used ?? '-'],
  ];
  if (unit.superseded_by !== null) {
    rows.push(['superseded by', unit.superseded_by]);
  }
  const width = Math.max(...rows.map(([key]) => key.length));
  return [...rows.map(([key, value]) => `${key.padEnd(width)}  ${oneLine(value)}`), '', printable(unit.content)].join(
    '\n',
  );
}
