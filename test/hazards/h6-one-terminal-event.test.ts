/**
 * H6 — the producer contract. Handlers only return, throw or get cancelled; the engine writes exactly
 * one terminal event, and it is the last event of the log. Emits after the terminal event (from a
 * handler that ignores its abort signal) are refused and never stored.
 */
import {
  isTerminalEvent,
  TaskBridgeError,
  type TaskEvent,
  type TerminalEventType,
} from '@taskbridge/protocol';
import type { TaskContext, TaskHandler, TaskYield } from '@taskbridge/server-reference';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createDeferred, type Deferred, Gates, settleWithin } from '../support/hazard-deferred';
import { readLog, terminalLog } from '../support/hazard-streams';
import { startTestServer, type TestServer } from '../support/reference-server';

const PROMPT_MS = 3_000;

let server: TestServer;
let gates: Gates;
/** Per task: resolves when its handler has really returned or thrown (after any late emits). */
let handlerDone: Map<string, Deferred>;
/** Per task: how each emit attempted after the cancel ended ('stored' or the rejection's name). */
let lateEmits: Map<string, string[]>;

const done = (taskId: string): Deferred => {
  let deferred = handlerDone.get(taskId);
  if (!deferred) {
    deferred = createDeferred();
    handlerDone.set(taskId, deferred);
  }
  return deferred;
};

async function attempt(ctx: TaskContext, emit: () => Promise<unknown>): Promise<void> {
  const outcomes = lateEmits.get(ctx.taskId) ?? [];
  lateEmits.set(ctx.taskId, outcomes);
  try {
    await emit();
    outcomes.push('stored');
  } catch (error) {
    outcomes.push(error instanceof Error ? error.name : 'non-error');
  }
}

/** Waits for the cancel without looking at the abort signal, like a handler that ignores it. */
const ignoreCancel = (ctx: TaskContext) => gates.wait(ctx.taskId);

const handlers: Record<string, TaskHandler> = {
  returns: async (ctx) => {
    await ctx.message('working');
    return { answer: 42 };
  },
  throws: async (ctx) => {
    await ctx.message('working');
    throw new TaskBridgeError({ code: 'ACTION_REJECTED', message: 'handler threw', retryable: true });
  },
  returnsUndefined: async () => undefined,
  generatorReturns: async function* (): AsyncGenerator<TaskYield, unknown, undefined> {
    yield { type: 'progress', progress: 50 };
    yield { type: 'message', message: 'half way' };
    return { generated: true };
  },
  generatorThrows: async function* (): AsyncGenerator<TaskYield, unknown, undefined> {
    yield { type: 'message', message: 'about to throw' };
    throw new Error('generator broke');
  },
  cooperative: async (ctx) => {
    try {
      await ctx.message('sleeping');
      await ctx.sleep(60_000);
    } finally {
      done(ctx.taskId).resolve();
    }
  },
  ignoresAbortAndReturns: async (ctx) => {
    try {
      await ctx.message('running');
      await ignoreCancel(ctx);
      await attempt(ctx, () => ctx.message('after cancel 1'));
      await attempt(ctx, () => ctx.progress(99, { stage: 'late' }));
      await attempt(ctx, () => ctx.suspend({ reasonCode: 'late', allowedActions: ['ok'] }));
      await attempt(ctx, () => ctx.message('after cancel 2'));
      return { lateResult: true };
    } finally {
      done(ctx.taskId).resolve();
    }
  },
  ignoresAbortAndThrows: async (ctx) => {
    try {
      await ctx.message('running');
      await ignoreCancel(ctx);
      await attempt(ctx, () => ctx.message('after cancel'));
      throw new Error('thrown after the cancel');
    } finally {
      done(ctx.taskId).resolve();
    }
  },
  generatorIgnoresAbort: async function* (ctx): AsyncGenerator<TaskYield, unknown, undefined> {
    try {
      yield { type: 'message', message: 'running' };
      await ignoreCancel(ctx);
      for (let i = 0; i < 5; i++) {
        lateEmits.set(ctx.taskId, [...(lateEmits.get(ctx.taskId) ?? []), `yield late ${i}`]);
        yield { type: 'message', message: `late ${i}` };
      }
      return { late: true };
    } finally {
      done(ctx.taskId).resolve();
    }
  },
  gatedReturn: async (ctx) => {
    await ctx.message('ready');
    await gates.wait(ctx.taskId);
    return { raced: true };
  },
};

