/** Dates from the API are RFC 3339 UTC (`…Z`); these show them in the user's own time zone and locale. */

function toDate(value: string | number | Date): Date | null {
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** Date and time, e.g. "2 Jan 2026, 04:04". */
export function formatDateTime(value: string | number | Date, timeZone?: string): string {
  const date = toDate(value);
  if (!date) {
    return '';
  }
  return new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short', timeZone }).format(date);
}

/** Time only when the date is today (in the zone), date and time otherwise. */
export function formatMessageTime(value: string | number | Date, now: Date = new Date(), timeZone?: string): string {
  const date = toDate(value);
  if (!date) {
    return '';
  }
  const day = new Intl.DateTimeFormat('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit', timeZone });
  if (day.format(date) === day.format(now)) {
    return new Intl.DateTimeFormat(undefined, { timeStyle: 'short', timeZone }).format(date);
  }
  return formatDateTime(date, timeZone);
}

/** Milliseconds since the epoch, or 0 for a missing or unreadable value. */
export function timeValue(value: string | null | undefined): number {
  if (!value) {
    return 0;
  }
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? 0 : ms;
}

/** Today's date in UTC as YYYY-MM-DD (export file names). */
export function isoDate(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10);
}
