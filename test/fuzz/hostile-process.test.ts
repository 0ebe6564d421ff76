/**
 * Process level: a real reference server in a child process runs hostile handlers — and the issue's
 * crashing requests (`approval` with `expiresInMs: 1e16`; `3e9`, past the 32-bit timer) — and keeps
 * serving: every task ends with exactly one terminal event (a hang at the task deadline), each
 * failure is logged, and the process neither exits nor reports an unhandled rejection or a timer
 * overflow.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { isTerminalEvent, type TaskEvent } from '@taskbridge/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SERVER = fileURLToPath(new URL('../support/hostile-server.ts', import.meta.url));
const DEADLINE_MS = 1500;
const HOSTILE = [
  'throws',
  'throwsNonError',
  'rejects',
  'returnsFunction',
  'returnsBigint',
  'returnsCycle',
  'emitsObject',
  'yieldsGarbage',
  'suspendsWithFunction',
  'suspendsNoActions',
  'hangs',
  'hangsGenerator',
] as const;

let child: ChildProcess;
let url: string;
let stdout = '';
let stderr = '';
let exit: { code: number | null; signal: string | null } | undefined;

beforeAll(async () => {
  child = fork(SERVER, [], {
    execArgv: ['--conditions=@taskbridge/source', '--import', 'tsx'],
    env: { ...process.env, HOSTILE_DEADLINE_MS: String(DEADLINE_MS) },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.on('exit', (code, signal) => (exit = { code, signal }));
  url = await new Promise<string>((resolve, reject) => {
    child.once('message', (message) => resolve((message as { url: string }).url));
    child.once('exit', () => reject(new Error(`server exited before listening: ${stderr}`)));
  });
}, 60_000);

afterAll(async () => {
  if (exit) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.disconnect();
  await exited;
});

let counter = 0;
async function create(taskType: string, input: Record<string, unknown> = {}): Promise<string> {
  counter += 1;
  const res = await fetch(`${url}/api/v1/tasks`, {
    method: 'POST',
    headers: { authorization: 'Bearer mallory', 'content-type': 'application/json' },
    body: JSON.stringify({ clientRequestId: `hostile-${counter}`, taskType, input }),
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return ((await res.json()) as { taskId: string }).taskId;
}

async function events(taskId: string, waitTimeoutMs = 0): Promise<TaskEvent[]> {
  const res = await fetch(
    `${url}/api/v1/tasks/${taskId}/events?maxEvents=500&waitTimeoutMs=${waitTimeoutMs}`,
    {
      headers: { authorization: 'Bearer mallory' },
    },
  );
  expect(res.status).toBe(200);
  return ((await res.json()) as { events: TaskEvent[] }).events;
}

async function untilTerminal(taskId: string): Promise<TaskEvent[]> {
  const deadline = Date.now() + DEADLINE_MS + 20_000;
  for (;;) {
    const log = await events(taskId, 2000);
    if (log.some(isTerminalEvent) || Date.now() > deadline) return log;
  }
}

describe('hostile handlers in a real server process', () => {
  it('every task ends with one TASK_FAILED, each is logged, and the process lives on', async () => {
    const ids = new Map<string, string>();
    for (const taskType of HOSTILE) ids.set(taskType, await create(taskType));
    // The request that killed the process, and the one whose expiry fired after 1 ms.
    const farExpiry = await create('approval', { expiresInMs: 1e16 });
    const longExpiry = await create('approval', { expiresInMs: 3e9 });

    for (const [taskType, taskId] of ids) {
      const log = await untilTerminal(taskId);
      const terminals = log.filter(isTerminalEvent);
      expect(terminals, `${taskType}: ${JSON.stringify(log.map((e) => e.type))}`).toHaveLength(1);
      expect(log.at(-1)?.type, taskType).toBe('TASK_FAILED');
      if (taskType.startsWith('hang')) {
        expect((log.at(-1)?.payload as { code: string }).code).toBe('TASK_DEADLINE_EXCEEDED');
      }
    }
    const far = await untilTerminal(farExpiry);
    expect(far.at(-1)).toMatchObject({ type: 'TASK_FAILED', payload: { code: 'INVALID_HANDLER_OUTPUT' } });
    // 3e9 ms is honoured: suspended (not expired after 1 ms) until the task deadline ends it.
    const long = await untilTerminal(longExpiry);
    expect(long.map((e) => e.type)).toContain('TASK_SUSPENDED');
    expect(long.at(-1)).toMatchObject({ type: 'TASK_FAILED', payload: { code: 'TASK_DEADLINE_EXCEEDED' } });

    // Still serving, never exited.
    expect(exit).toBeUndefined();
    expect((await fetch(`${url}/ready`)).status).toBe(200);
    expect(await events(await create('greet'), 0)).toBeDefined();
    const failures = stdout
      .split('\n')
      .filter((line) => line.includes('"task failed"'))
      .map((line) => JSON.parse(line) as { taskId: string });
    for (const taskId of [...ids.values(), farExpiry, longExpiry]) {
      expect(
        failures.some((f) => f.taskId === taskId),
        taskId,
      ).toBe(true);
    }
    expect(stderr).not.toMatch(/Unhandled|unhandledRejection|TimeoutOverflowWarning/i);
  }, 90_000);
});
