/**
 * Cursors as Redis stream ids. Cursors are validated before they get here (`checkCursor`: `<int>` or
 * `<int>-<int>`), but a valid cursor may still be outside what Redis accepts (components above
 * 2^64 − 1, leading zeros); this maps it to an exclusive `XRANGE` start that orders the same way.
 */
import { parseEventId } from '@taskbridge/protocol';

const MAX_U64 = 2n ** 64n - 1n;

/**
 * The `XRANGE` start for "strictly after `cursor`": `-` for `null`, `(<ms>-<seq>` normally, an
 * inclusive `<ms+1>-0` when the sequence overflows, or `null` when nothing can be newer.
 */
export function rangeStartAfter(cursor: string | null): string | null {
  if (cursor === null) return '-';
  const parsed = parseEventId(cursor);
  // checkCursor ran first; an unparsable cursor here is a bug upstream, read nothing rather than err.
  if (!parsed) return null;
  const [ms, seq] = parsed;
  if (ms > MAX_U64) return null;
  if (seq <= MAX_U64) return `(${ms}-${seq}`;
  return ms === MAX_U64 ? null : `${ms + 1n}-0`;
}

/** The ms part of a stream id, e.g. `1700000000000` for `1700000000000-3`. */
export function msOf(streamId: string): number {
  return Number(streamId.slice(0, streamId.indexOf('-')));
}
