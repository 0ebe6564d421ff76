/**
 * The reference server as a child process (the `taskbridge-server` CLI, from source), for tests that kill
 * instances or run several on one Redis. Each listens on an ephemeral loopback port.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// The CLI from source, as `npm start` runs it (the packaging test runs the built bin).
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = ['--conditions=@taskbridge/source', '--import', 'tsx', 'server-reference/src/cli.ts'];

/** A `fetch` bound to `instance` with a bearer subject (default `alice`), as the hazard helpers take. */
export function requestTo(
  instance: Pick<ServerProcess, 'url'>,
): (path: string, init?: RequestInit & { subject?: string }) => Promise<Response> {
  return (path, init = {}) => {
    const { subject = 'alice', headers, ...rest } = init;
    const h = new Headers(headers);
    h.set('authorization', `Bearer ${subject}`);
    return fetch(`${instance.url}${path}`, { ...rest, headers: h });
  };
}

/** A running server process. */
export interface ServerProcess {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** True while the process has not exited. */
  readonly alive: boolean;
  /** Sends SIGKILL and waits for the exit. Idempotent. */
  kill(): Promise<void>;
  /** Sends SIGTERM (graceful close) and waits for the exit. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts `taskbridge-server --auth demo --port <port> --redis <redis> --quiet --no-a2a`; resolves once
 * it listens.
 *
 * @param port - default 0 (ephemeral); pass the old port to restart an instance behind a proxy.
 */
export async function startServerProcess(redis: string, port = 0): Promise<ServerProcess> {
  const child = spawn(
    process.execPath,
    [
      ...CLI,
      '--auth',
      'demo',
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '--redis',
      redis,
      '--quiet',
      '--no-a2a',
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, REDIS_URL: '' } },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) resolve(match[1] as string);
    });
    child.once('exit', (code) => reject(new Error(`server exited (${code}) before listening: ${stderr}`)));
  });
  const signal = async (name: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(name);
    await exited;
  };
  return {
    url,
    port: Number(new URL(url).port),
    child,
    get alive() {
      return child.exitCode === null && child.signalCode === null;
    },
    kill: () => signal('SIGKILL'),
    stop: () => signal('SIGTERM'),
  };
}
