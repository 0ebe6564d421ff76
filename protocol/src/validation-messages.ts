/**
 * The English message of a schema violation, built from its keyword and params when it is read. The
 * precompiled validators are generated without ajv's message strings (`messages: false`): each failure
 * site would otherwise carry its own copy, which costs every app's bundle about a kilobyte. The wording
 * is ajv's, word for word (the generated validators' test compares the two).
 */

/** A violation as the generated validators report it (the fields a message is built from). */
export interface ViolationParams {
  keyword: string;
  params: Record<string, unknown>;
}

// One template per keyword the schemas use (`{name}` reads that param); `npm run
// generate:validators` fails on a keyword missing here.
const MESSAGES: Readonly<Record<string, string>> = {
  type: 'must be {type}',
  required: "must have required property '{missingProperty}'",
  additionalProperties: 'must NOT have additional properties',
  enum: 'must be equal to one of the allowed values',
  const: 'must be equal to constant',
  format: 'must match format "{format}"',
  minLength: 'must NOT have fewer than {limit} characters',
  maxLength: 'must NOT have more than {limit} characters',
  minItems: 'must NOT have fewer than {limit} items',
  maxItems: 'must NOT have more than {limit} items',
  minimum: 'must be {comparison} {limit}',
  maximum: 'must be {comparison} {limit}',
  if: 'must match "{failingKeyword}" schema',
};

/** True for a keyword {@link violationMessage} words (any other reads as `must pass "<keyword>" keyword validation`). */
export function isWordedKeyword(keyword: string): boolean {
  return Object.hasOwn(MESSAGES, keyword);
}

/** ajv's message for one violation, e.g. `must have required property 'taskId'`. */
export function violationMessage({ keyword, params }: ViolationParams): string {
  const template = MESSAGES[keyword] ?? `must pass "${keyword}" keyword validation`;
  return template.replace(/\{(\w+)\}/g, (_, name: string) => String(params[name]));
}
