/**
 * Helpers for driver tests of standalone example apps (their own package and lock file, outside the root
 * workspaces): install an app when its `node_modules` is missing, and run its commands as a user would,
 * capturing exit code, output and wall time.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** What a finished command left. */
export interface CommandResult {
  /** Exit code; `null` when killed by a signal (e.g. the timeout). */
  exitCode: number | null;
  /** stdout and stderr, interleaved as they arrived, without ANSI colour codes. */
  output: string;
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
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', CI: 'true', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (exitCode) => {
      clearTimeout(timer);
      resolve({ exitCode, output: output.replace(ANSI, ''), durationMs: performance.now() - started });
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
