#!/usr/bin/env node
// @ts-check
/**
 * The first step of `npm test`: installs what the tests need when it is missing, so the README's
 * `npm test` works on a fresh machine.
 *
 * - npm packages: `npm ci` when `node_modules` was never installed.
 * - Debian `chromium` (browser tests), `nginx` (proxy tests), `redis-server` (Redis backend tests):
 *   with `apt-get` when running as root, with a `policy-rc.d` in place so apt does not start the
 *   nginx or Redis services (tests start their own, per test, on ephemeral ports); otherwise it stops
 *   at once and prints the one command to run.
 *
 * Plain JavaScript on purpose: it runs before anything is installed.
 *
 * Options (for trying it safely): `--dry-run` prints what it would run (and lets apt simulate the
 * install with `-s`); `--assume-missing=chromium,nginx` treats those as missing; `--assume-not-root`
 * behaves as for a user without root.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath, URL } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The system packages the tests drive: where the tests look for each (an environment variable that
 * overrides, then the Debian paths, then `PATH`).
 */
const SYSTEM_PACKAGES = [
  { name: 'chromium', env: 'CHROMIUM_PATH', paths: ['/usr/bin/chromium'], command: 'chromium' },
  { name: 'nginx', env: 'NGINX_PATH', paths: ['/usr/sbin/nginx', '/usr/bin/nginx'], command: 'nginx' },
  {
    name: 'redis-server',
    env: 'REDIS_SERVER_PATH',
    paths: ['/usr/bin/redis-server', '/usr/sbin/redis-server'],
    command: 'redis-server',
  },
];

/** @param {string} path */
function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** @param {string} command */
function onPath(command) {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir && isExecutable(join(dir, command)));
}

/**
 * @param {(typeof SYSTEM_PACKAGES)[number]} pkg
 * @param {Set<string>} assumeMissing
 */
function isInstalled(pkg, assumeMissing) {
  if (assumeMissing.has(pkg.name)) return false;
  const override = process.env[pkg.env];
  if (override) return isExecutable(override);
  return pkg.paths.some(isExecutable) || onPath(pkg.command);
}

/**
 * Runs a command with inherited output; exits with its status when it fails.
 *
 * @param {string} command
 * @param {string[]} args
 * @param {boolean} dryRun
 */
function step(command, args, dryRun) {
  process.stdout.write(`${dryRun ? '[dry run] ' : ''}$ ${[command, ...args].join(' ')}\n`);
  if (dryRun) return;
  const result = spawnSync(command, args, {
    stdio: 'inherit',
    cwd: ROOT,
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (result.status !== 0) {
    process.stderr.write(
      `provision: \`${command} ${args.join(' ')}\` failed (${result.status ?? result.signal})\n`,
    );
    process.exit(result.status || 1);
  }
}

/**
 * Installs `names` with apt-get, keeping apt from starting their services: Debian's postinst scripts
 * ask `invoke-rc.d`, which obeys `/usr/sbin/policy-rc.d` (exit 101 = "do not start").
 *
 * @param {string[]} names
 * @param {boolean} dryRun
 */
function aptInstall(names, dryRun) {
  const policy = '/usr/sbin/policy-rc.d';
  const addPolicy = !existsSync(policy);
  if (addPolicy) {
    process.stdout.write(`${dryRun ? '[dry run] ' : ''}write ${policy} (exit 101: apt starts no services)\n`);
    if (!dryRun) writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  }
  try {
    // Another apt run (another checkout's tests) may hold the lock: wait for it rather than fail.
    const lock = ['-o', 'DPkg::Lock::Timeout=300'];
    step('apt-get', [...lock, 'update', '-q'], dryRun);
    step('apt-get', [...lock, 'install', '-y', '-q', ...names], dryRun);
    if (dryRun) {
      // Let apt resolve the install for real, without changing anything.
      process.stdout.write(`[dry run] simulating: apt-get install -s -y ${names.join(' ')}\n`);
      const simulation = spawnSync('apt-get', ['install', '-s', '-y', ...names], { encoding: 'utf8' });
      const summary = `${simulation.stdout}${simulation.stderr}`
        .split('\n')
        .filter((line) => /upgraded|newly installed|^E:|Unable to locate/.test(line));
      process.stdout.write(`${summary.map((line) => `[dry run]   ${line}`).join('\n')}\n`);
    }
  } finally {
    if (addPolicy && !dryRun) rmSync(policy, { force: true });
  }
}

function main() {
  const args = process.argv.slice(2);
  const dryRun = args.includes('--dry-run');
  const assumeMissing = new Set(
    (args.find((arg) => arg.startsWith('--assume-missing='))?.split('=')[1] ?? '').split(',').filter(Boolean),
  );
  const isRoot = !args.includes('--assume-not-root') && process.getuid?.() === 0;

  if (!existsSync(join(ROOT, 'node_modules/.package-lock.json'))) {
    process.stdout.write('provision: node_modules is missing; installing the npm packages\n');
    step('npm', ['ci', '--no-audit', '--no-fund'], dryRun);
  }

  const missing = SYSTEM_PACKAGES.filter((pkg) => !isInstalled(pkg, assumeMissing)).map((pkg) => pkg.name);
  if (missing.length === 0) return;
  const names = missing.join(' ');
  const hasApt = onPath('apt-get');
  if (isRoot && hasApt) {
    process.stdout.write(`provision: installing ${names} (the browser, proxy and Redis tests drive them)\n`);
    aptInstall(missing, dryRun);
    const still = SYSTEM_PACKAGES.filter((pkg) => missing.includes(pkg.name) && !isInstalled(pkg, new Set()));
    if (!dryRun && still.length > 0) {
      process.stderr.write(
        `provision: still missing after apt-get: ${still.map((pkg) => pkg.name).join(' ')}\n`,
      );
      process.exit(1);
    }
    return;
  }
  const command = hasApt
    ? `sudo apt-get update && sudo apt-get install -y ${names}`
    : `install ${names} with your package manager, or set ${SYSTEM_PACKAGES.filter((pkg) =>
        missing.includes(pkg.name),
      )
        .map((pkg) => pkg.env)
        .join(' / ')} to their executables`;
  process.stderr.write(
    `npm test needs ${names}, which ${missing.length === 1 ? 'is' : 'are'} not installed. Run:\n\n  ${command}\n\nthen npm test again.\n`,
  );
  process.exit(1);
}

main();
