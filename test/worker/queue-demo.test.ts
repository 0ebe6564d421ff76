/**
 * The README's one-command queue-mode demo (`npm run start:queue` runs examples/queue-mode/start.ts
 * after building the pages): Redis, the server with `--runtime bullmq` and two workers come up; a task
 * created through the server runs to completion; Ctrl-C (SIGINT) stops every process.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { terminalLog } from '../support/hazard-streams';
import { requestTo } from '../support/server-process';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const child = spawn(
  process.execPath,
  ['--conditions=@taskbridge/source', '--import', 'tsx', 'examples/queue-mode/start.ts'],
  { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, PORT: '0', REDIS_URL: '' } },
);
let output = '';
child.stdout.setEncoding('utf8').on('data', (text: string) => {
  output += text;
});
const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));

afterAll(async () => {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
  await exited;
});

describe('npm run start:queue', () => {
  it('starts Redis, the server in queue mode and two workers; a task completes; SIGINT stops them all', async () => {
    const url = await vi.waitFor(
      () => {
        expect(output.match(/\[worker \d\] TaskBridge worker \S+ ready/g)).toHaveLength(2);
        const match = /\[server\] TaskBridge reference server listening on (http:\/\/\S+)/.exec(output);
        expect(match).not.toBeNull();
        return match?.[1] as string;
      },
      { timeout: 30_000, interval: 100 },
    );
    const request = requestTo({ url });
    const created = await request('/api/v1/tasks', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        clientRequestId: crypto.randomUUID(),
        taskType: 'greet',
        input: { name: 'queue' },
      }),
    });
    expect(created.status).toBe(201);
    const { taskId } = (await created.json()) as { taskId: string };
    const log = await vi.waitFor(() => terminalLog(request, taskId), { timeout: 15_000, interval: 50 });
    expect(log.at(-1)?.type).toBe('TASK_COMPLETED');
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  }, 60_000);
});
