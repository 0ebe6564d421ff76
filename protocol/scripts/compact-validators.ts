/**
 * Shrinks ajv's standalone output for browser bundles, without changing what any validator accepts or
 * which violation it reports first:
 * - the schema objects ajv embeds only so that error params can point into them (`allowedValues` of an
 *   `enum`, the list of a multi-type `type`) are replaced by the referenced values themselves, so no
 *   schema (descriptions and all) reaches the bundle;
 * - `schemaPath` is dropped from error objects: nothing reads it, and each is a unique string;
 * - each violation is recorded by one call, `fail()` of `src/validator-runtime.ts`;
 * - ajv's error bookkeeping is folded away where it is provably constant (see {@link foldBookkeeping}).
 * Messages are left out by ajv itself (`messages: false`); `src/validation-messages.ts` words them.
 */
import { isWordedKeyword } from '../src/validation-messages';

// `const schema12 = {…};` as ajv writes it: JSON on one line.
const SCHEMA_DECLARATION = /const (schema\d+) = /g;
// A reference into an embedded schema, e.g. `schema14.allOf[0].then.properties.payload.properties.kind.enum`.
const SCHEMA_REFERENCE = /\b(schema\d+)((?:\.[A-Za-z_$][\w$]*|\[\d+\])+)/g;

/** The JSON text starting at `start` (an object), by bracket matching outside strings. */
function jsonAt(code: string, start: number): string {
  let depth = 0;
  let inString = false;
  for (let i = start; i < code.length; i++) {
    const c = code[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if ((c === '}' || c === ']') && --depth === 0) return code.slice(start, i + 1);
  }
  throw new Error(`unterminated schema literal at ${start}`);
}

function resolve(schema: unknown, path: string, reference: string): unknown {
  let value = schema;
  for (const [, name, index] of path.matchAll(/\.([A-Za-z_$][\w$]*)|\[(\d+)\]/g)) {
    value = (value as Record<string, unknown> | undefined)?.[(name ?? index) as string];
  }
  if (value === undefined) throw new Error(`cannot resolve ${reference} in the generated validators`);
  return value;
}

/** Replaces every reference into an embedded schema by its value and removes the declarations. */
function inlineSchemaReferences(code: string): string {
  const declarations = new Map<string, { text: string; schema: unknown }>();
  for (const match of code.matchAll(SCHEMA_DECLARATION)) {
    const json = jsonAt(code, (match.index ?? 0) + match[0].length);
    declarations.set(match[1] as string, {
      text: `${match[0]}${json};`,
      schema: JSON.parse(json) as unknown,
    });
  }
  let result = code;
  for (const { text } of declarations.values()) result = result.replace(text, '');
  result = result.replace(SCHEMA_REFERENCE, (reference, name: string, path: string) => {
    const declaration = declarations.get(name);
    if (!declaration) throw new Error(`${reference}: no declaration of ${name}`);
    return JSON.stringify(resolve(declaration.schema, path, reference));
  });
  const leftover = /\bschema\d+\b/.exec(result);
  if (leftover) throw new Error(`the generated validators still use ${leftover[0]}`);
  return result;
}

function assertWorded(code: string): void {
  for (const [, keyword] of code.matchAll(/keyword:"(\w+)"/g)) {
    if (!isWordedKeyword(keyword as string)) {
      throw new Error(`keyword "${keyword}" has no message: add it to src/validation-messages.ts`);
    }
  }
}

/**
 * With `allErrors: false` and no keyword that collects errors before deciding (`if`, `anyOf`, `oneOf`,
 * `not`: the split of split-discriminated.ts leaves none), every violation returns at once, so ajv's
 * error counter stays 0 for the whole call: its snapshots (`const _errs3 = errors`), the comparisons
 * with them, the `validN` flags they set and the final `errors === 0` are all constant `true`. Checked
 * on the code itself, then folded (the minifier drops the `if (true)` left behind). Code where the
 * counter can move is returned as it is.
 */
function foldBookkeeping(code: string): string {
  // The counter is written only where it starts, and the list of collected errors is never filled.
  const writes = code.match(/(?<![.\w$])errors\s*(?:\+\+|[-+]?=(?!=))[^;]*;/g) ?? [];
  const lists = code.replace(/let vErrors = null;|\.errors = vErrors;/g, '');
  if (writes.some((w) => w !== 'errors = 0;') || /\bvErrors\b/.test(lists)) return code;
  let result = code
    .replace(/let vErrors = null;let errors = 0;/g, '')
    .replace(/\.errors = vErrors;return errors === 0;/g, '.errors = null;return true;')
    .replace(/const _errs\d+ = errors;/g, '')
    .replace(/\b(?:errors === _errs\d+|_errs\d+ === errors|errors === 0)\b/g, 'true');
  const flags = result.match(/\bvalid\d+ = [^;]*;/g) ?? [];
  if (flags.some((f) => !f.endsWith(' = true;'))) return code;
  result = result
    .replace(/var valid\d+ = true;/g, '')
    .replace(/\bvalid\d+\b/g, 'true')
    .replace(/\}else \{\}/g, '}');
  const leftover = /(?<![.\w$])(?:errors|vErrors|_errs\d+|valid\d+)\b/.exec(result);
  if (leftover) throw new Error(`folding ajv's bookkeeping left ${leftover[0]} behind`);
  return result;
}

/** ajv's raw standalone code (generated with `messages: false`), compacted as the module comment says. */
export function compactValidators(code: string): string {
  assertWorded(code);
  const compact = inlineSchemaReferences(code)
    .replace(/schemaPath:"(?:[^"\\]|\\.)*",/g, '')
    .replace(
      /(validate\d+)\.errors = \[\{instancePath(?::(.*?))?,keyword:("\w+"),params:(\{.*?\})\}\];return false;/g,
      (_, v: string, path: string | undefined, keyword: string, params: string) =>
        `return fail(${v},${path ?? 'instancePath'},${keyword},${params});`,
    );
  return foldBookkeeping(compact);
}
