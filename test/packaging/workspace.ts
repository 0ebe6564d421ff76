/**
 * The published packages as their manifests declare them: every workspace that is not private, each
 * `exports` entry that has a `@taskbridge/source` condition (an entry point), every `bin`, and every
 * dist path the manifest names. The packaging test enumerates from here, so a new subpath or bin is
 * tested without touching the test.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root. */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The condition that points an export at its TypeScript source inside the repository. */
export const SOURCE_CONDITION = '@taskbridge/source';

type ExportTarget = string | null | { [condition: string]: ExportTarget };

/** The fields of a package.json the packaging test reads. */
export interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  main?: string;
  module?: string;
  types?: string;
  bin?: string | Record<string, string>;
  exports?: Record<string, ExportTarget>;
  files?: string[];
  sideEffects?: boolean | string[];
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

/** One entry point, e.g. `@taskbridge/server-reference/msw`. */
export interface EntryPoint {
  /** What an app imports. */
  specifier: string;
  /** The `exports` key, e.g. `./msw`. */
  subpath: string;
}

/** A package that is published. */
export interface PublishedPackage {
  name: string;
  /** Folder relative to the repository root, e.g. `server-reference`. */
  folder: string;
  manifest: Manifest;
  entryPoints: EntryPoint[];
  /** Bin names, e.g. `taskbridge-server`. */
  bins: string[];
}

function readManifest(folder: string): Manifest {
  return JSON.parse(readFileSync(join(REPO_ROOT, folder, 'package.json'), 'utf8')) as Manifest;
}

/** Every non-private workspace, in the root manifest's order. */
export function publishedPackages(): PublishedPackage[] {
  const root = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { workspaces: string[] };
  return root.workspaces
    .map((folder) => ({ folder, manifest: readManifest(folder) }))
    .filter(({ manifest }) => manifest.private !== true)
    .map(({ folder, manifest }) => ({
      name: manifest.name,
      folder,
      manifest,
      entryPoints: Object.entries(manifest.exports ?? {})
        .filter(([, target]) => typeof target === 'object' && target !== null && SOURCE_CONDITION in target)
        .map(([subpath]) => ({ subpath, specifier: manifest.name + subpath.slice(1) })),
      bins:
        typeof manifest.bin === 'string'
          ? [manifest.name.split('/').pop() as string]
          : Object.keys(manifest.bin ?? {}),
    }));
}

/**
 * Every file path the manifest promises to the outside (`main`, `module`, `types`, `bin`, and each
 * `exports` condition except the source one), without the leading `./`.
 */
export function promisedFiles(manifest: Manifest): string[] {
  const paths: string[] = [];
  const walk = (target: ExportTarget, condition: string) => {
    if (condition === SOURCE_CONDITION || target === null) return;
    if (typeof target === 'string') paths.push(target);
    else for (const [key, value] of Object.entries(target)) walk(value, key);
  };
  for (const [subpath, target] of Object.entries(manifest.exports ?? {})) walk(target, subpath);
  for (const field of [manifest.main, manifest.module, manifest.types]) if (field) paths.push(field);
  const bin = manifest.bin;
  if (typeof bin === 'string') paths.push(bin);
  else if (bin) paths.push(...Object.values(bin));
  return [...new Set(paths.map((path) => path.replace(/^\.\//, '')))];
}

/**
 * Optional peers of a platform this Node app is not: `@taskbridge/client/react-native` takes React
 * Native's modules as arguments and never imports them, so the entry loads and type-checks without them
 * here; the React Native example installs them (test/standalone/react-native.test.ts).
 */
const OTHER_PLATFORM_PEERS: ReadonlySet<string> = new Set([
  'react-native',
  'react-native-sse',
  '@react-native-async-storage/async-storage',
  '@react-native-community/netinfo',
]);

/** The peer dependencies an app adds to use every entry point (optional ones included). */
export function peersOf(packages: readonly PublishedPackage[]): string[] {
  const ours = new Set(packages.map((p) => p.name));
  return [...new Set(packages.flatMap((p) => Object.keys(p.manifest.peerDependencies ?? {})))].filter(
    (name) => !ours.has(name) && !OTHER_PLATFORM_PEERS.has(name),
  );
}

/** The version installed in the repository (so the temp app installs from the npm cache). */
export function repoVersion(name: string): string {
  const manifest = JSON.parse(
    readFileSync(join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8'),
  ) as Manifest;
  return manifest.version;
}
