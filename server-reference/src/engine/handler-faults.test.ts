/**
 * Handler faults of every kind end as exactly one `TASK_FAILED`, logged, never an unhandled
 * rejection (issue: "no request can crash or exhaust the process"). Timers are fake: deadlines and
 * expiries are checked to the millisecond without waiting.
 */
import { isTerminalEvent, type TaskEvent } from '@taskbridge/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LogEntry } from '../logger';
import { MAX_TIMER_DELAY_MS } from './runner/long-timeout';
import { createMemoryBackend } from './state/memory/memory-backend';
import { createTaskEngine, type TaskEngine, type TaskEngineOptions } from './task-engine';
import type { AuthContext, TaskHandler } from './types';

const alice: AuthContext = { subject: 'alice', scopes: [], attributes: {} };

let unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
let engine: TaskEngine | undefined;

beforeEach(() => {
  unhandled = [];
  process.on('unhandledRejection', onUnhandled);
  vi.useFakeTimers();
});
afterEach(async () => {
  await engine?.shutdown();
  engine = undefined;
  vi.useRealTimers();
  // Node reports unhandled rejections once the microtask queue drains, before the next macrotask.
  await new Promise((resolve) => setImmediate(resolve));
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});

function start(handlers: Record<string, TaskHandler>, options: TaskEngineOptions = {}) {
  const logs: LogEntry[] = [];
  engine = createTaskEngine({ handlers, logger: (entry) => logs.push(entry), ...options });
  return { engine, logs };
}

async function run(e: TaskEngine, taskType: string, input: Record<string, unknown> = {}): Promise<string> {
  const { response } = await e.createTask(alice, {
    clientRequestId: `${taskType}-${Math.random()}`,
    taskType,
    input,
  });
  return response.taskId;
}

async function log(e: TaskEngine, taskId: string): Promise<TaskEvent[]> {
  return (await e.backend.events.read(taskId, null, 10_000)).events;
}

/** Advances fake time until the task has its terminal event; returns the whole log. */
async function settled(e: TaskEngine, taskId: string, stepMs = 10, maxSteps = 1000): Promise<TaskEvent[]> {
  for (let i = 0; i < maxSteps; i++) {
    const events = await log(e, taskId);
    if (events.some(isTerminalEvent)) return events;
    await vi.advanceTimersByTimeAsync(stepMs);
  }
  throw new Error(
    `task ${taskId} has no terminal event: ${JSON.stringify((await log(e, taskId)).map((x) => x.type))}`,
  );
}

function expectOneFailure(events: readonly TaskEvent[], code: string) {
  expect(events.filter(isTerminalEvent)).toHaveLength(1);
  const last = events.at(-1) as TaskEvent;
  expect(last.type).toBe('TASK_FAILED');
  expect((last.payload as { code: string }).code).toBe(code);
}

describe('handler results and events that are not JSON', () => {
  const cycle: Record<string, unknown> = {};
  cycle.self = cycle;
  const cases: [string, () => unknown][] = [
    ['a function', () => ({ callback: () => 1 })],
    ['a BigInt', () => ({ n: 10n })],
    ['a symbol', () => ({ s: Symbol('x') })],
    ['a cycle', () => cycle],
    ['NaN', () => ({ score: Number.NaN })],
    [
      'a throwing getter',
      () => ({
        get boom() {
          throw new Error('getter');
        },
      }),
    ],
  ];
  for (const [what, result] of cases) {
    it(`a result with ${what} fails the task with INVALID_HANDLER_OUTPUT (one terminal, logged)`, async () => {
      const { engine: e, logs } = start({ h: async () => result() });
      const events = await settled(e, await run(e, 'h'));
      expectOneFailure(events, 'INVALID_HANDLER_OUTPUT');
      expect(logs).toContainEqual(expect.objectContaining({ level: 'warn', code: 'INVALID_HANDLER_OUTPUT' }));
    });
  }

  it('a yield or emit that is not a valid event fails the task; a caught one does not', async () => {
    const { engine: e } = start({
      badYield: async function* () {
        yield { type: 'message', message: { not: 'a string' } } as never;
        return 1;
      },
      nanProgress: async (ctx) => {
        await ctx.progress(Number.NaN);
      },
      caught: async (ctx) => {
        await ctx.message(42 as never).catch(() => undefined);
        return 'fine';
      },
    });
    expectOneFailure(await settled(e, await run(e, 'badYield')), 'INVALID_HANDLER_OUTPUT');
    expectOneFailure(await settled(e, await run(e, 'nanProgress')), 'INVALID_HANDLER_OUTPUT');
    const caught = await settled(e, await run(e, 'caught'));
    expect(caught.map((x) => x.type)).toEqual(['TASK_STARTED', 'TASK_COMPLETED']);
  });
});

