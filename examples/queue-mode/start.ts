/**
 * The demo in queue mode, in one command (`npm run start:queue`): a Redis (the one in `REDIS_URL`,
 * else a fresh `redis-server` on a unix socket in a temp dir), the reference server with
 * `--runtime bullmq` serving the React demo, and `WORKERS` (default 2) `taskbridge-worker` processes
 * running the demo handlers. Ctrl-C stops everything (the workers drain first).
 *
 * Environment: `PORT` (default 8787), `REDIS_URL`, `WORKERS`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FROM_SOURCE = ['--conditions=@taskbridge/source', '--import', 'tsx'];
const children: ChildProcess[] = [];

function start(name: string, command: string, args: string[]): ChildProcess {
  const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  child.stdout?.setEncoding('utf8').on('data', (text: string) => {
    for (const line of text.split('\n')) if (line) process.stdout.write(`[${name}] ${line}\n`);
  });
  children.push(child);
  return child;
}

interface RedisSetup {
  url: string;
  /** The redis-server this script started, and its temp dir. */
  own?: { child: ChildProcess; dir: string };
}

async function startRedis(): Promise<RedisSetup> {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL };
  const dir = mkdtempSync(join(tmpdir(), 'taskbridge-queue-demo-'));
  const socket = join(dir, 'redis.sock');
  const child = start('redis', 'redis-server', ['--port', '0', '--unixsocket', socket, '--save', '', '--appendonly', 'no']);
  const { Redis } = await import('ioredis');
  for (let attempt = 0; ; attempt++) {
    const client = new Redis({ path: socket, lazyConnect: true, maxRetriesPerRequest: 0 });
    client.on('error', () => undefined);
    const up = await client.connect().then(
      () => true,
      () => false,
    );
    client.disconnect();
    if (up) return { url: socket, own: { child, dir } };
    if (attempt > 100) throw new Error('redis-server did not start');
    // Nothing to wait on but the socket appearing.
    await delay(50);
  }
}

const redis = await startRedis();
const workers = Number(process.env.WORKERS ?? 2);
for (let i = 1; i <= workers; i++) {
  start(`worker ${i}`, process.execPath, [...FROM_SOURCE, 'server-reference/src/worker-cli.ts', '--redis', redis.url, '--quiet']);
}
start('server', process.execPath, [
  ...FROM_SOURCE,
  'server-reference/src/cli.ts',
  '--auth',
  'demo',
  '--allow-access-token-query',
  '--static',
  'examples/react-demo/dist',
  '--port',
  process.env.PORT ?? '8787',
  '--redis',
  redis.url,
  '--runtime',
  'bullmq',
  '--quiet',
]);

let stopping = false;
const exited = (child: ChildProcess) =>
  new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.once('exit', resolve)));
const stop = async () => {
  if (stopping) return;
  stopping = true;
  // Server and workers first (workers drain), Redis last.
  const services = children.filter((child) => child !== redis.own?.child);
  for (const child of services) child.kill('SIGTERM');
  await Promise.all(services.map(exited));
  if (redis.own) {
    redis.own.child.kill('SIGTERM');
    await exited(redis.own.child);
    rmSync(redis.own.dir, { recursive: true, force: true });
  }
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
for (const child of children) child.once('exit', () => void stop());
