// Builds every published package into its dist/ (ESM .js + .d.ts, CJS .cjs + .d.cts, source maps).
// Entries come from each package.json: every `exports` entry with a `@taskbridge/source` condition
// (source file -> the dist path its `import` condition names), and every `bin` (dist/<p>.js is built
// from src/<p>.ts, ESM only). A new subpath or bin is built by adding it to package.json, nothing else.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig, type UserConfig } from 'tsdown';

/** The published packages, by folder. */
const PACKAGES = ['protocol', 'client', 'react', 'server-reference'] as const;

/** The condition that points each export at its TypeScript source inside the repository. */
const SOURCE_CONDITION = '@taskbridge/source';

type ExportTarget = string | { [condition: string]: ExportTarget };

interface PackageJson {
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

/** Library entries (ESM + CJS) and bin entries (ESM only) of one package. */
function entriesOf(folder: string): { library: Record<string, string>; bins: Record<string, string> } {
  const pkg = JSON.parse(
    readFileSync(new URL(`./${folder}/package.json`, import.meta.url), 'utf8'),
  ) as PackageJson;
  const library: Record<string, string> = {};
  for (const [subpath, target] of Object.entries(pkg.exports ?? {})) {
    if (typeof target !== 'object') continue;
    const source = target[SOURCE_CONDITION];
    if (typeof source !== 'string') continue;
    library[entryName(importDefault(target, subpath), `exports["${subpath}"]`)] = source;
  }
  const bins: Record<string, string> = {};
  const binField = typeof pkg.bin === 'string' ? { bin: pkg.bin } : (pkg.bin ?? {});
  for (const [name, file] of Object.entries(binField)) {
    const entry = entryName(file, `bin["${name}"]`);
    bins[entry] = `./src/${entry}.ts`;
  }
  return { library, bins };
}

/** Node-only packages resolve `node:*` builtins; the others run in browsers and Node alike. */
const NODE_PACKAGES = new Set(['server-reference']);

function packageConfigs(folder: string): UserConfig[] {
  const cwd = fileURLToPath(new URL(`./${folder}/`, import.meta.url));
  const { library, bins } = entriesOf(folder);
  const shared: UserConfig = {
    name: `@taskbridge/${folder}`,
    cwd,
    outDir: 'dist',
    tsconfig: fileURLToPath(new URL('./tsconfig.build.json', import.meta.url)),
    platform: NODE_PACKAGES.has(folder) ? 'node' : 'neutral',
    target: 'es2022',
    sourcemap: true,
    fixedExtension: false,
    hash: false,
    // Dependencies and peers stay imports; nothing from node_modules may be inlined silently.
    deps: { onlyBundle: [] },
    logLevel: 'warn',
    checks: { pluginTimings: false },
  };
  const configs: UserConfig[] = [
    { ...shared, entry: library, format: ['esm', 'cjs'], dts: true, clean: true },
  ];
  if (Object.keys(bins).length > 0)
    configs.push({ ...shared, entry: bins, format: ['esm'], platform: 'node', dts: false, clean: false });
  return configs;
}

export default defineConfig(PACKAGES.flatMap(packageConfigs));
