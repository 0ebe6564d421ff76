import { fullFormats } from 'ajv-formats/dist/formats.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createCachedDateTime, isDateTime } from './date-time';
import { ucs2length } from './validator-runtime';

// ajv-formats' own check, which the generated validators used to call (and the port must match).
const ajvFormatsDateTime = (fullFormats['date-time'] as { validate: (text: string) => boolean }).validate;

const EDGE_CASES = [
  '2026-05-04T12:00:00Z',
  '2026-05-04T12:00:00.123456Z',
  '2026-05-04t12:00:00z',
  '2026-05-04 12:00:00+02:00',
  '2026-05-04T12:00:00+0200',
  '2026-05-04T12:00:00+02',
  '2026-05-04T12:00:00',
  '2026-05-04',
  '2024-02-29T00:00:00Z',
  '2023-02-29T00:00:00Z',
  '1900-02-29T00:00:00Z',
  '2000-02-29T00:00:00Z',
  '2026-04-31T00:00:00Z',
  '2026-13-01T00:00:00Z',
  '2026-00-10T00:00:00Z',
  '2026-05-00T00:00:00Z',
  '2016-12-31T23:59:60Z',
  '2016-12-31T23:59:60.5Z',
  '2016-12-31T15:59:60-08:00',
  '2016-12-31T23:59:61Z',
  '2016-12-31T22:59:60Z',
  '2026-05-04T24:00:00Z',
  '2026-05-04T12:60:00Z',
  '2026-05-04T12:00:00+24:00',
  '2026-05-04T12:00:00+23:60',
  '2026-05-04TT12:00:00Z',
  '2026-05-04T12:00:00Z ',
  '２０２６-05-04T12:00:00Z',
  '',
];

// Strings shaped like date-times, with every field free to go out of range.
const dateTimeLike = fc
  .tuple(
    fc.integer({ min: 0, max: 9999 }),
    fc.integer({ min: 0, max: 14 }),
    fc.integer({ min: 0, max: 32 }),
    fc.constantFrom('T', 't', ' ', 'x', 'TT'),
    fc.integer({ min: 0, max: 25 }),
    fc.integer({ min: 0, max: 61 }),
    fc.integer({ min: 0, max: 61 }),
    fc.constantFrom('', '.5', '.123456789'),
    fc.constantFrom('', 'Z', 'z', '+00:00', '-08:00', '+2400', '+05:61', '+05', '-'),
  )
  .map(([y, mo, d, sep, h, mi, s, frac, tz]) => {
    const two = (n: number) => String(n).padStart(2, '0');
    return `${String(y).padStart(4, '0')}-${two(mo)}-${two(d)}${sep}${two(h)}:${two(mi)}:${two(s)}${frac}${tz}`;
  });

describe('date-time (the port of ajv-formats)', () => {
  it.each(EDGE_CASES)('agrees with ajv-formats on %j', (text) => {
    expect(isDateTime(text)).toBe(ajvFormatsDateTime(text));
  });

  it('agrees with ajv-formats on generated date-time-like and arbitrary strings', () => {
    fc.assert(
      fc.property(fc.oneof(dateTimeLike, fc.string()), (text) => {
        expect(isDateTime(text)).toBe(ajvFormatsDateTime(text));
      }),
      { numRuns: 2000 },
    );
  });

  it('the cached check remembers only a valid value and still rejects invalid ones', () => {
    const check = createCachedDateTime();
    expect(check('2026-05-04T12:00:00Z')).toBe(true);
    expect(check('2026-05-04T12:00:00Z')).toBe(true);
    expect(check('2026-02-30T12:00:00Z')).toBe(false);
    expect(check('2026-02-30T12:00:00Z')).toBe(false);
    expect(check('2026-05-04T12:00:01Z')).toBe(true);
  });
});

describe('ucs2length', () => {
  it('counts code points, a surrogate pair as one', () => {
    expect(ucs2length('')).toBe(0);
    expect(ucs2length('abc')).toBe(3);
    expect(ucs2length('a😀b')).toBe(3);
    // A lone surrogate is still one character.
    expect(ucs2length('\ud83d')).toBe(1);
    expect(ucs2length('\ud83dx')).toBe(2);
  });

  it('agrees with the string iterator on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        expect(ucs2length(text)).toBe([...text].length);
      }),
    );
  });
});
