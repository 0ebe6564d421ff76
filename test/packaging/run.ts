/**
 * Runs a command the way a user's shell would: a clean environment (none of the variables npm or
 * vitest set for this test run), output captured, a deadline, and an error that shows the output.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';

/**
 * Runs CPU-heavy steps (tsc, Vite, vitest) at most one per core at a time. All at once, four
 * type-checks on two cores each take four times as long and the slowest hits its deadline; queued, they
 * finish in the same total time, one pair after another.
 */
export function oneJobPerCore(): <T>(job: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  const slots = Math.max(1, availableParallelism());
  return async (job) => {
    if (running >= slots) await new Promise<void>((resolve) => waiting.push(resolve));
    running += 1;
    try {
      return await job();
    } finally {
      running -= 1;
      waiting.shift()?.();
    }
  };
}

/** The environment without what `npm test` and vitest add, so the child behaves as in a fresh shell. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm_|VITEST|NODE_OPTIONS$|NODE_ENV$|TEST$|INIT_CWD$)/.test(key)) continue;
    env[key] = value;
  }
  return { ...env, NO_COLOR: '1', ...extra };
}

/** What a finished command printed. */
export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Options of {@link run}. */
export interface RunOptions {
  cwd: string;
  /** Added to {@link cleanEnv}. */
  env?: Record<string, string>;
  /** Kill after this many ms. Default 180,000. */
  timeoutMs?: number;
}

/** Runs `file args` to completion and reports how it ended (never rejects on a non-zero exit). */
export function exec(
  file: string,
  args: readonly string[],
  options: RunOptions,
): Promise<RunResult & { code: number | string }> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      {
        cwd: options.cwd,
        env: cleanEnv(options.env),
        timeout: options.timeoutMs ?? 180_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error ? ((error as { code?: number | string }).code ?? error.signal ?? 'failed') : 0;
        resolve({ code: error?.killed ? 'timed out' : code, stdout, stderr });
      },
    );
  });
}

/**
 * Runs `file args` to completion.
 *
 * @throws {Error} when it exits non-zero or times out; the message holds the command and its output.
 */
export async function run(file: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
  const { code, stdout, stderr } = await exec(file, args, options);
  if (code === 0) return { stdout, stderr };
  const output = `${stdout}\n${stderr}`.trim().split('\n').slice(-60).join('\n');
  throw new Error(`\`${[file, ...args].join(' ')}\` in ${options.cwd} failed (exit ${code}):\n${output}`);
}

/** A long-running child (a server bin) whose output is collected as it comes. */
export interface RunningProcess {
  child: ChildProcess;
  /** Everything printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the first match of `pattern` in the output; rejects if the child exits first. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** SIGTERM, then SIGKILL after 3 s; resolves with the exit code (or signal name). */
  stop(): Promise<number | string>;
}

/** Starts `file args` in the background. */
export function start(file: string, args: readonly string[], options: RunOptions): RunningProcess {
  const child = spawn(file, args, {
    cwd: options.cwd,
    env: cleanEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  return {
    child,
    output: () => output,
    waitFor(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(output);
          if (match) {
            done();
            resolve(match);
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no ${pattern} within ${timeoutMs} ms; output:\n${output}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        void exited.then((code) => {
          if (!listeners.has(check)) return;
          done();
          reject(new Error(`exited (${code}) before printing ${pattern}; output:\n${output}`));
        });
        listeners.add(check);
        check();
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
        const code = await exited;
        clearTimeout(timer);
        return code;
      }
      return exited;
    },
  };
}
