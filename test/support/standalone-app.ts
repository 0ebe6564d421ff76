/**
 * Helpers for driver tests of standalone example apps (their own package and lock file, outside the root
 * workspaces): install an app when its `node_modules` is missing, and run its commands as a user would,
 * capturing exit code, output and wall time.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What a finished command left. */
export interface CommandResult {
  /** Exit code; `null` when killed by a signal (e.g. the timeout). */
  exitCode: number | null;
  /** stdout and stderr, interleaved as they arrived, without ANSI colour codes. */
  output: string;
  /** stdout alone (e.g. `--json` reports). */
  stdout: string;
  /** Wall time, ms. */
  durationMs: number;
}

/** Options of {@link runCommand}. */
export interface RunCommandOptions {
  cwd: string;
  /** Added to (and overriding) the parent's environment. */
  env?: Record<string, string>;
  /** Kill the command (SIGKILL) after this many ms. */
  timeoutMs: number;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

/**
 * The parent's environment without what `npm test` and vitest add (`npm_*`, `VITEST*`, `NODE_OPTIONS`…),
 * so a child (an app's own vitest, npm) behaves as in a fresh shell.
 */
function shellEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(npm_|VITEST|NODE_OPTIONS$|NODE_ENV$|TEST$|INIT_CWD$)/.test(key)) env[key] = value;
  }
  return env;
}

/** Runs `command args…` to completion; never rejects on a non-zero exit (the caller asserts on it). */
export function runCommand(
  command: string,
  args: readonly string[],
  options: RunCommandOptions,
): Promise<CommandResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { ...shellEnv(), NO_COLOR: '1', FORCE_COLOR: '0', CI: 'true', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (exitCode) => {
      clearTimeout(timer);
      resolve({
        exitCode,
        output: output.replace(ANSI, ''),
        stdout,
        durationMs: performance.now() - started,
      });
    });
  });
}

/**
 * `npm ci` in `appDir` when its `node_modules` is missing (a fresh clone); otherwise nothing.
 * @returns the install's result, or `null` when it was already installed.
 * @throws {Error} when the install fails (with its output).
 */
export async function installWhenMissing(appDir: string, timeoutMs: number): Promise<CommandResult | null> {
  if (existsSync(join(appDir, 'node_modules'))) return null;
  const result = await runCommand('npm', ['ci', '--no-audit', '--no-fund'], { cwd: appDir, timeoutMs });
  if (result.exitCode !== 0) throw new Error(`npm ci in ${appDir} failed:\n${result.output}`);
  return result;
}

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A package built and packed as it would be published. */
export interface PackedPackage {
  /** `@taskbridge/<folder>` */
  name: string;
  /** Absolute path of the `.tgz`. */
  tarball: string;
}

/**
 * Builds packages with the repository's build script (tsdown, one package per run) into
 * `destination/<folder>/dist`, never into the packages' own dist/ (another suite may be building or
 * reading it meanwhile), then packs each with `npm pack`, as `npm publish` would ship it.
 *
 * @param folders - package folders, e.g. `['protocol', 'client']`.
 * @throws {Error} when a build or a pack fails (with its output).
 */
export async function buildAndPackPackages(
  folders: readonly string[],
  destination: string,
  timeoutMs: number,
): Promise<PackedPackage[]> {
  return Promise.all(
    folders.map(async (folder) => {
      const name = `@taskbridge/${folder}`;
      const staging = join(destination, folder);
      const build = await runCommand(
        'npm',
        ['run', 'build', '--', '--filter', name, '--out-dir', join(staging, 'dist')],
        { cwd: REPO_ROOT, timeoutMs },
      );
      if (build.exitCode !== 0) throw new Error(`building ${name} failed:\n${build.output}`);
      for (const file of ['package.json', 'README.md', 'LICENSE']) {
        const source = join(REPO_ROOT, folder, file);
        if (existsSync(source)) await cp(source, join(staging, file));
      }
      const pack = await runCommand(
        'npm',
        ['pack', staging, '--pack-destination', destination, '--ignore-scripts', '--json'],
        { cwd: destination, timeoutMs },
      );
      if (pack.exitCode !== 0) throw new Error(`packing ${name} failed:\n${pack.output}`);
      const [report] = JSON.parse(pack.stdout) as { filename: string }[];
      if (!report) throw new Error(`npm pack printed no report for ${name}:\n${pack.output}`);
      return { name, tarball: join(destination, report.filename) };
    }),
  );
}

/**
 * Puts each tarball where `npm install <tarball>` would: its contents in `appDir/node_modules/<name>`,
 * replacing what was there. Their dependencies come from the app's lock file (see
 * {@link assertLockedDependencies}).
 */
export async function installTarballs(appDir: string, packed: readonly PackedPackage[]): Promise<void> {
  for (const { name, tarball } of packed) {
    const target = join(appDir, 'node_modules', name);
    await rm(target, { recursive: true, force: true });
    await mkdir(target, { recursive: true });
    const untar = await runCommand('tar', ['-xzf', tarball, '-C', target, '--strip-components=1'], {
      cwd: appDir,
      timeoutMs: 60_000,
    });
    if (untar.exitCode !== 0) throw new Error(`extracting ${tarball} failed:\n${untar.output}`);
  }
}

/**
 * Checks that the app's lock file depends on each package through `file:` and records the package's
 * current dependencies, so `npm ci` in a fresh clone installs what the built package imports.
 *
 * @throws {Error} naming the stale package and the fix (`npm install` in the app).
 */
export async function assertLockedDependencies(appDir: string, folders: readonly string[]): Promise<void> {
  const lock = JSON.parse(await readFile(join(appDir, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dependencies?: Record<string, string>; resolved?: string }>;
  };
  for (const folder of folders) {
    const name = `@taskbridge/${folder}`;
    const manifest = JSON.parse(await readFile(join(REPO_ROOT, folder, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
    };
    const locked = lock.packages[`node_modules/${name}`];
    const stale =
      locked === undefined ||
      !locked.resolved?.startsWith('file:') ||
      JSON.stringify(locked.dependencies ?? {}) !== JSON.stringify(manifest.dependencies ?? {});
    if (stale) {
      throw new Error(
        `${join(appDir, 'package-lock.json')} is stale for ${name} (its dependencies changed): ` +
          `run \`npm install\` in ${appDir} and commit the lock file`,
      );
    }
  }
}
