/**
 * The JSON Schema `date-time` format (RFC 3339 §5.6) as ajv-formats 3 checks it in `full` mode, ported
 * so the precompiled validators need no ajv-formats at runtime (its module carries every format, ~12 KB).
 * `date-time.test.ts` holds the port to ajv-formats' own function on generated and edge-case strings.
 */

// RFC 3339 Appendix C.
const isLeapYear = (year: number) => year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);

const DATE = /^(\d\d\d\d)-(\d\d)-(\d\d)$/;
const DAYS = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const TIME = /^(\d\d):(\d\d):(\d\d(?:\.\d+)?)(z|([+-])(\d\d)(?::?(\d\d))?)?$/i;
const DATE_TIME_SEPARATOR = /t|\s/i;

function isFullDate(text: string): boolean {
  const m = DATE.exec(text);
  if (!m) return false;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  return (
    month >= 1 && month <= 12 && day >= 1 && day <= (month === 2 && isLeapYear(year) ? 29 : DAYS[month]!)
  );
}

// A time with a mandatory offset; 60 seconds only at 23:59 UTC (a leap second).
function isFullTime(text: string): boolean {
  const m = TIME.exec(text);
  if (!m) return false;
  const hour = Number(m[1]);
  const minute = Number(m[2]);
  const second = Number(m[3]);
  const sign = m[5] === '-' ? -1 : 1;
  const offsetHour = Number(m[6] ?? 0);
  const offsetMinute = Number(m[7] ?? 0);
  if (offsetHour > 23 || offsetMinute > 59 || !m[4]) return false;
  if (hour <= 23 && minute <= 59 && second < 60) return true;
  const utcMinute = minute - offsetMinute * sign;
  const utcHour = hour - offsetHour * sign - (utcMinute < 0 ? 1 : 0);
  return (utcHour === 23 || utcHour === -1) && (utcMinute === 59 || utcMinute === -1) && second < 61;
}

/**
 * True when `text` is an RFC 3339 `date-time` (protocol/SPEC.md §3 `createdAt`, `expiresAt`, `acceptedAt`), e.g.
 * `2026-05-04T12:00:00.123Z`: a calendar-valid date, `T`/`t`/space, a time with an offset.
 */
export function isDateTime(text: string): boolean {
  const parts = text.split(DATE_TIME_SEPARATOR);
  return parts.length === 2 && isFullDate(parts[0]!) && isFullTime(parts[1]!);
}

/**
 * {@link isDateTime} behind a one-entry cache. Every event's `createdAt` is checked, and a fast task
 * stamps many events with the same millisecond (the reference server reuses the string), so most checks
 * are one string comparison instead of a split, two regexes and a calendar check.
 */
export function createCachedDateTime(): (text: string) => boolean {
  let lastValid: string | undefined;
  return (text) => {
    if (text === lastValid) return true;
    if (!isDateTime(text)) return false;
    lastValid = text;
    return true;
  };
}
