/**
 * `npm run generate:validators`: compiles every schema of `src/schemas.ts` (the vendored upstream JSON
 * Schemas and ours) to plain JavaScript with ajv's standalone code generation, and writes
 * `src/generated/validators.js` and its `.d.ts`. The parsers then validate with no ajv, no ajv-formats
 * and no `new Function` at runtime (CSP-safe, and about 130 KB less in an app's bundle). The output is
 * compacted for browser bundles (`compact-validators.ts`), and a schema that discriminates its `payload`
 * by `type` with `allOf`/`if`/`then` is compiled in parts (`split-discriminated.ts`).
 * `src/generated/validators.test.ts` regenerates in memory and fails when the committed files are stale.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as ajvCore from 'ajv/dist/core.js';
import * as ajvStandalone from 'ajv/dist/standalone/index.js';
import * as draft2020 from 'ajv/dist/vocabularies/draft2020.js';
import * as dynamic from 'ajv/dist/vocabularies/dynamic/index.js';
import * as unevaluated from 'ajv/dist/vocabularies/unevaluated/index.js';
import { format, resolveConfig } from 'prettier';
import * as schemas from '../src/schemas';
import { compactValidators } from './compact-validators';
import { type DiscriminatedSplit, splitDiscriminated } from './split-discriminated';

/** Where the generated module goes. */
export const VALIDATORS_JS = fileURLToPath(new URL('../src/generated/validators.js', import.meta.url));
/** Its declarations (ajv's types are not a runtime dependency, so they are spelled out here). */
export const VALIDATORS_DTS = fileURLToPath(new URL('../src/generated/validators.d.ts', import.meta.url));

// ajv is CommonJS: depending on the loader, its exports arrive as `module.exports` or under `default`.
function unwrapDefault<T>(moduleValue: { default: T }): T {
  const inner = moduleValue.default as T | { default?: T };
  return (typeof inner === 'object' || typeof inner === 'function') && inner !== null && 'default' in inner
    ? (inner.default as T)
    : (inner as T);
}

const AjvCore = unwrapDefault(ajvCore);
const standaloneCode = unwrapDefault(ajvStandalone);

/**
 * Draft 2020-12 without the two vocabularies whose keywords need run-time bookkeeping in every
 * validator (`unevaluated*` tracks evaluated properties, `$dynamicRef` carries anchors): that
 * bookkeeping is a top-level assignment per validator, which keeps all of them in a bundle that uses
 * one. No schema here uses those keywords; `strictSchema` makes generation fail if one ever does.
 */
class Ajv2020WithoutBookkeeping extends AjvCore {
  override _addVocabularies(): void {
    super._addVocabularies();
    const skipped = new Set([unwrapDefault(dynamic), unwrapDefault(unevaluated)]);
    for (const vocabulary of unwrapDefault(draft2020)) {
      if (!skipped.has(vocabulary)) this.addVocabulary(vocabulary);
    }
  }
}

// ajv's standalone output `require`s its runtime helpers even in ESM mode; each is swapped for the
// import of our own copy from `src/validator-runtime.ts`.
const RUNTIME_HELPERS: Readonly<Record<string, string>> = {
  'require("ajv/dist/runtime/ucs2length").default': 'ucs2length',
};
// The identifier the `format` keyword reads its functions from (`runtimeFormats["date-time"]`).
const FORMATS_IDENTIFIER = 'runtimeFormats';

/** `taskEventSchema` → `validateTaskEvent`. */
export function validatorName(schemaExport: string): string {
  const base = schemaExport.replace(/Schema$/, '');
  return `validate${base.charAt(0).toUpperCase()}${base.slice(1)}`;
}

function schemaEntries(): [string, object][] {
  return Object.entries(schemas as Record<string, unknown>)
    .filter((entry): entry is [string, object] => entry[0].endsWith('Schema') && typeof entry[1] === 'object')
    .sort(([a], [b]) => a.localeCompare(b));
}

/** A schema compiled in parts (see split-discriminated.ts): its validator joins them at load time. */
interface Joined {
  name: string;
  split: DiscriminatedSplit;
}

const partName = (validator: string, part: number | 'Base') =>
  part === 'Base' ? `${validator}Base` : `${validator}When${part}`;

