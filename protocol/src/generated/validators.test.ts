import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  generateValidators,
  VALIDATORS_DTS,
  VALIDATORS_JS,
  validatorName,
} from '../../scripts/generate-validators';
import * as schemas from '../schemas';
import { violationMessage } from '../validation-messages';
import * as generated from './validators';

// ajv-formats is CommonJS; its default export arrives wrapped under some loaders.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ??
  addFormatsModule) as typeof addFormatsModule;

type Schema = Record<string, unknown>;

const asSchema = (value: unknown): Schema =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Schema) : {};

// Anything at all, kept small: what a broken peer might put where the schema wants something else.
const stray = fc.oneof(
  fc.constantFrom(
    '',
    'x',
    '😀😀',
    '2026-05-04T12:00:00Z',
    '2026-02-30T12:00:00Z',
    -1,
    0,
    100.5,
    101,
    true,
    null,
  ),
  fc.string(),
  fc.double(),
  fc.array(fc.string(), { maxLength: 2 }),
  fc.dictionary(fc.string(), fc.string(), { maxKeys: 2 }),
);

// The object variants a schema describes: one per `allOf[].if` on a `const` (the event types, with their
// payload from `then`), else the schema's own properties. (Other types come from the `stray` mutations.)
function objectVariants(schema: Schema): Schema[] {
  const base = asSchema(schema.properties);
  const branches = (Array.isArray(schema.allOf) ? schema.allOf : []).map(asSchema).flatMap((branch) => {
    const [[name, condition] = []] = Object.entries(asSchema(asSchema(branch.if).properties));
    if (name === undefined || !('const' in asSchema(condition))) return [];
    return [{ ...base, [name]: asSchema(condition), ...asSchema(asSchema(branch.then).properties) }];
  });
  return branches.length ? branches : [base];
}

/**
 * Values shaped by the schema (so many are valid and the rest fail deep inside, not at the first
 * `type`), with mutations at every level: a stray value, a missing required key, an extra key.
 */
function shapedBy(schema: Schema): fc.Arbitrary<unknown> {
  const typed = (): fc.Arbitrary<unknown> => {
    if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]));
    if ('const' in schema) return fc.constant(schema.const);
    const types = Array.isArray(schema.type)
      ? (schema.type as string[])
      : [schema.type as string | undefined];
    return fc.oneof(
      ...types.map((type): fc.Arbitrary<unknown> => {
        switch (type) {
          case 'string':
            return schema.format === 'date-time'
              ? fc.constantFrom(
                  '2026-05-04T12:00:00.123Z',
                  '2016-12-31T23:59:60Z',
                  '2026-05-04T12:00:00Z',
                  'noon',
                )
              : fc.oneof(
                  fc.string({ maxLength: 4 }),
                  fc.constant('x'.repeat(201)),
                  fc.constant('😀'.repeat(200)),
                );
          case 'number':
          case 'integer':
            return fc.oneof(
              fc.constantFrom(-1, 0, 1, 0.5, 99.5, 100, 100.5, 101),
              fc.double({ min: -1, max: 101, noNaN: true }),
            );
          case 'boolean':
            return fc.boolean();
          case 'null':
            return fc.constant(null);
          case 'array':
            return fc.array(shapedBy(asSchema(schema.items)), { maxLength: 3 });
          case 'object': {
            const required = Array.isArray(schema.required) ? (schema.required as string[]) : [];
            return fc.oneof(
              ...objectVariants(schema).map((properties) => {
                const names = Object.keys(properties);
                if (!names.length)
                  return fc.dictionary(fc.string({ maxLength: 3 }), fc.string(), { maxKeys: 2 });
                const record = fc.record(
                  Object.fromEntries(names.map((name) => [name, shapedBy(asSchema(properties[name]))])),
                  { requiredKeys: names.filter((name) => required.includes(name)) },
                );
                // One object in eight loses a key or gets a stray one.
                const mutation = fc.oneof(
                  { arbitrary: fc.constant(null), weight: 7 },
                  { arbitrary: fc.constantFrom(...names).map((name) => ({ drop: name })), weight: 1 },
                  {
                    arbitrary: fc
                      .tuple(fc.constantFrom('extra', ...names), stray)
                      .map(([name, value]) => ({ set: name, value })),
                    weight: 1,
                  },
                );
                return fc.tuple(record, mutation).map(([value, change]) => {
                  const copy: Record<string, unknown> = { ...value };
                  if (change && 'drop' in change) delete copy[change.drop];
                  else if (change) copy[change.set] = change.value;
                  return copy;
                });
              }),
            );
          }
          default:
            return stray;
        }
      }),
    );
  };
  return fc.oneof({ arbitrary: typed(), weight: 30 }, { arbitrary: stray, weight: 1 });
}

describe('generated validators', () => {
  it('are up to date with schemas.ts (run `npm run generate:validators` when this fails)', async () => {
    const { js, dts } = await generateValidators();
    expect(readFileSync(VALIDATORS_JS, 'utf8') === js, `${VALIDATORS_JS} is stale`).toBe(true);
    expect(readFileSync(VALIDATORS_DTS, 'utf8') === dts, `${VALIDATORS_DTS} is stale`).toBe(true);
  });

  it('need nothing from ajv at runtime and never build code from strings', () => {
    const js = readFileSync(VALIDATORS_JS, 'utf8');
    const imports = [...js.matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1]);
    expect(imports).toEqual(['../validator-runtime']);
    expect(js).not.toMatch(/\brequire\(|new Function|\beval\(/);
  });

  // The parsers used to compile these schemas at runtime with exactly this ajv setup.
  const ajv = new Ajv2020({ allErrors: false, strict: false });
  addFormats(ajv, ['date-time']);
  const cases = Object.entries(schemas).map(([name, schema]) => [name, schema as object] as const);

  it.each(cases)(
    '%s: accepts, rejects and reports like ajv compiling the schema at runtime',
    (name, schema) => {
      const reference = ajv.compile(schema);
      const validate = (generated as Record<string, generated.GeneratedValidator | undefined>)[
        validatorName(name)
      ];
      expect(validate, `no generated validator for ${name}`).toBeTypeOf('function');
      if (!validate) return;
      fc.assert(
        fc.property(shapedBy(schema as Schema), (value) => {
          const expected = reference(value);
          expect(validate(value)).toBe(expected);
          if (!expected) {
            // Generated without message strings: worded when read, in ajv's words.
            const [ours] = validate.errors ?? [];
            const [theirs] = reference.errors ?? [];
            expect(
              ours && { path: ours.instancePath, message: violationMessage(ours), keyword: ours.keyword },
            ).toEqual(
              theirs && { path: theirs.instancePath, message: theirs.message, keyword: theirs.keyword },
            );
          }
        }),
        { numRuns: 1000 },
      );
    },
  );
});
