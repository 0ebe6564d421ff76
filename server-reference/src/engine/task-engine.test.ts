import { compareEventIds, isTerminalEvent, type TaskEvent } from '@taskbridge/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMemoryBackend } from './state/memory/memory-backend';
import { createTaskEngine } from './task-engine';
import type { AuthContext, TaskHandler } from './types';

const alice: AuthContext = { subject: 'alice', scopes: [], attributes: {} };
const bob: AuthContext = { subject: 'bob', scopes: [], attributes: {} };

async function collect(
  engine: ReturnType<typeof createTaskEngine>,
  taskId: string,
  cursor: string | null = null,
) {
  const events: TaskEvent[] = [];
  const sub = await engine.subscribe(alice, taskId, cursor);
  for await (const item of sub) if (item.kind === 'events') events.push(...item.events);
  return events;
}

describe('TaskEngine', () => {
  it('streams replay then live events and ends after the terminal event', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const handler: TaskHandler = async (ctx) => {
      await ctx.message('a');
      await gate;
      await ctx.message('b');
      return { ok: true };
    };
    const engine = createTaskEngine({ handlers: { h: handler } });
    const { response } = await engine.createTask(alice, { clientRequestId: 'c1', taskType: 'h' });
    const done = collect(engine, response.taskId);
    release();
    const events = await done;
    expect(events.map((e) => e.type)).toEqual([
      'TASK_STARTED',
      'TASK_MESSAGE',
      'TASK_MESSAGE',
      'TASK_COMPLETED',
    ]);
    for (let i = 1; i < events.length; i++) {
      expect(compareEventIds(events[i - 1]!.eventId, events[i]!.eventId)).toBe(-1);
    }
    // Resubscribing at the terminal ends at once with nothing (protocol/SPEC.md §6 extension).
    expect(await collect(engine, response.taskId, events.at(-1)!.eventId)).toEqual([]);
  });

  it('masks foreign tasks as not found', async () => {
    const engine = createTaskEngine({ handlers: { h: async () => 1 } });
    const { response } = await engine.createTask(alice, { clientRequestId: 'c1', taskType: 'h' });
    await expect(engine.getTask(bob, response.taskId)).rejects.toMatchObject({ code: 'TASK_NOT_FOUND' });
    await expect(engine.subscribe(bob, response.taskId, null)).rejects.toMatchObject({
      code: 'TASK_NOT_FOUND',
    });
  });

  it('rejects malformed cursors', async () => {
    const engine = createTaskEngine({ handlers: { h: async () => 1 } });
    const { response } = await engine.createTask(alice, { clientRequestId: 'c1', taskType: 'h' });
    await expect(engine.subscribe(alice, response.taskId, 'hb-1')).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
    });
  });

  it('suspends, accepts one action, deduplicates its repeat and resumes', async () => {
    const engine = createTaskEngine({
      handlers: {
        ask: async (ctx) => (await ctx.suspend({ reasonCode: 'r', allowedActions: ['ok'] })).payload,
      },
    });
    const { response } = await engine.createTask(alice, { clientRequestId: 'c1', taskType: 'ask' });
    const taskId = response.taskId;
    const events: TaskEvent[] = [];
    const sub = await engine.subscribe(alice, taskId, null);
    for await (const item of sub) {
      if (item.kind !== 'events') continue;
      events.push(...item.events);
      const suspended = item.events.find((e) => e.type === 'TASK_SUSPENDED');
      if (suspended?.type === 'TASK_SUSPENDED') {
        const action = {
          clientActionId: 'a1',
          suspendId: suspended.payload.suspendId,
          actionType: 'ok',
          payload: { x: 1 },
        };
        expect((await engine.submitAction(alice, taskId, action)).response.status).toBe('ACCEPTED');
        expect((await engine.submitAction(alice, taskId, action)).response.status).toBe('DEDUPLICATED');
      }
    }
    expect(events.map((e) => e.type)).toEqual([
      'TASK_STARTED',
      'TASK_SUSPENDED',
      'TASK_ACTION_ACCEPTED',
      'TASK_COMPLETED',
    ]);
    const last = events.at(-1)!;
    expect(isTerminalEvent(last) && last.type === 'TASK_COMPLETED' && last.payload.result).toEqual({ x: 1 });
  });
});

