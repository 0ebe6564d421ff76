// Builds every published package into its dist/ (ESM .js + .d.ts, CJS .cjs + .d.cts, source maps).
// Entries come from each package.json: every `exports` entry with a `@taskbridge/source` condition
// (source file -> the dist path its `import` condition names), and every `bin` (dist/<p>.js is built
// from src/<p>.ts, ESM only). A new subpath or bin is built by adding it to package.json, nothing else.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig, type UserConfig } from 'tsdown';

const readJson = <T>(path: string): T =>
  JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as T;

/** The published packages: every workspace that is not private, by folder. */
const PACKAGES = readJson<{ workspaces: string[] }>('./package.json').workspaces.filter(
  (folder) => readJson<{ private?: boolean }>(`./${folder}/package.json`).private !== true,
);

/** The condition that points each export at its TypeScript source inside the repository. */
const SOURCE_CONDITION = '@taskbridge/source';

type ExportTarget = string | { [condition: string]: ExportTarget };

interface PackageJson {
  name: string;
  private?: boolean;
  exports?: Record<string, ExportTarget>;
  bin?: string | Record<string, string>;
}

/** `./dist/msw/node.js` -> `msw/node` (the entry name tsdown writes to dist/<name>.js). */
function entryName(distPath: string, field: string): string {
  const match = /^\.\/dist\/(.+)\.js$/.exec(distPath);
  if (!match?.[1]) throw new Error(`${field}: expected ./dist/<name>.js, got ${distPath}`);
  return match[1];
}

function importDefault(target: ExportTarget, subpath: string): string {
  const esm = typeof target === 'object' ? target.import : undefined;
  const file = typeof esm === 'object' ? esm.default : esm;
  if (typeof file !== 'string') throw new Error(`exports["${subpath}"]: no import.default path`);
  return file;
}

/** The entries of one package: ESM for every export, CJS for those with a `require` condition, bins. */
interface Entries {
  name: string;
  esm: Record<string, string>;
  cjs: Record<string, string>;
  bins: Record<string, string>;
}

function entriesOf(folder: string): Entries {
  const pkg = readJson<PackageJson>(`./${folder}/package.json`);
  const entries: Entries = { name: pkg.name, esm: {}, cjs: {}, bins: {} };
  for (const [subpath, target] of Object.entries(pkg.exports ?? {})) {
    if (typeof target !== 'object') continue;
    const source = target[SOURCE_CONDITION];
    if (typeof source !== 'string') continue;
    const name = entryName(importDefault(target, subpath), `exports["${subpath}"]`);
    entries.esm[name] = source;
    // A browser-only entry (e.g. `./msw/browser`) may leave `require` out: no CJS build then.
    if ('require' in target) entries.cjs[name] = source;
  }
  const binField = typeof pkg.bin === 'string' ? { bin: pkg.bin } : (pkg.bin ?? {});
  for (const [name, file] of Object.entries(binField)) {
    const entry = entryName(file, `bin["${name}"]`);
    entries.bins[entry] = `./src/${entry}.ts`;
  }
  return entries;
}

/**
 * Shared chunks live in `dist/chunks/`, apart from the entries: with `hash: false` a shared declaration
 * chunk could otherwise take an entry's name (`index.d.ts`, demoting the entry to `index2.d.ts`), as
 * happened to the client once `./react-native` shared its declarations.
 */
const chunkFileNames = { esm: 'chunks/[name].js', cjs: 'chunks/[name].cjs' } as const;

/** Node-only packages resolve `node:*` builtins; the others run in browsers and Node alike. */
const NODE_PACKAGES = new Set(['server-reference']);

function packageConfigs(folder: string): UserConfig[] {
  const cwd = fileURLToPath(new URL(`./${folder}/`, import.meta.url));
  const { name, esm, cjs, bins } = entriesOf(folder);
  const shared: UserConfig = {
    // `tsdown --filter <name>` builds one package (each package's prepack does).
    name,
    cwd,
    outDir: 'dist',
    tsconfig: fileURLToPath(new URL('./tsconfig.build.json', import.meta.url)),
    platform: NODE_PACKAGES.has(folder) ? 'node' : 'neutral',
    target: 'es2022',
    sourcemap: true,
    fixedExtension: false,
    hash: false,
    // Once for all configs, before any of them builds.
    clean: true,
    // Dependencies and peers stay imports; nothing from node_modules may be inlined silently.
    deps: { onlyBundle: [] },
    logLevel: 'warn',
    checks: { pluginTimings: false },
  };
  const configs: UserConfig[] = [
    {
      ...shared,
      entry: esm,
      format: 'esm',
      dts: true,
      outputOptions: { chunkFileNames: chunkFileNames.esm },
    },
    {
      ...shared,
      entry: cjs,
      format: 'cjs',
      dts: true,
      outputOptions: {
        chunkFileNames: chunkFileNames.cjs,
        // CJS interop helpers otherwise land in the first entry chunk, which the shared chunks then
        // require: a require cycle, and a stray `__toESM` among that entry's exports.
        codeSplitting: { groups: [{ name: 'runtime', test: /rolldown[:/\\]runtime/ }] },
      },
    },
  ];
  if (Object.keys(bins).length > 0)
    configs.push({
      ...shared,
      entry: bins,
      format: 'esm',
      platform: 'node',
      dts: false,
      // The bins' shared chunks get their own names: with the library build's names (both write
      // e.g. `envelope.js` to dist/, with different export letters) the last build overwrote the
      // other's chunk and the bin failed to load.
      outputOptions: { chunkFileNames: 'bin-chunks/[name].js' },
    });
  return configs;
}

export default defineConfig(PACKAGES.flatMap(packageConfigs));
