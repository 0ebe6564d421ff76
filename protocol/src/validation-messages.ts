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

const text = (value: unknown): string => String(value);

// One entry per keyword the schemas use; `npm run generate:validators` fails on a keyword missing here.
const MESSAGES: Readonly<Record<string, (params: Record<string, unknown>) => string>> = {
  type: (p) => `must be ${text(p.type)}`,
  required: (p) => `must have required property '${text(p.missingProperty)}'`,
  additionalProperties: () => 'must NOT have additional properties',
  enum: () => 'must be equal to one of the allowed values',
  const: () => 'must be equal to constant',
  format: (p) => `must match format "${text(p.format)}"`,
  minLength: (p) => `must NOT have fewer than ${text(p.limit)} characters`,
  maxLength: (p) => `must NOT have more than ${text(p.limit)} characters`,
  minItems: (p) => `must NOT have fewer than ${text(p.limit)} items`,
  maxItems: (p) => `must NOT have more than ${text(p.limit)} items`,
  minimum: (p) => `must be ${text(p.comparison)} ${text(p.limit)}`,
  maximum: (p) => `must be ${text(p.comparison)} ${text(p.limit)}`,
  if: (p) => `must match "${text(p.failingKeyword)}" schema`,
};

/** The keywords {@link violationMessage} words; any other reads as `must pass "<keyword>" keyword validation`. */
export const WORDED_KEYWORDS: readonly string[] = Object.keys(MESSAGES);

/** ajv's message for one violation, e.g. `must have required property 'taskId'`. */
export function violationMessage({ keyword, params }: ViolationParams): string {
  return MESSAGES[keyword]?.(params) ?? `must pass "${keyword}" keyword validation`;
}