describe('TaskEngine on a backend', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('answers 404 for a finished task once retention evicted it, and a repeat create then makes a new task', async () => {
    vi.useFakeTimers({ now: 1_000_000, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const backend = createMemoryBackend({ finishedTaskTtlMs: 1_000, idempotencyTtlMs: 60_000 });
    const engine = createTaskEngine({ handlers: { h: async () => 'done' }, backend });
    const request = { clientRequestId: 'c1', taskType: 'h' };
    const { response } = await engine.createTask(alice, request);
    await vi.waitFor(async () =>
      expect((await engine.getStatus(alice, response.taskId)).status).toBe('COMPLETED'),
    );
    expect((await engine.createTask(alice, request)).response).toMatchObject({
      taskId: response.taskId,
      status: 'COMPLETED',
      deduplicated: true,
    });

    vi.advanceTimersByTime(1_000);
    await expect(engine.getStatus(alice, response.taskId)).rejects.toMatchObject({ code: 'TASK_NOT_FOUND' });
    await expect(
      engine.poll(alice, response.taskId, { afterEventId: null, waitTimeoutMs: 0, maxEvents: 10 }),
    ).rejects.toMatchObject({ code: 'TASK_NOT_FOUND' });
    // The key outlived its task: the repeat is a new task, not a 404 or a dangling dedupe.
    const again = await engine.createTask(alice, request);
    expect(again.created).toBe(true);
    expect(again.response.taskId).not.toBe(response.taskId);
    await engine.shutdown();
    await backend.close();
  });

  it('of concurrent identical creates exactly one makes a task; the others are its repeats', async () => {
    const engine = createTaskEngine({ handlers: { h: async () => 'done' } });
    const results = await Promise.all(
      Array.from({ length: 20 }, () => engine.createTask(alice, { clientRequestId: 'same', taskType: 'h' })),
    );
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.response.taskId)).size).toBe(1);
    expect(engine.taskCount).toBe(1);
    await engine.shutdown();
  });

  it('a cancel stores TASK_CANCELLED first, then aborts the running handler through the control channel', async () => {
    const heard: string[] = [];
    const engine = createTaskEngine({
      handlers: {
        h: async (ctx) => {
          await ctx.message('working');
          await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
          heard.push('aborted');
          heard.push(
            await ctx.message('after').then(
              () => 'stored',
              (error: Error) => error.name,
            ),
          );
          return 'ignored';
        },
      },
    });
    const control: string[] = [];
    const { response } = await engine.createTask(alice, { clientRequestId: 'c1', taskType: 'h' });
    await engine.backend.control.subscribe(response.taskId, (m) => control.push(m.type));
    await vi.waitFor(async () =>
      expect((await engine.getStatus(alice, response.taskId)).lastEventId).not.toBeNull(),
    );
    await vi.waitFor(async () => {
      const page = await engine.poll(alice, response.taskId, {
        afterEventId: null,
        waitTimeoutMs: 0,
        maxEvents: 10,
      });
      expect(page.events.map((e) => e.type)).toEqual(['TASK_STARTED', 'TASK_MESSAGE']);
    });
    expect(await engine.cancel(alice, response.taskId, 'stop')).toEqual({
      taskId: response.taskId,
      status: 'CANCELLATION_REQUESTED',
    });
    expect(control).toEqual(['cancel']);
    await vi.waitFor(() => expect(heard).toEqual(['aborted', 'AbortError']));
    const page = await engine.poll(alice, response.taskId, {
      afterEventId: null,
      waitTimeoutMs: 0,
      maxEvents: 10,
    });
    expect(page.events.map((e) => e.type)).toEqual(['TASK_STARTED', 'TASK_MESSAGE', 'TASK_CANCELLED']);
    expect(await engine.cancel(alice, response.taskId)).toMatchObject({ status: 'ALREADY_TERMINAL' });
    await engine.shutdown();
  });
});

describe('TaskEngine: suspend() options that cannot become an event', () => {
  it('fail the task (TASK_FAILED) and leave no unhandled rejection behind', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const engine = createTaskEngine({
        handlers: {
          // An expiry no Date can represent, and a function where JSON is expected.
          farExpiry: (ctx) => ctx.suspend({ reasonCode: 'r', allowedActions: ['ok'], expiresInMs: 1e16 }),
          fnInteraction: (ctx) =>
            ctx.suspend({ reasonCode: 'r', allowedActions: ['ok'], interaction: { f: (() => 1) as never } }),
        },
      });
      for (const taskType of ['farExpiry', 'fnInteraction']) {
        const { response } = await engine.createTask(alice, { clientRequestId: taskType, taskType });
        await vi.waitFor(async () =>
          expect((await engine.getStatus(alice, response.taskId)).status).toBe('FAILED'),
        );
      }
      await engine.shutdown();
      // Node reports unhandled rejections once the microtask queue drains, before the next macrotask.
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
