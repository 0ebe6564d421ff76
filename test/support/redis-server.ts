/**
 * A real `redis-server` for one test suite: a unix socket in a temp dir, TCP off (`--port 0`), no
 * persistence unless asked (`--save '' --appendonly no`). Stop it in `afterAll`; `stop()` kills the
 * process and removes the dir. `restart()` kills it and starts it again on the same socket and dir
 * (with `appendonly: true` the data survives; without, it starts empty).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Options of {@link startRedisServer}. */
export interface RedisServerOptions {
  /** `--appendonly yes --appendfsync always` (durability tests). Default false: nothing persists. */
  appendonly?: boolean;
  /** The `redis-server` binary. Default `REDIS_SERVER_PATH`, else `redis-server` on the PATH. */
  binary?: string;
}

/** A running `redis-server`. */
export interface RedisTestServer {
  /** Its unix socket. */
  readonly path: string;
  /** What `createRedisBackend({ redis })` and the CLI's `--redis` accept: the socket path. */
  readonly url: string;
  /** ioredis options for the socket. */
  readonly options: { path: string };
  /** The running process's pid (changes on restart). */
  readonly pid: number;
  /** Kills the server (SIGKILL: an outage, not a shutdown) and waits for its exit. Idempotent. */
  kill(): Promise<void>;
  /** Starts it again on the same socket (after `kill()`, or kills it first). */
  restart(): Promise<void>;
  /** Kills the server and removes its temp dir. Idempotent. */
  stop(): Promise<void>;
}

async function waitForSocket(path: string, child: ChildProcess, deadlineMs: number): Promise<void> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(path);
      socket.once('connect', () => {
        socket.write('PING\r\n');
      });
      socket.once('data', (data) => {
        socket.destroy();
        resolve(data.toString().startsWith('+PONG'));
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`redis-server did not answer on ${path}`);
    // Polling a socket that is not there yet: there is no event to wait for instead.
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Starts one `redis-server` on a unix socket in a new temp dir; resolves once it answers PING. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisTestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'tb-redis-'));
  const path = join(dir, 'r.sock');
  const args = [
    '--port',
    '0',
    '--unixsocket',
    path,
    '--unixsocketperm',
    '700',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    options.appendonly ? 'yes' : 'no',
    ...(options.appendonly ? ['--appendfsync', 'always'] : []),
    '--loglevel',
    'warning',
  ];
  let child: ChildProcess | undefined;
  let stopped = false;

  const launch = async () => {
    const started = spawn(options.binary ?? (process.env.REDIS_SERVER_PATH || 'redis-server'), args, {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child = started;
    await new Promise<void>((resolve, reject) => {
      started.once('spawn', resolve);
      started.once('error', reject);
    });
    await waitForSocket(path, started, 10_000);
  };
  const kill = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await exited;
    rmSync(path, { force: true });
  };

  await launch();
  return {
    path,
    url: path,
    options: { path },
    get pid() {
      return child?.pid ?? -1;
    },
    kill,
    async restart() {
      await kill();
      await launch();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