beforeEach(async () => {
  gates = new Gates();
  handlerDone = new Map();
  lateEmits = new Map();
  server = await startTestServer({ handlers });
});

afterEach(async () => {
  await server.close();
});

async function cancel(taskId: string): Promise<string> {
  const res = await server.request(`/api/v1/tasks/${taskId}/cancel`, { method: 'POST', subject: 'alice' });
  expect(res.status).toBe(202);
  return ((await res.json()) as { status: string }).status;
}

/** Exactly one terminal event, of `type`, and it is the last event. */
function expectOneTerminalLast(log: readonly TaskEvent[], type: TerminalEventType): void {
  expect(log.filter(isTerminalEvent).map((e) => e.type)).toEqual([type]);
  expect(log.at(-1)?.type).toBe(type);
  expect(log[0]?.type).toBe('TASK_STARTED');
}

/** Waits until the handler's message shows it is running (live, not yet terminal). */
async function running(taskId: string): Promise<void> {
  await vi.waitFor(
    async () => expect((await readLog(server.request, taskId)).map((e) => e.type)).toContain('TASK_MESSAGE'),
    { timeout: PROMPT_MS },
  );
}

const finalLog = (taskId: string) =>
  vi.waitFor(() => terminalLog(server.request, taskId), { timeout: PROMPT_MS });

