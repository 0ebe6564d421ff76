/**
 * The `taskbridge-worker` bin as a child process (from source, as `npm run` scripts run it), for tests
 * that run handlers on workers, kill them (SIGKILL: a lost machine) or drain them (SIGTERM).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = ['--conditions=@taskbridge/source', '--import', 'tsx', 'server-reference/src/worker-cli.ts'];

/** A running worker process. */
export interface WorkerProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  /** Everything it printed on stdout so far. */
  readonly output: string;
  /** Resolves with the exit code (`null` when killed by a signal). */
  readonly exited: Promise<number | null>;
  /** SIGKILL (a lost machine) and wait for the exit. Idempotent. */
  kill(): Promise<void>;
  /** SIGTERM (graceful drain) and wait for the exit; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Starts `taskbridge-worker --redis <redis> --quiet …args`; resolves once it is ready (connected and
 * taking jobs).
 *
 * @param env - extra environment (e.g. for a `--handlers` fixture module).
 */
export async function startWorkerProcess(
  redis: string,
  args: readonly string[] = [],
  env: Record<string, string> = {},
): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [...BIN, '--redis', redis, '--quiet', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, REDIS_URL: '', ...env },
  });
  let output = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const onData = () => {
      if (!/ ready: /.test(output)) return;
      child.stdout?.off('data', onData);
      resolve();
    };
    child.stdout?.on('data', onData);
    void exited.then((code) => reject(new Error(`worker exited (${code}) before it was ready: ${stderr}`)));
  });
  const signal = async (name: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(name);
    return exited;
  };
  return {
    pid: child.pid as number,
    child,
    get output() {
      return output;
    },
    exited,
    kill: async () => {
      await signal('SIGKILL');
    },
    stop: () => signal('SIGTERM'),
  };
}
