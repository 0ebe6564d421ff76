/**
 * nginx load-balancing several reference-server instances, from the example config that the README's
 * "run several instances" section uses (`examples/redis-instances/nginx.conf`). Started with
 * `daemon off;` from a temp dir, stopped by its PID.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, vi } from 'vitest';
import { freePort, requireNginx } from '../e2e/support/nginx';

const TEMPLATE = fileURLToPath(new URL('../../examples/redis-instances/nginx.conf', import.meta.url));

/** A running balancer. */
export interface NginxBalancer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Stops nginx and removes its directory. */
  close(): Promise<void>;
}

/**
 * Starts nginx balancing over `upstreamPorts` (127.0.0.1) and waits until it proxies.
 *
 * @param failTimeoutS - nginx `fail_timeout` per server, s: how long a failed instance is left out.
 *   Default 10 (the example's).
 */
export async function startNginxBalancer(
  upstreamPorts: readonly number[],
  failTimeoutS = 10,
): Promise<NginxBalancer> {
  const binary = requireNginx();
  const dir = await mkdtemp(join(tmpdir(), 'tb-balancer-'));
  await chmod(dir, 0o777);
  const port = await freePort();
  const config = (await readFile(TEMPLATE, 'utf8'))
    .replaceAll('{{dir}}', dir)
    .replaceAll('{{listen}}', `127.0.0.1:${port}`)
    .replaceAll(
      '{{servers}}',
      upstreamPorts
        .map((p) => `server 127.0.0.1:${p} max_fails=1 fail_timeout=${failTimeoutS}s;`)
        .join('\n    '),
    );
  await writeFile(join(dir, 'nginx.conf'), config);
  const child: ChildProcess = spawn(
    binary,
    ['-p', dir, '-e', join(dir, 'error.log'), '-c', join(dir, 'nginx.conf')],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  await vi.waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}: ${stderr}`);
      expect((await fetch(`${url}/health`)).ok).toBe(true);
    },
    { timeout: 10_000, interval: 50 },
  );
  return {
    url,
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
