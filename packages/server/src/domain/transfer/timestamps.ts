/** Reading the times an import file carries. Pure: no clock, no time zone of the machine. */

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
