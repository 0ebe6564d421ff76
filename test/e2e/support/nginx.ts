/**
 * A real nginx in front of the reference server, configured per test (shared/PROXIES.md): the
 * WebSocket upgrade refused with 403, and optionally the SSE route gzip-compressed, which holds the
 * response headers and every event until the upstream ends, as real deployments do. Long polling
 * passes through untouched. Started with `daemon off;` from a temp dir, stopped by its PID.
 *
 * The reference server sends `X-Accel-Buffering: no`, which turns nginx's proxy buffering off, and
 * unbuffered nginx flushes its gzip stream on every upstream chunk (events then arrive, compressed, as
 * they happen). A proxy that ignores that header, as many do, buffers: hence
 * `proxy_ignore_headers X-Accel-Buffering` on the buffered SSE route.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, vi } from 'vitest';

/** `NGINX_PATH`, else the Debian location. */
export const NGINX_PATH = process.env.NGINX_PATH ?? ['/usr/sbin/nginx', '/usr/bin/nginx'].find(existsSync);

/** Fails with instructions when nginx is missing: the proxy tests never skip. */
export function requireNginx(): string {
  if (NGINX_PATH === undefined || !existsSync(NGINX_PATH)) {
    throw new Error(
      'nginx not found (looked in /usr/sbin and /usr/bin): the proxy tests need it. Install it with ' +
        '`apt-get install -y nginx` (npm test does), or set NGINX_PATH.',
    );
  }
  return NGINX_PATH;
}

/** How the proxy misbehaves. */
export interface NginxOptions {
  /** Port of the reference server on 127.0.0.1. */
  upstreamPort: number;
  /** Answer WebSocket upgrades on the WebSocket route with 403. */
  blockWebSocket: boolean;
  /** gzip the SSE route (`gzip_types text/event-stream; gzip_min_length 0`): everything is held. */
  bufferSse: boolean;
}

/** A running nginx. */
export interface Nginx {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Its error log so far (for failure messages). */
  errorLog(): Promise<string>;
  /** Stops it (SIGTERM to its PID, SIGKILL after 3 s) and deletes its directory. */
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

function config(dir: string, port: number, options: NginxOptions): string {
  const upstream = `http://127.0.0.1:${options.upstreamPort}`;
  const proxy = `proxy_pass ${upstream}; proxy_http_version 1.1; proxy_set_header Host $host;`;
  const webSocket = options.blockWebSocket
    ? `location = /api/v1/tasks/ws { if ($http_upgrade) { return 403; } ${proxy} }`
    : '';
  const sse = options.bufferSse
    ? `location ~ ^/api/v1/tasks/[^/]+/events/stream$ {
        gzip on; gzip_types text/event-stream; gzip_min_length 0;
        proxy_buffering on; proxy_ignore_headers X-Accel-Buffering; ${proxy}
      }`
    : '';
  return `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  map $http_upgrade $connection_upgrade { default upgrade; '' close; }
  server {
    listen 127.0.0.1:${port};
    ${webSocket}
    ${sse}
    location / {
      ${proxy}
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_read_timeout 120s;
    }
  }
}
`;
}

function exitedOnce(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

async function reachable(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/health`)).ok;
  } catch {
    return false;
  }
}

/** Writes the config into a temp dir, starts nginx on an ephemeral port and waits until it proxies. */
export async function startNginx(options: NginxOptions): Promise<Nginx> {
  const binary = requireNginx();
  const dir = await mkdtemp(join(tmpdir(), 'taskbridge-e2e-nginx-'));
  // Workers run as an unprivileged user when nginx starts as root; they write temp files here.
  await chmod(dir, 0o777);
  const port = await freePort();
  await writeFile(join(dir, 'nginx.conf'), config(dir, port, options));
  const child: ChildProcess = spawn(
    binary,
    ['-p', dir, '-e', join(dir, 'error.log'), '-c', join(dir, 'nginx.conf')],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  // If the test process dies without afterEach, take nginx along rather than leave it orphaned.
  const killOnExit = () => child.kill('SIGTERM');
  process.once('exit', killOnExit);
  void exitedOnce(child).then(() => process.off('exit', killOnExit));
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = exitedOnce(child);
  const url = `http://127.0.0.1:${port}`;
  const errorLog = () => readFile(join(dir, 'error.log'), 'utf8').catch(() => '');
  const fail = async (why: string) => {
    if (child.exitCode === null) child.kill('SIGKILL');
    const log = `${stderr}\n${await errorLog()}`;
    await rm(dir, { recursive: true, force: true });
    return new Error(`nginx ${why}: ${log}`);
  };
  // Until it proxies a request through, or exits (a config error): then fail with its log.
  try {
    await vi.waitFor(
      async () => {
        if (child.exitCode === null) expect(await reachable(url)).toBe(true);
      },
      { timeout: 10_000, interval: 50 },
    );
  } catch {
    throw await fail(`did not answer on ${url} within 10 s`);
  }
  if (child.exitCode !== null) throw await fail(`exited with ${child.exitCode}`);
  return {
    url,
    errorLog,
    async close() {
      if (child.exitCode === null && child.pid !== undefined) {
        process.kill(child.pid, 'SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
