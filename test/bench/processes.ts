/**
 * Child processes of the benchmarks: every server and every client runs in its own Node process,
 * forked with tsx's loader, and talks to the orchestrator over the IPC channel with a tiny
 * request/response protocol. A child exits by itself when the channel closes (the orchestrator is
 * gone or done) or when its lifetime cap runs out, so no benchmark leaves a process behind.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Arguments of a command; values are JSON (they cross the IPC channel). */
export type CommandArgs = Record<string, unknown>;

/** A command handler in a child; its resolved value is sent back to the orchestrator. */
export type CommandHandler = (args: CommandArgs) => unknown;

/** A forked benchmark process, seen from the orchestrator. */
export interface BenchProcess {
  readonly name: string;
  readonly pid: number;
  /** What the child sent when it was ready (e.g. `{ port }`). */
  readonly ready: CommandArgs;
  /**
   * Runs `command` in the child and resolves with its result.
   *
   * @throws {Error} when the child's handler threw, the child exited, or `timeoutMs` (default
   *   120,000) passed.
   */
  call<T>(command: string, args?: CommandArgs, timeoutMs?: number): Promise<T>;
  /** Closes the channel and waits for the child to exit (SIGKILL after 5 s, by its own pid). */
  stop(): Promise<void>;
}

/** Options of {@link spawnBench}. */
export interface SpawnOptions {
  /** Extra Node flags, e.g. `--expose-gc` or `--cpu-prof`. */
  nodeFlags?: string[];
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** How long the child may take to report ready, ms. Default 30,000. */
  readyTimeoutMs?: number;
}

const LIFETIME_ENV = 'BENCH_CHILD_LIFETIME_MS';
// A child never outlives the whole benchmark's budget, even if the orchestrator hangs.
const DEFAULT_LIFETIME_MS = 15 * 60_000;

let nextId = 1;

function isRecord(value: unknown): value is CommandArgs {
  return typeof value === 'object' && value !== null;
}

/** Resolves a file next to `base` (an `import.meta.url`). */
export function benchFile(base: string, relative: string): string {
  return fileURLToPath(new URL(relative, base));
}

/**
 * Forks `file` (a TypeScript module that calls {@link serveCommands}) under tsx and waits for it to
 * report ready.
 *
 * @throws {Error} when the child exits or stays silent for `readyTimeoutMs`.
 */