/** ajv's standalone code for every schema (split ones as their parts), and which ones to join. */
function rawStandaloneCode(): { code: string; joined: Joined[] } {
  const ajv = new Ajv2020WithoutBookkeeping({
    // As the parsers always ran ajv: first error only, lenient about types and tuples.
    allErrors: false,
    strict: false,
    strictSchema: true,
    // The $schema of every schema is 2020-12, which this instance implements without its meta-schema.
    validateSchema: false,
    // Worded when read (src/validation-messages.ts), not once per failure site in the bundle.
    messages: false,
    code: { source: true, esm: true, formats: ajvCore._`${new ajvCore.Name(FORMATS_IDENTIFIER)}` },
  });
  // The function itself is never called here; the generated code calls runtimeFormats["date-time"].
  ajv.addFormat('date-time', () => true);
  const refs: Record<string, string> = {};
  const joined: Joined[] = [];
  for (const [name, schema] of schemaEntries()) {
    const validator = validatorName(name);
    const split = splitDiscriminated(schema);
    if (split === undefined) {
      ajv.addSchema(schema, name);
      refs[validator] = name;
      continue;
    }
    joined.push({ name: validator, split });
    ajv.addSchema(split.base, partName(name, 'Base'));
    refs[partName(validator, 'Base')] = partName(name, 'Base');
    split.branches.forEach(({ schema: branch }, i) => {
      ajv.addSchema(branch, partName(name, i));
      refs[partName(validator, i)] = partName(name, i);
    });
  }
  return { code: standaloneCode(ajv, refs), joined };
}

/** The parts stay private to the module; each joined validator is exported under its schema's name. */
function joinParts(code: string, joined: readonly Joined[]): string {
  let result = code;
  const lines: string[] = [];
  for (const { name, split } of joined) {
    const parts = [partName(name, 'Base'), ...split.branches.map((_, i) => partName(name, i))];
    for (const part of parts) result = result.replace(`export const ${part} = `, `const ${part} = `);
    const branches = split.branches.map(({ value }, i) => `[${JSON.stringify(value)}, ${partName(name, i)}]`);
    lines.push(
      `export const ${name} = discriminated(${parts[0]}, ${JSON.stringify(split.key)}, ${JSON.stringify(split.field)}, [${branches.join(', ')}]);`,
    );
  }
  return [result, ...lines].join('\n');
}

function replaceRuntimeHelpers(code: string): { code: string; helpers: string[] } {
  const helpers: string[] = [];
  let result = code;
  for (const [call, identifier] of Object.entries(RUNTIME_HELPERS)) {
    if (!result.includes(call)) continue;
    result = result.split(call).join(identifier);
    helpers.push(identifier);
  }
  const leftover = /require\([^)]*\)/.exec(result);
  if (leftover) {
    throw new Error(
      `generated validators call ${leftover[0]}: add a copy of that helper to src/validator-runtime.ts and to RUNTIME_HELPERS`,
    );
  }
  if (result.includes(FORMATS_IDENTIFIER)) helpers.push(FORMATS_IDENTIFIER);
  if (/\bfail\(/.test(result)) helpers.push('fail');
  if (/\bdiscriminated\(/.test(result)) helpers.push('discriminated');
  return { code: result, helpers: helpers.sort() };
}

const HEADER = `// Generated by protocol/scripts/generate-validators.ts (\`npm run generate:validators\`) from
// protocol/src/schemas.ts with ajv's standalone code. Do not edit; regenerate after changing a schema.`;

function moduleSource(): string {
  const raw = rawStandaloneCode();
  const { code, helpers } = replaceRuntimeHelpers(
    joinParts(compactValidators(raw.code.replace(/^"use strict";/, '')), raw.joined),
  );
  const imports = helpers.length ? `import { ${helpers.join(', ')} } from '../validator-runtime';\n` : '';
  // The output is machine-written JavaScript (redeclared `var`s, unused destructured names).
  return `${HEADER}\n/* eslint-disable */\n${imports}${code}\n`;
}

function declarationSource(): string {
  const exports = schemaEntries()
    .map(
      ([name]) =>
        `/** Validates against \`${name}\` of schemas.ts. */\nexport declare const ${validatorName(name)}: GeneratedValidator;`,
    )
    .join('\n');
  return `${HEADER}

/** One schema violation as ajv reports it. */
export interface GeneratedValidationError {
  /** JSON pointer into the value, e.g. \`/payload/progress\`. */
  instancePath: string;
  keyword: string;
  /** What the message is worded from (\`violationMessage\` of validation-messages.ts). */
  params: Record<string, unknown>;
}

/** A compiled schema: true when \`data\` matches; otherwise \`errors\` holds the first violation. */
export interface GeneratedValidator {
  (data: unknown): boolean;
  errors?: GeneratedValidationError[] | null;
}

${exports}
`;
}

async function formatted(source: string, filepath: string): Promise<string> {
  const options = await resolveConfig(filepath);
  return format(source, { ...options, filepath });
}

/** The generated module and declarations, formatted as the repository's prettier config says. */
export async function generateValidators(): Promise<{ js: string; dts: string }> {
  const [js, dts] = await Promise.all([
    formatted(moduleSource(), VALIDATORS_JS),
    formatted(declarationSource(), VALIDATORS_DTS),
  ]);
  return { js, dts };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { js, dts } = await generateValidators();
  writeFileSync(VALIDATORS_JS, js);
  writeFileSync(VALIDATORS_DTS, dts);
  console.log(`wrote ${VALIDATORS_JS} (${js.length} chars) and ${VALIDATORS_DTS}`);
}
