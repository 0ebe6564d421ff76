/**
 * Ordering of opaque event ids (protocol/SPEC.md §3). Ids of the forms `<int>` and `<int>-<int>` (Redis stream
 * ids) compare numerically, component by component, with a missing sequence read as 0. Anything else is
 * incomparable: callers then fall back to a recent-ids window. Never compare ids as strings:
 * `"10-0" < "9-0"` as strings.
 */

/** Result of {@link compareEventIds}: -1, 0, 1, or `'incomparable'`. */
export type EventIdOrder = -1 | 0 | 1 | 'incomparable';

const ID_PATTERN = /^(\d+)(?:-(\d+))?$/;

/**
 * Parses an id of the form `<int>` or `<int>-<int>` into `[major, minor]` as bigints (Redis ms
 * timestamps overflow nothing, but sequence parts are unbounded). Returns `undefined` for other forms.
 *
 * @see protocol/SPEC.md §3 (eventId forms)
 */
export function parseEventId(id: string): readonly [bigint, bigint] | undefined {
  const match = ID_PATTERN.exec(id);
  if (!match) return undefined;
  return [BigInt(match[1] as string), BigInt(match[2] ?? '0')];
}

/**
 * Compares two event ids numerically and component-wise.
 *
 * Runs on every delivered event (the client's sequencer, the server's replay search), so it reads the
 * digits in place instead of going through {@link parseEventId}: no regex, no bigint, no allocation.
 * Components of any length compare exactly (digit strings without leading zeros order by length, then
 * lexically).
 *
 * @returns -1 when `a` is older, 1 when newer, 0 when equal, `'incomparable'` when either id is not of
 *   the form `<int>` or `<int>-<int>`.
 * @example compareEventIds('9-0', '10-0') // -1
 * @example compareEventIds('3', '4-0') // -1
 * @example compareEventIds('hb-1', '4') // 'incomparable'
 */
export function compareEventIds(a: string, b: string): EventIdOrder {
  if (a === b) return 0;
  const dashA = separatorOf(a);
  const dashB = separatorOf(b);
  if (dashA < 0 || dashB < 0) return 'incomparable';
  const major = compareDigits(a, 0, dashA, b, 0, dashB);
  if (major !== 0) return major;
  // A missing sequence part is an empty digit run, which compares as 0.
  return compareDigits(
    a,
    Math.min(dashA + 1, a.length),
    a.length,
    b,
    Math.min(dashB + 1, b.length),
    b.length,
  );
}

const ZERO = 48;
const NINE = 57;
const DASH = 45;

/**
 * Where the major part of `<int>` or `<int>-<int>` ends: the index of the `-`, or `id.length` when
 * there is none; -1 when `id` has another form (the same language as `ID_PATTERN`).
 */
function separatorOf(id: string): number {
  const length = id.length;
  let dash = -1;
  for (let i = 0; i < length; i += 1) {
    const code = id.charCodeAt(i);
    if (code >= ZERO && code <= NINE) continue;
    if (code !== DASH || dash !== -1 || i === 0 || i === length - 1) return -1;
    dash = i;
  }
  if (length === 0) return -1;
  return dash === -1 ? length : dash;
}

/** Numeric order of the ASCII digit runs `a[aFrom, aTo)` and `b[bFrom, bTo)`; empty runs are 0. */
function compareDigits(
  a: string,
  aFrom: number,
  aTo: number,
  b: string,
  bFrom: number,
  bTo: number,
): -1 | 0 | 1 {
  while (aFrom < aTo && a.charCodeAt(aFrom) === ZERO) aFrom += 1;
  while (bFrom < bTo && b.charCodeAt(bFrom) === ZERO) bFrom += 1;
  const lengthA = aTo - aFrom;
  const lengthB = bTo - bFrom;
  if (lengthA !== lengthB) return lengthA < lengthB ? -1 : 1;
  for (let i = 0; i < lengthA; i += 1) {
    const da = a.charCodeAt(aFrom + i);
    const db = b.charCodeAt(bFrom + i);
    if (da !== db) return da < db ? -1 : 1;
  }
  return 0;
}

/**
 * True when `candidate` is strictly newer than `cursor`. A `null`/empty cursor means "before the
 * oldest event" (protocol/SPEC.md §3 replay), so every id is newer. Returns `undefined` when incomparable.
 */
export function isNewerEventId(candidate: string, cursor: string | null | undefined): boolean | undefined {
  if (cursor === null || cursor === undefined || cursor === '') return true;
  const order = compareEventIds(candidate, cursor);
  return order === 'incomparable' ? undefined : order === 1;
}
