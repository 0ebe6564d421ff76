/**
 * What the precompiled validators (`generated/validators.js`) call at runtime, instead of ajv's runtime
 * modules: a string length in code points, the `date-time` format, the one way a violation is recorded
 * and the join of a schema compiled in parts. Kept here, tiny and typed, so the generated code needs
 * nothing from ajv or ajv-formats.
 */
import { createCachedDateTime } from './date-time';

/**
 * Length of `text` in Unicode code points, as JSON Schema's `minLength`/`maxLength` count it (a
 * surrogate pair is one character). Same algorithm as ajv's `ajv/dist/runtime/ucs2length`.
 */
export function ucs2length(text: string): number {
  const length = text.length;
  let count = 0;
  let pos = 0;
  while (pos < length) {
    count++;
    const unit = text.charCodeAt(pos++);
    // A high surrogate followed by a low one is a single code point.
    if (unit >= 0xd800 && unit <= 0xdbff && pos < length && (text.charCodeAt(pos) & 0xfc00) === 0xdc00) pos++;
  }
  return count;
}

/**
 * The formats the schemas use, by name. One cached `date-time` check is shared by every field with that
 * format (see {@link createCachedDateTime}).
 */
export const runtimeFormats: { readonly 'date-time': (text: string) => boolean } = {
  'date-time': createCachedDateTime(),
};

/** Records the first violation on the validator and fails. */
export function fail(
  validate: { errors?: unknown },
  instancePath: string,
  keyword: string,
  params: Record<string, unknown>,
): false {
  validate.errors = [{ instancePath, keyword, params }];
  return false;
}

/** A generated validator, as `discriminated()` calls it. */
interface PartValidator {
  (data: unknown, context?: { instancePath?: string }): boolean;
  errors?: unknown[] | null;
}

/**
 * One validator from the parts of a schema split by the generator
 * (`allOf: [{ if: { properties: { [key]: { const: value } } }, then: { properties: { [field]: … } } }, …]`
 * plus the rest, `base`), checking what ajv's code for the whole checks, in the same order, first
 * error only: for an object with `field`, each branch in turn whose `key` is its value or absent (an
 * absent `key` does not fail the `if`), then `base`.
 */
export function discriminated(
  base: PartValidator,
  key: string,
  field: string,
  branches: readonly (readonly [value: string, validate: PartValidator])[],
): PartValidator {
  const at = { instancePath: `/${field}` };
  const validate: PartValidator = (data) => {
    if (typeof data === 'object' && data !== null && !Array.isArray(data)) {
      const discriminant = (data as Record<string, unknown>)[key];
      const value = (data as Record<string, unknown>)[field];
      if (value !== undefined) {
        for (const [when, branch] of branches) {
          if ((discriminant === undefined || discriminant === when) && !branch(value, at)) {
            validate.errors = branch.errors;
            return false;
          }
        }
      }
    }
    const valid = base(data);
    validate.errors = base.errors;
    return valid;
  };
  return validate;
}
