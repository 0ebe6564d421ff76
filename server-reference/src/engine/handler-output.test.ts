import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { payloadBytes, toJsonValue, utf8Length } from './handler-output';

const jsonBytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)).byteLength;
// Characters JSON.stringify writes as themselves (no escape): what the fast path assumes.
const needsEscape = (s: string) =>
  Array.from(s).some((c) => c === '"' || c === '\\' || c.charCodeAt(0) < 0x20);
const plain = fc.string({ unit: 'grapheme', maxLength: 40 }).filter((s) => !needsEscape(s));

describe('payload measurement', () => {
  it('utf8Length is the UTF-8 byte length', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme' }),
        (s) => utf8Length(s) === new TextEncoder().encode(s).byteLength,
      ),
    );
  });

  it('a flat payload without escapes measures exactly its JSON text', () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          plain,
          fc.oneof(
            plain,
            fc.integer(),
            fc.double({ noNaN: true, noDefaultInfinity: true }),
            fc.boolean(),
            fc.constant(null),
          ),
        ),
        (payload) => payloadBytes(payload) === jsonBytes(payload),
      ),
    );
  });

  it('any JSON value measures its JSON text: exactly without escapes, never more with them', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const measured = payloadBytes(value);
        const actual = jsonBytes(value);
        if (!JSON.stringify(value).includes('\\')) expect(measured).toBe(actual);
        expect(measured).toBeLessThanOrEqual(actual);
      }),
    );
  });

  it('toJsonValue round-trips JSON values and refuses what JSON would change', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(toJsonValue(value, 'v').value).toEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
    expect(() => toJsonValue({ n: 1n }, 'v')).toThrow(/not JSON/);
    expect(() => toJsonValue([Number.NaN], 'v')).toThrow(/not JSON/);
  });
});
