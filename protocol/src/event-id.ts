/**
 * Ordering of opaque event ids (SPEC.md §3). Ids of the forms `<int>` and `<int>-<int>` (Redis stream
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
 */
export function parseEventId(id: string): readonly [bigint, bigint] | undefined {
  const match = ID_PATTERN.exec(id);
  if (!match) return undefined;
  return [BigInt(match[1] as string), BigInt(match[2] ?? '0')];
}

/**
 * Compares two event ids numerically and component-wise.
 *
 * @returns -1 when `a` is older, 1 when newer, 0 when equal, `'incomparable'` when either id is not of
 *   the form `<int>` or `<int>-<int>`.
 * @example compareEventIds('9-0', '10-0') // -1
 * @example compareEventIds('3', '4-0') // -1
 * @example compareEventIds('hb-1', '4') // 'incomparable'
 */
export function compareEventIds(a: string, b: string): EventIdOrder {
  if (a === b) return 0;
  const pa = parseEventId(a);
  const pb = parseEventId(b);
  if (!pa || !pb) return 'incomparable';
  if (pa[0] !== pb[0]) return pa[0] < pb[0] ? -1 : 1;
  if (pa[1] !== pb[1]) return pa[1] < pb[1] ? -1 : 1;
  return 0;
}

/**
 * True when `candidate` is strictly newer than `cursor`. A `null`/empty cursor means "before the
 * oldest event" (SPEC.md §3 replay), so every id is newer. Returns `undefined` when incomparable.
 */
export function isNewerEventId(candidate: string, cursor: string | null | undefined): boolean | undefined {
  if (cursor === null || cursor === undefined || cursor === '') return true;
  const order = compareEventIds(candidate, cursor);
  return order === 'incomparable' ? undefined : order === 1;
}