describe('throws and rejections', () => {
  it('a hostile thrown value (every property access throws) still becomes one TASK_FAILED', async () => {
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('trap');
        },
        has() {
          throw new Error('trap');
        },
        getPrototypeOf() {
          throw new Error('trap');
        },
      },
    );
    const { engine: e, logs } = start({
      throws: () => {
        throw hostile;
      },
      rejects: () => Promise.reject(hostile),
      hugeMessage: async () => {
        throw new Error('x'.repeat(5_000_000));
      },
    });
    expectOneFailure(await settled(e, await run(e, 'throws')), 'TASK_EXECUTION_FAILED');
    expectOneFailure(await settled(e, await run(e, 'rejects')), 'TASK_EXECUTION_FAILED');
    const huge = await settled(e, await run(e, 'hugeMessage'));
    expectOneFailure(huge, 'TASK_EXECUTION_FAILED');
    expect((huge.at(-1)?.payload as { message: string }).message.length).toBeLessThanOrEqual(1000);
    expect(logs.filter((l) => l.msg === 'task failed')).toHaveLength(3);
  });
});

describe('a run aborted before its handler starts', () => {
  it('settles the handler it still calls: a rejection after the abort is not unhandled', async () => {
    const backend = createMemoryBackend();
    const update = backend.tasks.update.bind(backend.tasks);
    const cancelOnRunning = { taskId: '' };
    // The cancel lands between TASK_STARTED and the handler's call, as a shutdown or a cancel from
    // another process does while a remote store records RUNNING.
    backend.tasks.update = async (taskId, patch) => {
      if (patch.status === 'RUNNING' && taskId === cancelOnRunning.taskId) await e.cancel(alice, taskId);
      return update(taskId, patch);
    };
    let called = 0;
    const { engine: e } = start(
      {
        emitsFirst: async (ctx) => {
          called++;
          await ctx.progress(1);
          return null;
        },
      },
      { backend },
    );
    const { response } = await e.createTask(alice, {
      clientRequestId: 'r',
      taskType: 'emitsFirst',
      input: {},
    });
    cancelOnRunning.taskId = response.taskId;
    const events = await settled(e, response.taskId);
    expect(called).toBe(1);
    expect(events.map((x) => x.type)).toEqual(['TASK_STARTED', 'TASK_CANCELLED']);
  });
});