export async function spawnBench(
  name: string,
  file: string,
  options: SpawnOptions = {},
): Promise<BenchProcess> {
  const child: ChildProcess = fork(file, [], {
    execArgv: ['--conditions=@taskbridge/source', '--import', 'tsx', ...(options.nodeFlags ?? [])],
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let exited = false;
  const failAll = (error: Error) => {
    for (const waiter of pending.values()) waiter.reject(error);
    pending.clear();
  };
  child.on('exit', (code, signal) => {
    exited = true;
    failAll(new Error(`${name} exited (${code ?? signal})`));
  });
  const ready = await new Promise<CommandArgs>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} not ready`)), options.readyTimeoutMs ?? 30_000);
    child.once('exit', () => reject(new Error(`${name} exited before ready`)));
    child.on('message', (message: unknown) => {
      if (!isRecord(message)) return;
      if (message.type === 'ready') {
        clearTimeout(timer);
        resolve(message);
        return;
      }
      const waiter = typeof message.id === 'number' ? pending.get(message.id) : undefined;
      if (!waiter) return;
      pending.delete(message.id as number);
      if (message.ok === true) waiter.resolve(message.value);
      else waiter.reject(new Error(`${name}: ${String(message.error)}`));
    });
  });
  const pid = child.pid ?? -1;
  return {
    name,
    pid,
    ready,
    call<T>(command: string, args: CommandArgs = {}, timeoutMs = 120_000): Promise<T> {
      if (exited) return Promise.reject(new Error(`${name} has exited`));
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${name}: ${command} timed out after ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, {
          resolve: (value) => {
            clearTimeout(timer);
            resolve(value as T);
          },
          reject: (error) => {
            clearTimeout(timer);
            reject(error);
          },
        });
        child.send({ id, command, args });
      });
    },
    async stop() {
      if (exited) return;
      const done = once(child, 'exit');
      if (child.connected) child.disconnect();
      const timer = setTimeout(() => {
        if (!exited) process.kill(pid, 'SIGKILL');
      }, 5_000);
      await done;
      clearTimeout(timer);
    },
  };
}

let profiler: Session | undefined;

// Built-in commands: CPU-profile the measured part only (not module loading, which tsx does through a
// worker thread), from the main thread, as a `.cpuprofile` file.
const profilingCommands: Record<string, CommandHandler> = {
  async 'profile-start'() {
    if (profiler) return null;
    profiler = new Session();
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.setSamplingInterval', { interval: 200 });
    await profiler.post('Profiler.start');
    return null;
  },
  async 'profile-stop'(args) {
    if (!profiler) return null;
    const { profile } = await profiler.post('Profiler.stop');
    profiler.disconnect();
    profiler = undefined;
    const file = stringArg(args, 'file');
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(profile));
    return null;
  },
};

/**
 * Child side: answers the orchestrator's commands with `handlers` (plus `profile-start` and
 * `profile-stop` `{ file }`), announces `ready`, and exits when the channel closes (after `onExit`,
 * bounded to 3 s) or when the lifetime cap (`BENCH_CHILD_LIFETIME_MS`, default 15 min) runs out.
 */
export function serveCommands(
  handlers: Record<string, CommandHandler>,
  ready: CommandArgs,
  onExit?: () => unknown,
): void {
  const send = process.send?.bind(process);
  if (!send) throw new Error('a benchmark child must be started with an IPC channel (spawnBench)');
  const lifetime = Number(process.env[LIFETIME_ENV] ?? DEFAULT_LIFETIME_MS);
  setTimeout(() => process.exit(2), lifetime).unref();
  let exiting = false;
  const exit = () => {
    if (exiting) return;
    exiting = true;
    setTimeout(() => process.exit(0), 3_000).unref();
    void Promise.resolve()
      .then(() => onExit?.())
      .catch(() => undefined)
      .finally(() => process.exit(0));
  };
  process.on('disconnect', exit);
  process.on('message', (message: unknown) => {
    if (!isRecord(message) || typeof message.id !== 'number' || typeof message.command !== 'string') return;
    const { id, command } = message;
    const handler = handlers[command] ?? profilingCommands[command];
    const args = isRecord(message.args) ? message.args : {};
    void Promise.resolve()
      .then(() => {
        if (!handler) throw new Error(`unknown command ${command}`);
        return handler(args);
      })
      .then(
        (value) => {
          if (process.connected) send({ id, ok: true, value: value ?? null });
        },
        (error: unknown) => {
          const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
          if (process.connected) send({ id, ok: false, error: text });
        },
      );
  });
  send({ type: 'ready', ...ready });
}

/** Reads a numeric argument. @throws {TypeError} when it is missing or not a finite number. */
export function numberArg(args: CommandArgs, key: string, fallback?: number): number {
  const value = args[key] ?? fallback;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new TypeError(`${key} must be a number`);
  return value;
}

/** Reads a string argument. @throws {TypeError} when it is missing. */
export function stringArg(args: CommandArgs, key: string, fallback?: string): string {
  const value = args[key] ?? fallback;
  if (typeof value !== 'string') throw new TypeError(`${key} must be a string`);
  return value;
}

/**
 * Heap (used + external, which includes array buffers) and RSS after a full GC (needs `--expose-gc`), bytes.
 * Clears the performance timeline's resource timings first: Node, like a browser, keeps an entry
 * (≈ 1 KB) for each of the last 250 `fetch`es in one global buffer. It is bounded and belongs to no task,
 * but a figure per task would otherwise depend on how full it was before the run (20 entries after a
 * warm-up, 250 after it: ≈ 0.25 KB per task of a 1,000-task run).
 *
 * The reading follows the last collection with nothing in between: the turns that let finalizers run
 * also let sockets deliver, and what those callbacks allocate is young garbage that `heapUsed` counts
 * until the next scavenge (0.9 to 5.3 KB per task between two readings of the same 2,000 live tasks).
 */
export async function measuredMemory(): Promise<{ heap: number; rss: number }> {
  performance.clearResourceTimings();
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((resolve) => setImmediate(resolve));
  }
  gc?.();
  const usage = process.memoryUsage();
  return { heap: usage.heapUsed + usage.external, rss: usage.rss };
}