describe('H6: exactly one terminal event, written by the engine', () => {
  it.each([
    { taskType: 'returns', terminal: 'TASK_COMPLETED' as const, body: { result: { answer: 42 } } },
    { taskType: 'returnsUndefined', terminal: 'TASK_COMPLETED' as const, body: { result: null } },
    {
      taskType: 'generatorReturns',
      terminal: 'TASK_COMPLETED' as const,
      body: { result: { generated: true } },
    },
    {
      taskType: 'throws',
      terminal: 'TASK_FAILED' as const,
      body: { code: 'ACTION_REJECTED', message: 'handler threw', retryable: true },
    },
    {
      taskType: 'generatorThrows',
      terminal: 'TASK_FAILED' as const,
      body: { code: 'TASK_EXECUTION_FAILED', message: 'generator broke', retryable: false },
    },
  ])('$taskType → one $terminal, last', async ({ taskType, terminal, body }) => {
    const taskId = await server.createTask(taskType);
    const log = await finalLog(taskId);
    expectOneTerminalLast(log, terminal);
    expect(log.at(-1)?.payload).toEqual(body);
  });

  it('a handler that honours the abort signal is cancelled with one TASK_CANCELLED', async () => {
    const taskId = await server.createTask('cooperative');
    await running(taskId);
    expect(await cancel(taskId)).toBe('CANCELLATION_REQUESTED');
    await settleWithin(done(taskId).promise, PROMPT_MS, 'cancelled handler');
    const log = await finalLog(taskId);
    expectOneTerminalLast(log, 'TASK_CANCELLED');
  });

  it.each([
    { taskType: 'ignoresAbortAndReturns', late: ['AbortError', 'AbortError', 'AbortError', 'AbortError'] },
    { taskType: 'ignoresAbortAndThrows', late: ['AbortError'] },
  ])(
    '$taskType: emits after the cancel are refused and the late outcome writes nothing',
    async ({ taskType, late }) => {
      const taskId = await server.createTask(taskType);
      await running(taskId);
      expect(await cancel(taskId)).toBe('CANCELLATION_REQUESTED');
      const atCancel = await finalLog(taskId);
      // The handler carries on after the terminal event is stored, then returns or throws.
      gates.open(taskId);
      await settleWithin(done(taskId).promise, PROMPT_MS, 'handler ignoring the cancel');
      expect(lateEmits.get(taskId)).toEqual(late);
      const log = await readLog(server.request, taskId);
      expect(log).toEqual(atCancel);
      expectOneTerminalLast(log, 'TASK_CANCELLED');
    },
  );

  it('a generator that ignores the cancel and keeps yielding stores nothing after TASK_CANCELLED', async () => {
    const taskId = await server.createTask('generatorIgnoresAbort');
    await running(taskId);
    expect(await cancel(taskId)).toBe('CANCELLATION_REQUESTED');
    const atCancel = await finalLog(taskId);
    gates.open(taskId);
    // The generator yields after the terminal event; the runner refuses that yield and stops pulling.
    await vi.waitFor(() => expect(lateEmits.get(taskId)).toEqual(['yield late 0']), { timeout: PROMPT_MS });
    expect(await readLog(server.request, taskId)).toEqual(atCancel);
    const status = await server.request(`/api/v1/tasks/${taskId}`, { subject: 'alice' });
    expect(((await status.json()) as { status: string }).status).toBe('CANCELLED');
    expectOneTerminalLast(atCancel, 'TASK_CANCELLED');
    expect(atCancel.map((e) => (e.type === 'TASK_MESSAGE' ? e.payload.message : e.type))).not.toContain(
      'late 0',
    );
  });

  it('a cancel racing the handler’s return leaves exactly one terminal event', async () => {
    const auth = { subject: 'alice', scopes: [], attributes: {} };
    const taskIds = await Promise.all(Array.from({ length: 24 }, () => server.createTask('gatedReturn')));
    await Promise.all(taskIds.map(running));
    // Release the handler 12..1 microtask turns after the cancel starts, or cancel 0..11 turns after
    // releasing it: every interleaving of the handler's return path with the cancel's claim of the
    // terminal event is hit, whichever of the two takes more turns to reach the event log.
    const turns = async (n: number) => {
      for (let i = 0; i < n; i++) await Promise.resolve();
    };
    await Promise.all(
      taskIds.map(async (taskId, index) => {
        const offset = index - 12;
        if (offset < 0) {
          const cancelled = server.server.engine.cancel(auth, taskId);
          await turns(-offset);
          gates.open(taskId);
          await cancelled;
        } else {
          gates.open(taskId);
          await turns(offset);
          await server.server.engine.cancel(auth, taskId);
        }
      }),
    );
    const terminals = new Set<string>();
    for (const taskId of taskIds) {
      const log = await finalLog(taskId);
      const terminal = log.at(-1)?.type as TerminalEventType;
      terminals.add(terminal);
      expect(['TASK_COMPLETED', 'TASK_CANCELLED']).toContain(terminal);
      expectOneTerminalLast(log, terminal);
    }
    // The race really was a race: both outcomes happened.
    expect([...terminals].sort()).toEqual(['TASK_CANCELLED', 'TASK_COMPLETED']);
  });

  it('a second cancel, or a cancel after completion, is ALREADY_TERMINAL and writes nothing', async () => {
    const cancelled = await server.createTask('cooperative');
    await running(cancelled);
    expect(await cancel(cancelled)).toBe('CANCELLATION_REQUESTED');
    expect(await cancel(cancelled)).toBe('ALREADY_TERMINAL');
    expectOneTerminalLast(await finalLog(cancelled), 'TASK_CANCELLED');

    const completed = await server.createTask('returns');
    const log = await finalLog(completed);
    expect(await cancel(completed)).toBe('ALREADY_TERMINAL');
    expect(await readLog(server.request, completed)).toEqual(log);
    expectOneTerminalLast(log, 'TASK_COMPLETED');
  });
});
