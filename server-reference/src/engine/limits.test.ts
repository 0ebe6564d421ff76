/**
 * The engine's limits: each has a default, each can be set or lifted, and passing one is an error the
 * caller can act on (429/413/400 for requests, one `TASK_FAILED` `TASK_LIMIT_EXCEEDED` for a running
 * task) — never unbounded growth.
 */
import { isTerminalEvent, TaskBridgeError, type TaskEvent } from '@taskbridge/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createSummarizeHandler } from '../handlers/summarize';
import { createTickerHandler } from '../handlers/ticker';
import {
  DEFAULT_MAX_EVENT_PAYLOAD_BYTES,
  DEFAULT_MAX_EVENTS_WRITTEN_PER_TASK,
  DEFAULT_MAX_IN_FLIGHT_TASKS_PER_SUBJECT,
  DEFAULT_MAX_STREAMS,
  DEFAULT_MAX_STREAMS_PER_SUBJECT,
  DEFAULT_MAX_TASK_BYTES,
  resolveEngineLimits,
} from './limits';
import { createTaskEngine, type TaskEngine, type TaskEngineOptions } from './task-engine';
import type { AuthContext, TaskHandler } from './types';

const user = (subject: string): AuthContext => ({ subject, scopes: [], attributes: {} });
const alice = user('alice');
const bob = user('bob');

let engine: TaskEngine | undefined;
afterEach(async () => {
  await engine?.shutdown();
  engine = undefined;
});

function start(handlers: Record<string, TaskHandler>, options: TaskEngineOptions = {}): TaskEngine {
  engine = createTaskEngine({ handlers, ...options });
  return engine;
}

let counter = 0;
async function create(
  e: TaskEngine,
  auth: AuthContext,
  taskType: string,
  input: Record<string, unknown> = {},
) {
  counter += 1;
  return (await e.createTask(auth, { clientRequestId: `c${counter}`, taskType, input })).response.taskId;
}

async function finalLog(e: TaskEngine, taskId: string): Promise<TaskEvent[]> {
  return vi.waitFor(
    async () => {
      const { events } = await e.backend.events.read(taskId, null, 10_000);
      if (!events.some(isTerminalEvent)) throw new Error('not finished');
      return events;
    },
    { timeout: 5000 },
  );
}

function expectLimitFailure(events: readonly TaskEvent[]) {
  expect(events.filter(isTerminalEvent)).toHaveLength(1);
  expect(events.at(-1)).toMatchObject({ type: 'TASK_FAILED', payload: { code: 'TASK_LIMIT_EXCEEDED' } });
}

describe('defaults and options', () => {
  it('every limit has a documented default', () => {
    expect(resolveEngineLimits()).toEqual({
      maxEventsPerTask: DEFAULT_MAX_EVENTS_WRITTEN_PER_TASK,
      maxEventPayloadBytes: DEFAULT_MAX_EVENT_PAYLOAD_BYTES,
      maxTaskBytes: DEFAULT_MAX_TASK_BYTES,
      maxInFlightTasksPerSubject: DEFAULT_MAX_IN_FLIGHT_TASKS_PER_SUBJECT,
      maxStreamsPerSubject: DEFAULT_MAX_STREAMS_PER_SUBJECT,
      maxStreams: DEFAULT_MAX_STREAMS,
      taskDeadlineMs: 3_600_000,
    });
  });

  it('refuses a limit that is not a positive integer or null', () => {
    expect(() => resolveEngineLimits({ maxTaskBytes: 0 })).toThrow(RangeError);
    expect(() => resolveEngineLimits({ maxStreams: 1.5 })).toThrow(RangeError);
    expect(resolveEngineLimits({ maxStreams: null }).maxStreams).toBeNull();
  });
});

describe('per-task limits end the task with one TASK_FAILED', () => {
  const chatty: TaskHandler = async (ctx) => {
    for (let i = 0; i < 50; i++) await ctx.message(`m${i} ${'x'.repeat(Number(ctx.input.size ?? 0))}`);
    return 'done';
  };

  it('events per task', async () => {
    const e = start({ chatty }, { limits: { maxEventsPerTask: 10 } });
    const events = await finalLog(e, await create(e, alice, 'chatty'));
    expectLimitFailure(events);
    expect(events).toHaveLength(11);
  });

  it('bytes per event payload (a result too)', async () => {
    const e = start(
      { chatty, bigResult: async () => ({ blob: 'y'.repeat(5000) }) },
      { limits: { maxEventPayloadBytes: 1000 } },
    );
    const events = await finalLog(e, await create(e, alice, 'chatty', { size: 2000 }));
    expectLimitFailure(events);
    expect(events.map((x) => x.type)).toEqual(['TASK_STARTED', 'TASK_FAILED']);
    expectLimitFailure(await finalLog(e, await create(e, alice, 'bigResult')));
  });

  it('bytes per task', async () => {
    const e = start({ chatty }, { limits: { maxTaskBytes: 2000 } });
    const events = await finalLog(e, await create(e, alice, 'chatty', { size: 100 }));
    expectLimitFailure(events);
    const stored = events.slice(0, -1).reduce((sum, x) => sum + JSON.stringify(x.payload).length, 0);
    expect(stored).toBeLessThanOrEqual(2000);
  });

  it('a handler that catches the limit error cannot write on', async () => {
    let refused = 0;
    const stubborn: TaskHandler = async (ctx) => {
      for (let i = 0; i < 20; i++) await ctx.message(`m${i}`).catch(() => (refused += 1));
      return 'done';
    };
    const e = start({ stubborn }, { limits: { maxEventsPerTask: 5 } });
    const events = await finalLog(e, await create(e, alice, 'stubborn'));
    expectLimitFailure(events);
    expect(events).toHaveLength(6);
    expect(refused).toBe(16);
  });
});

