import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareEventIds, type EventIdOrder, parseEventId } from './event-id';

/** The definition `compareEventIds` must agree with: parse to bigints, compare component-wise. */
function reference(a: string, b: string): EventIdOrder {
  const pa = parseEventId(a);
  const pb = parseEventId(b);
  if (!pa || !pb) return a === b ? 0 : 'incomparable';
  if (pa[0] !== pb[0]) return pa[0] < pb[0] ? -1 : 1;
  if (pa[1] !== pb[1]) return pa[1] < pb[1] ? -1 : 1;
  return 0;
}

// Digit runs with leading zeros and past 2^53, so the in-place comparison meets every case bigints do.
const digits = fc.stringMatching(/^[0-9]{1,22}$/);
const comparableId = fc.oneof(
  digits,
  fc.tuple(digits, digits).map(([ms, seq]) => `${ms}-${seq}`),
);
const anyId = fc.oneof(
  comparableId,
  fc.constantFrom('', '-', '1-', '-1', '1--2', '1-2-3', 'hb-1', ' 1', '1 ', '١٢', '0x10', '1e3', '+1'),
  fc.string({ maxLength: 6 }),
);

describe('compareEventIds (in place) agrees with the bigint definition', () => {
  it('for comparable ids, including leading zeros and huge components', () => {
    fc.assert(
      fc.property(comparableId, comparableId, (a, b) => {
        expect(compareEventIds(a, b)).toBe(reference(a, b));
      }),
    );
  });

  it('for any strings, malformed ones included', () => {
    fc.assert(
      fc.property(anyId, anyId, (a, b) => {
        expect(compareEventIds(a, b)).toBe(reference(a, b));
      }),
    );
  });

  it('on the edge cases written out', () => {
    expect(compareEventIds('007', '7')).toBe(0);
    expect(compareEventIds('7-000', '7')).toBe(0);
    expect(compareEventIds('9007199254740993', '9007199254740992')).toBe(1);
    expect(compareEventIds('1-', '1')).toBe('incomparable');
    expect(compareEventIds('-1', '1')).toBe('incomparable');
    expect(compareEventIds('', '0')).toBe('incomparable');
  });
});
