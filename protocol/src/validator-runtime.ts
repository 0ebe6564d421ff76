/**
 * What the precompiled validators (`generated/validators.js`) call at runtime, instead of ajv's runtime
 * modules: a string length in code points and the `date-time` format. Kept here, tiny and typed, so the
 * generated code needs nothing from ajv or ajv-formats.
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