describe('suspend() options', () => {
  const bad: [string, unknown][] = [
    ['no allowedActions', { reasonCode: 'r', allowedActions: [] }],
    ['a non-string reasonCode', { reasonCode: 7, allowedActions: ['ok'] }],
    ['an unknown kind', { reasonCode: 'r', allowedActions: ['ok'], kind: 'LATER' }],
    ['a negative expiry', { reasonCode: 'r', allowedActions: ['ok'], expiresInMs: -1 }],
    ['an infinite expiry', { reasonCode: 'r', allowedActions: ['ok'], expiresInMs: Infinity }],
    ['an unrepresentable expiry', { reasonCode: 'r', allowedActions: ['ok'], expiresInMs: 1e16 }],
    ['a function in interaction', { reasonCode: 'r', allowedActions: ['ok'], interaction: { f: () => 1 } }],
    ['a BigInt in uiHints', { reasonCode: 'r', allowedActions: ['ok'], uiHints: { n: 1n } }],
    ['null', null],
  ];
  for (const [what, options] of bad) {
    it(`${what} fails the task with INVALID_HANDLER_OUTPUT and announces no suspension`, async () => {
      const { engine: e } = start({ h: (ctx) => ctx.suspend(options as never) });
      const events = await settled(e, await run(e, 'h'));
      expectOneFailure(events, 'INVALID_HANDLER_OUTPUT');
      expect(events.some((x) => x.type === 'TASK_SUSPENDED')).toBe(false);
    });
  }

  it('an expiry past 2^31−1 ms (3e9 ms, about 35 days) expires then, not 1 ms later', async () => {
    const expiresInMs = 3e9;
    expect(expiresInMs).toBeGreaterThan(MAX_TIMER_DELAY_MS);
    const { engine: e } = start(
      { h: (ctx) => ctx.suspend({ reasonCode: 'r', allowedActions: ['ok'], expiresInMs }) },
      { limits: { taskDeadlineMs: null } },
    );
    const taskId = await run(e, 'h');
    const lastType = async () => (await log(e, taskId)).at(-1)?.type;
    await vi.advanceTimersByTimeAsync(1000);
    expect(await lastType()).toBe('TASK_SUSPENDED');
    await vi.advanceTimersByTimeAsync(expiresInMs - 2000);
    expect(await lastType()).toBe('TASK_SUSPENDED');
    await vi.advanceTimersByTimeAsync(2000);
    expectOneFailure(await log(e, taskId), 'SUSPENSION_EXPIRED');
  });
});

describe('the task deadline', () => {
  it('a handler that never settles is failed at the deadline and its run is let go', async () => {
    const { engine: e, logs } = start(
      { hang: () => new Promise(() => undefined) },
      { limits: { taskDeadlineMs: 5000 } },
    );
    const taskId = await run(e, 'hang');
    await vi.advanceTimersByTimeAsync(4990);
    expect((await e.getStatus(alice, taskId)).status).toBe('RUNNING');
    await vi.advanceTimersByTimeAsync(20);
    expectOneFailure(await log(e, taskId), 'TASK_DEADLINE_EXCEEDED');
    expect(logs).toContainEqual(expect.objectContaining({ code: 'TASK_DEADLINE_EXCEEDED', taskId }));
  });

  it('a generator stuck between yields and a suspended task are ended too; the signal aborts', async () => {
    let aborted = 0;
    const { engine: e } = start(
      {
        stuckGenerator: async function* (ctx) {
          ctx.signal.addEventListener('abort', () => (aborted += 1));
          yield { type: 'message', message: 'one' };
          await new Promise(() => undefined);
        },
        suspended: (ctx) => ctx.suspend({ reasonCode: 'r', allowedActions: ['ok'] }),
      },
      { limits: { taskDeadlineMs: 1000 } },
    );
    const a = await run(e, 'stuckGenerator');
    const b = await run(e, 'suspended');
    await vi.advanceTimersByTimeAsync(1001);
    expectOneFailure(await log(e, a), 'TASK_DEADLINE_EXCEEDED');
    expectOneFailure(await log(e, b), 'TASK_DEADLINE_EXCEEDED');
    expect(aborted).toBe(1);
  });

  it('a never-finishing task is evicted once the deadline ended it and the retention TTL passed', async () => {
    const backend = createMemoryBackend({ finishedTaskTtlMs: 2000 });
    const { engine: e } = start(
      { hang: () => new Promise(() => undefined) },
      { backend, limits: { taskDeadlineMs: 3000 } },
    );
    const taskId = await run(e, 'hang');
    await vi.advanceTimersByTimeAsync(3001);
    expect((await e.getStatus(alice, taskId)).status).toBe('FAILED');
    await vi.advanceTimersByTimeAsync(2500);
    await expect(e.getStatus(alice, taskId)).rejects.toMatchObject({ code: 'TASK_NOT_FOUND' });
    await backend.close();
  });

  it('defaults to one hour', () => {
    const { engine: e } = start({});
    expect(e.limits.taskDeadlineMs).toBe(3_600_000);
  });
});