describe('tasks in flight per subject', () => {
  it('one more unfinished task is a 429 RATE_LIMITED; a finished one frees its slot; others are unaffected', async () => {
    const gates: (() => void)[] = [];
    const wait: TaskHandler = () => new Promise<void>((resolve) => gates.push(resolve));
    const e = start({ wait }, { limits: { maxInFlightTasksPerSubject: 2 } });
    await create(e, alice, 'wait');
    await create(e, alice, 'wait');
    const refused = await e
      .createTask(alice, { clientRequestId: 'third', taskType: 'wait' })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(TaskBridgeError);
    expect(refused).toMatchObject({ code: 'RATE_LIMITED', status: 429, retryable: true });
    await create(e, bob, 'wait');
    await vi.waitFor(() => expect(gates).toHaveLength(3));
    gates[0]?.();
    await vi.waitFor(() => create(e, alice, 'wait'));
    for (const open of gates) open();
  });

  it('a repeat of an existing create is still answered at the limit', async () => {
    const e = start(
      { wait: () => new Promise(() => undefined) },
      { limits: { maxInFlightTasksPerSubject: 1 } },
    );
    const first = await e.createTask(alice, { clientRequestId: 'same', taskType: 'wait' });
    const again = await e.createTask(alice, { clientRequestId: 'same', taskType: 'wait' });
    expect(again.response).toMatchObject({ taskId: first.response.taskId, deduplicated: true });
  });
});

describe('concurrent streams', () => {
  const wait: TaskHandler = () => new Promise(() => undefined);

  it('per subject: one more subscription is a 429; closing one frees its slot', async () => {
    const e = start({ wait }, { limits: { maxStreamsPerSubject: 2 } });
    const taskId = await create(e, alice, 'wait');
    const a = await e.subscribe(alice, taskId, null);
    await e.subscribe(alice, taskId, null);
    await expect(e.subscribe(alice, taskId, null)).rejects.toMatchObject({
      code: 'RATE_LIMITED',
      status: 429,
    });
    a.close();
    const c = await e.subscribe(alice, taskId, null);
    expect(c.closed).toBe(false);
  });

  it('per engine: all subjects together', async () => {
    const e = start({ wait }, { limits: { maxStreams: 2 } });
    const mine = await create(e, alice, 'wait');
    const theirs = await create(e, bob, 'wait');
    await e.subscribe(alice, mine, null);
    await e.subscribe(bob, theirs, null);
    await expect(e.subscribe(bob, theirs, null)).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    expect(e.subscriptionCount).toBe(2);
  });

  it('a refused or failed open leaves no slot taken', async () => {
    const e = start({ wait }, { limits: { maxStreamsPerSubject: 1 } });
    const taskId = await create(e, alice, 'wait');
    await expect(e.subscribe(alice, 'nope', null)).rejects.toMatchObject({ code: 'TASK_NOT_FOUND' });
    await expect(e.subscribe(alice, taskId, 'not-a-cursor')).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
    });
    expect((await e.subscribe(alice, taskId, null)).closed).toBe(false);
  });
});

describe('demo handler inputs', () => {
  const handlers = { ticker: createTickerHandler(), summarize: createSummarizeHandler({ tokenDelayMs: 0 }) };
  const refused = (e: TaskEngine, taskType: string, input: Record<string, unknown>) =>
    e
      .createTask(alice, { clientRequestId: `r${Math.random()}`, taskType, input })
      .catch((error: unknown) => error);

  it('ticker: count and payload over their bounds are a 400, their product over the bytes bound a 413', async () => {
    const e = start(handlers);
    expect(await refused(e, 'ticker', { count: 100_001 })).toMatchObject({
      code: 'INVALID_REQUEST',
      status: 400,
    });
    expect(await refused(e, 'ticker', { payloadBytes: 65_537 })).toMatchObject({ status: 400 });
    expect(await refused(e, 'ticker', { count: '5' })).toMatchObject({ status: 400 });
    // The out-of-memory request: 100,000 × 64 KiB.
    expect(await refused(e, 'ticker', { count: 100_000, payloadBytes: 65_536 })).toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
      status: 413,
    });
    expect(e.taskCount).toBe(0);
    expect(await finalLog(e, await create(e, alice, 'ticker', { count: 3 }))).toHaveLength(5);
  });

  it('summarize: 1 MB of text is a 413 (it made 572,512 events); a long sentence streams at most maxTokens', async () => {
    const e = start(handlers);
    expect(await refused(e, 'summarize', { text: 'a '.repeat(500_000) })).toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
      status: 413,
    });
    const events = await finalLog(e, await create(e, alice, 'summarize', { text: 'a '.repeat(100_000) }));
    expect(events.filter((x) => x.type === 'TASK_MESSAGE').length).toBe(2000);
    expect(events.at(-1)).toMatchObject({
      type: 'TASK_COMPLETED',
      payload: { result: { stats: { truncated: true } } },
    });
  });
});
