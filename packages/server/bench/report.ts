/** Result rows, targets and the printed table of the benchmark. Pure formatting: no I/O besides the returned text. */
import { formatMs } from './load.js';

export type Unit = 'ms' | 'MB' | 'req/s' | 'units/s' | '%' | 'count';

export interface Target {
  /** `max`: the value must be at most `limit`; `min`: at least. */
  kind: 'max' | 'min';
  limit: number;
}

export interface Row {
  section: string;
  /** Data size the number was measured at (units), when it matters. */
  size?: number;
  metric: string;
  value: number;
  unit: Unit;
  target?: Target;
  note?: string;
  /** Cores used by other processes on the machine while this was measured (see cpu.ts). */
  otherCores?: number | null;
}

/** Above this many cores used by other processes, a number is marked as measured on a busy machine. */
export const BUSY_CORES = 0.3;

export type Verdict = 'PASS' | 'MISS' | 'info';

export function verdict(row: Row): Verdict {
  if (row.target === undefined) {
    return 'info';
  }
  if (!Number.isFinite(row.value)) {
    return 'MISS';
  }
  return row.target.kind === 'max'
    ? row.value <= row.target.limit
      ? 'PASS'
      : 'MISS'
    : row.value >= row.target.limit
      ? 'PASS'
      : 'MISS';
}

export function formatValue(value: number, unit: Unit): string {
  if (!Number.isFinite(value)) {
    return 'n/a';
  }
  switch (unit) {
    case 'ms':
      return formatMs(value);
    case 'MB':
      return `${value.toFixed(0)} MB`;
    case 'req/s':
      return `${value.toFixed(value >= 100 ? 0 : 1)} req/s`;
    case 'units/s':
      return `${value.toFixed(0)} units/s`;
    case '%':
      return `${value.toFixed(1)} %`;
    case 'count':
      return String(Math.round(value));
  }
}

function formatTarget(row: Row): string {
  if (row.target === undefined) {
    return '—';
  }
  return `${row.target.kind === 'max' ? '≤' : '≥'} ${formatValue(row.target.limit, row.unit)}`;
}

function formatSize(size: number | undefined): string {
  if (size === undefined) {
    return '';
  }
  return size >= 1000 && size % 1000 === 0 ? `${size / 1000}k` : String(size);
}

/**
 * A fixed-width table: section, size, metric, value, target, verdict, cores used by other processes meanwhile
 * (`!` when above {@link BUSY_CORES}), note.
 */
export function formatTable(rows: readonly Row[]): string {
  const header = ['section', 'size', 'metric', 'value', 'target', 'result', 'others', 'note'];
  const others = (r: Row) =>
    r.otherCores === undefined || r.otherCores === null
      ? ''
      : `${r.otherCores.toFixed(2)}${r.otherCores > BUSY_CORES ? ' !' : ''}`;
  const body = rows.map((r) => [
    r.section,
    formatSize(r.size),
    r.metric,
    formatValue(r.value, r.unit),
    formatTarget(r),
    verdict(r),
    others(r),
    r.note ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((cells) => (cells[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 3 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const out = [line(header), widths.map((n) => '─'.repeat(n)).join('  ')];
  let previous = '';
  for (const [i, cells] of body.entries()) {
    const section = `${rows[i]?.section}/${rows[i]?.size ?? ''}`;
    if (previous !== '' && section !== previous) {
      out.push('');
    }
    previous = section;
    out.push(line(cells));
  }
  return out.join('\n');
}

/** `N PASS, M MISS` over the rows with a target. */
export function tally(rows: readonly Row[]): { pass: number; miss: number; missed: Row[] } {
  const missed = rows.filter((r) => verdict(r) === 'MISS');
  return { pass: rows.filter((r) => verdict(r) === 'PASS').length, miss: missed.length, missed };
}
