/**
 * The rule of protocol/SPEC.md §11 every backend applies: a cursor is trimmed when events strictly
 * after it were deleted by retention.
 */
import { compareEventIds } from '@taskbridge/protocol';

/**
 * True when events strictly after `cursor` were deleted: something was trimmed (`trimmedThrough`, the
 * newest deleted eventId, is set) and the cursor is `null` (from the beginning) or older than it. A
 * cursor equal to `trimmedThrough` is not trimmed: everything after it is retained. Cursors are
 * validated before they get here, so ids always compare.
 */
export function isCursorTrimmed(cursor: string | null, trimmedThrough: string | null): boolean {
  if (trimmedThrough === null) return false;
  return cursor === null || compareEventIds(cursor, trimmedThrough) === -1;
}
