/**
 * Finds a schema whose `allOf` only says "when `<key>` is `<value>`, `<field>` must match …" (the
 * upstream `TaskEvent`: when `type` is `TASK_SUSPENDED`, `payload` must be a suspension) and splits it
 * into the rest of the schema plus one schema per branch. ajv compiles each `if` with bookkeeping for
 * errors it then throws away (about a third of the `TaskEvent` validator); compiled apart and joined by
 * `discriminated()` of `src/validator-runtime.ts`, the parts accept and report exactly what the whole
 * does (the generated validators' test compares them with ajv compiling the whole schema).
 */

/** A schema split by {@link splitDiscriminated}. */
export interface DiscriminatedSplit {
  /** The schema without its `allOf`. */
  base: Record<string, unknown>;
  /** The property each `if` compares with a `const`, e.g. `type`. */
  key: string;
  /** The property each `then` constrains, e.g. `payload`. */
  field: string;
  /** In `allOf` order: the `const` and the schema `field` must match when `key` has it. */
  branches: { value: string; schema: object }[];
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The only entry of `properties` of `schema` when that is all `schema` says, else `undefined`. */
function soleProperty(schema: unknown): [string, unknown] | undefined {
  if (!isObject(schema) || Object.keys(schema).join() !== 'properties' || !isObject(schema.properties)) {
    return undefined;
  }
  const entries = Object.entries(schema.properties);
  return entries.length === 1 ? entries[0] : undefined;
}

function branchOf(entry: unknown): { key: string; value: string; field: string; schema: object } | undefined {
  if (!isObject(entry) || Object.keys(entry).sort().join() !== 'if,then') return undefined;
  const condition = soleProperty(entry.if);
  const consequence = soleProperty(entry.then);
  if (!condition || !consequence) return undefined;
  const [key, test] = condition;
  const [field, schema] = consequence;
  if (!isObject(test) || Object.keys(test).join() !== 'const' || typeof test.const !== 'string')
    return undefined;
  // `field` becomes a JSON pointer segment as is: keep to names that need no escaping.
  if (!/^\w+$/.test(field) || !isObject(schema)) return undefined;
  return { key, value: test.const, field, schema };
}

/** The split of `schema`, or `undefined` when its `allOf` (if any) is not of that one shape. */
export function splitDiscriminated(schema: object): DiscriminatedSplit | undefined {
  const { allOf, ...base } = schema as Json;
  if (!Array.isArray(allOf) || allOf.length === 0) return undefined;
  const branches = allOf.map(branchOf);
  const [first] = branches;
  if (!first || branches.some((b) => !b || b.key !== first.key || b.field !== first.field)) return undefined;
  return {
    base,
    key: first.key,
    field: first.field,
    branches: branches.map((b) => ({ value: b?.value ?? '', schema: b?.schema ?? {} })),
  };
}
