/**
 * The task stream store and its data path over scripted memory transports, on fake time: nothing
 * happens before the first observer, one state and one listener set, and every observer is told how
 * the stream ended.
 */
import { TaskBridgeError, type TaskEvent } from '@taskbridge/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type AnyActorRef, createActor, fromCallback } from 'xstate';
import type { CheckpointStore } from './checkpoint/checkpoint-store';
import { createCheckpointWriter } from './checkpoint/checkpoint-writer';
import { createMemoryCheckpointStore } from './checkpoint/memory';
import { systemClock } from './clock';
import type { Diagnostic } from './diagnostics';
import type { HistoryTrimmedPolicy } from './history-trimmed';
import { resolveConnectionConfig } from './machine/config';
import { taskStreamMachine } from './machine/machine';
import type { StreamContext } from './stream-context';
import { TaskStreamStore } from './task-stream';
import { MemoryTransport, type MemoryScript, memoryStep as step } from './transports/memory';

const TASK = 't1';
const event = (eventId: string, type = 'TASK_MESSAGE', payload: object = { message: `m${eventId}` }) =>
  ({ type, taskId: TASK, eventId, createdAt: '2026-01-01T00:00:00Z', payload }) as TaskEvent;

interface Setup {
  stream: TaskStreamStore;
  store: CheckpointStore;
  socket: MemoryTransport;
  diagnostics: Diagnostic[];
  loads: number;
  resolves: number;
  stopped: TaskStreamStore[];
}

let root: AnyActorRef | undefined;

// Changed by the history-trimmed tests (and reset after each of them).
let policy: HistoryTrimmedPolicy = 'continue';
// Changed by the crash test (and reset after it).
let machine = taskStreamMachine;

function setup(...scripts: MemoryScript[]): Setup {
  const socket = new MemoryTransport({ name: 'websocket', scripts });
  const store = createMemoryCheckpointStore();
  const diagnostics: Diagnostic[] = [];
  const result: Setup = {
    stream: undefined as never,
    store,
    socket,
    diagnostics,
    loads: 0,
    resolves: 0,
    stopped: [],
  };
  const context: StreamContext = {
    checkpointWriter: (taskId) => createCheckpointWriter({ store, key: `k:${taskId}`, clock: systemClock }),
    diagnostic: (d) => diagnostics.push(d),
    onHistoryTrimmed: policy,
    commands: {
      cancel: () => Promise.reject(new Error('unused')),
      submitAction: () => Promise.reject(new Error('unused')),
    },
    machine,
    machineEnv: {
      loadCheckpoint: (taskId) => {
        result.loads += 1;
        return store.load(`k:${taskId}`);
      },
      resolveTransports: async () => {
        result.resolves += 1;
        return { transports: [socket], config: resolveConnectionConfig({ livenessTimeoutMs: 600_000 }) };
      },
      health: null,
      origin: '',
      now: () => Date.now(),
      random: () => 0.5,
      refreshCredentials: null,
      confirmTaskReachable: null,
      diagnostic: (d) => diagnostics.push(d),
      detachGraceMs: 500,
      isOnline: () => true,
      isHidden: () => false,
      tabs: null,
    },
    system: () =>
      (root ??= createActor(
        fromCallback(() => undefined),
        { clock: systemClock },
      ).start()),
    onAttached: () => undefined,
    onStopped: (stream) => result.stopped.push(stream),
  };
  result.stream = new TaskStreamStore(TASK, context);
  return result;
}

const advance = (ms: number) => vi.advanceTimersByTimeAsync(ms);

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('before the first observer', () => {
  it('does nothing: no checkpoint read, no transport, idle state', async () => {
    const s = setup([step.open(), step.ack(), step.hang()]);
    const before = s.stream.getState();
    await advance(10_000);
    expect([s.loads, s.resolves, s.socket.connections.length]).toEqual([0, 0, 0]);
    expect(s.stream.getState()).toBe(before);
    expect(before.connection.status).toBe('idle');
    expect(s.stream.cursor()).toBeNull();
  });
});

describe('the store', () => {
  it('one state object, replaced on change, the same between changes', async () => {
    const s = setup([step.open(), step.ack(), step.event(event('1'), 10), step.hang()]);
    const states = new Set<unknown>();
    const off = s.stream.subscribe(() => states.add(s.stream.getState()));
    await advance(5);
    const live = s.stream.getState();
    expect(live.connection.status).toBe('live');
    expect(s.stream.getState()).toBe(live);
    await advance(10);
    expect(s.stream.getState()).not.toBe(live);
    expect(s.stream.getSnapshot()).toBe(s.stream.getState().snapshot);
    expect(s.stream.getSnapshot().lastEventId).toBe('1');
    off();
  });

  it('the same listener subscribed twice is two observers', async () => {
    const s = setup([step.open(), step.ack(), step.event(event('1'), 2_000), step.hang()]);
    let calls = 0;
    const listener = () => (calls += 1);
    const first = s.stream.subscribe(listener);
    const second = s.stream.subscribe(listener);
    await advance(1);
    first();
    first();
    const before = calls;
    await advance(2_000);
    expect(s.stream.getConnectionState().status).toBe('live');
    expect(calls).toBe(before + 1);
    second();
    await advance(500);
    expect(s.stream.getConnectionState().status).toBe('stopped');
    expect(s.stopped).toEqual([s.stream]);
  });
});

describe('the data path', () => {
  it('drops duplicates and reports malformed, off-schema and unknown frames', async () => {
    const malformed = {
      type: 'malformed',
      error: new TaskBridgeError({ code: 'PROTOCOL_ERROR', message: 'x' }),
      raw: 'x',
    };
    const s = setup([
      step.open(),
      step.ack(),
      step.event(event('1')),
      step.event(event('1')),
      step.event(event('2', 'TASK_PROGRESS', {}), 0, 'off-schema-payload'),
      step.event(event('3', 'TASK_NEW', {}), 0, 'unknown-type'),
      step.hang(),
    ]);
    const seen: string[] = [];
    s.stream.events$.subscribe((e) => seen.push(e.eventId));
    await advance(1);
    s.socket.connections[0]?.emit(malformed as never);
    expect(seen).toEqual(['1', '2', '3']);
    expect(s.diagnostics.map((d) => d.type)).toEqual([
      'transport-selected',
      'duplicate-dropped',
      'off-schema-event',
      'unknown-event-type',
      'malformed-frame',
    ]);
    expect(s.diagnostics[1]).toEqual({
      type: 'duplicate-dropped',
      taskId: TASK,
      eventId: '1',
      reason: 'older',
      transport: 'websocket',
    });
  });

  it('drops an event of another task with a diagnostic: never delivered, folded or checkpointed', async () => {
    const foreign = { ...event('2'), taskId: 'someone-else' };
    const s = setup([step.open(), step.ack(), step.event(event('1')), step.event(foreign), step.hang()]);
    const seen: string[] = [];
    s.stream.events$.subscribe((e) => seen.push(`${e.taskId}/${e.eventId}`));
    await advance(1);
    expect(seen).toEqual(['t1/1']);
    expect(s.stream.getSnapshot()).toMatchObject({ lastEventId: '1', eventCount: 1 });
    expect(s.stream.cursor()).toBe('1');
    expect(s.diagnostics).toContainEqual({
      type: 'foreign-event',
      taskId: TASK,
      eventId: '2',
      eventTaskId: 'someone-else',
      transport: 'websocket',
    });
  });

  it('checkpoints what it delivered, and resumes from it in the next stream', async () => {
    const s = setup([step.open(), step.ack(), step.event(event('1')), step.event(event('2')), step.hang()]);
    const off = s.stream.subscribe(() => undefined);
    await advance(1);
    off();
    await advance(500);
    expect(await s.store.load('k:t1')).toMatchObject({ lastEventId: '2', snapshot: { eventCount: 2 } });
  });

  it('on the terminal event: events$ completes, snapshot$ and connection$ end, settled() resolves', async () => {
    const s = setup([
      step.open(),
      step.ack(),
      step.event(event('1')),
      step.event(event('2', 'TASK_COMPLETED', { result: 1 })),
      step.hang(),
    ]);
    const log: string[] = [];
    s.stream.events$.subscribe({
      next: (e) => log.push(`event ${e.eventId}`),
      complete: () => log.push('events$ complete'),
    });
    s.stream.snapshot$.subscribe({ complete: () => log.push('snapshot$ complete') });
    s.stream.connection$.subscribe({
      next: (c) => log.push(`connection ${c.status}`),
      complete: () => log.push('connection$ complete'),
    });
    const settled = s.stream.settled();
    await advance(1);
    await expect(settled).resolves.toMatchObject({ status: 'completed', result: 1 });
    expect(log.filter((l) => !l.startsWith('connection connecting'))).toEqual([
      'connection live',
      'event 1',
      'event 2',
      'snapshot$ complete',
      'events$ complete',
      'connection done',
      'connection$ complete',
    ]);
    expect(s.socket.connections[0]?.signal.aborted).toBe(true);
  });

  it('on a failure: events$ errors with it, settled() rejects with it, the others complete', async () => {
    const notFound = new TaskBridgeError({ code: 'TASK_NOT_FOUND', message: 'gone' });
    const s = setup([step.error(notFound)]);
    const log: string[] = [];
    s.stream.events$.subscribe({ error: (e: TaskBridgeError) => log.push(`events$ ${e.code}`) });
    s.stream.snapshot$.subscribe({ complete: () => log.push('snapshot$ complete') });
    const settled = expect(s.stream.settled()).rejects.toBe(notFound);
    await advance(1);
    await settled;
    expect(log).toEqual(['events$ TASK_NOT_FOUND', 'snapshot$ complete']);
    expect(s.stream.getState()).toMatchObject({ failure: notFound, connection: { status: 'failed' } });
  });

  it('stop(): every observer hears ABORTED, late ones too, and the checkpoint is flushed', async () => {
    const s = setup([step.open(), step.ack(), step.event(event('1')), step.hang()]);
    const errors: string[] = [];
    s.stream.events$.subscribe({ error: (e: TaskBridgeError) => errors.push(e.code) });
    await advance(1);
    s.stream.stop();
    expect(errors).toEqual(['ABORTED']);
    await expect(s.stream.settled()).rejects.toMatchObject({ code: 'ABORTED' });
    s.stream.events$.subscribe({ error: (e: TaskBridgeError) => errors.push(e.code) });
    expect(errors).toEqual(['ABORTED', 'ABORTED']);
    await advance(0);
    expect(await s.store.load('k:t1')).toMatchObject({ lastEventId: '1' });
  });

  it('an observer that subscribes again while told how events$ ended is ended the same way', async () => {
    const notFound = new TaskBridgeError({ code: 'TASK_NOT_FOUND', message: 'gone' });
    const s = setup([step.error(notFound)]);
    const log: string[] = [];
    s.stream.events$.subscribe({
      error: (e: TaskBridgeError) => {
        log.push(`first ${e.code}`);
        s.stream.events$.subscribe({ error: (again: TaskBridgeError) => log.push(`again ${again.code}`) });
      },
    });
    await advance(1);
    expect(log).toEqual(['first TASK_NOT_FOUND', 'again TASK_NOT_FOUND']);
    await advance(10_000);
    expect(s.socket.connections).toHaveLength(1);
  });

  it('a machine that crashes closes its transport and fails the stream (INTERNAL_ERROR)', async () => {
    machine = taskStreamMachine.provide({
      actions: {
        markLive: () => {
          throw new Error('boom');
        },
      },
    });
    try {
      const s = setup([step.open(), step.ack(), step.hang()]);
      const settled = expect(s.stream.settled()).rejects.toMatchObject({ code: 'INTERNAL_ERROR' });
      await advance(1);
      await settled;
      expect(s.socket.connections[0]?.signal.aborted).toBe(true);
      expect(s.stream.getConnectionState()).toMatchObject({ status: 'failed' });
    } finally {
      machine = taskStreamMachine;
    }
  });

  it('a stream stopped before it ever started stays stopped', async () => {
    const s = setup([step.open(), step.ack(), step.hang()]);
    s.stream.stop();
    await expect(s.stream.settled()).rejects.toMatchObject({ code: 'ABORTED' });
    await advance(1_000);
    expect(s.socket.connections).toHaveLength(0);
    expect(s.loads).toBe(0);
  });
});

describe('history trimmed (protocol/SPEC.md §11)', () => {
  const trimmed = { requestedAfterEventId: '3', firstRetainedEventId: '10' };
  const script = () => [
    step.open(),
    step.ack(),
    step.historyTrimmed(trimmed),
    step.event(event('10')),
    step.event(event('11')),
    step.hang(),
  ];

  afterEach(() => {
    policy = 'continue';
  });

  it("'continue' (the default): reported, flagged in the snapshot, the retained tail delivered", async () => {
    const s = setup(script());
    const seen: string[] = [];
    s.stream.events$.subscribe((e) => seen.push(e.eventId));
    await advance(1);
    expect(seen).toEqual(['10', '11']);
    expect(s.stream.getSnapshot()).toMatchObject({ historyTrimmed: trimmed, lastEventId: '11' });
    expect(s.stream.getConnectionState().status).toBe('live');
    expect(s.diagnostics).toContainEqual({
      type: 'history-trimmed',
      taskId: TASK,
      transport: 'websocket',
      ...trimmed,
    });
  });

  it("'fail': the stream fails with HISTORY_TRIMMED before anything else is delivered", async () => {
    policy = 'fail';
    const s = setup(script());
    const seen: string[] = [];
    const errors: TaskBridgeError[] = [];
    s.stream.events$.subscribe({
      next: (e) => seen.push(e.eventId),
      error: (e: TaskBridgeError) => errors.push(e),
    });
    const settled = expect(s.stream.settled()).rejects.toMatchObject({ code: 'HISTORY_TRIMMED' });
    await advance(1);
    await settled;
    expect(seen).toEqual([]);
    expect(errors[0]).toMatchObject({
      code: 'HISTORY_TRIMMED',
      retryable: false,
      details: { ...trimmed, transport: 'websocket' },
    });
    expect(s.stream.getState()).toMatchObject({
      connection: { status: 'failed' },
      snapshot: { historyTrimmed: trimmed },
    });
    expect(s.socket.connections[0]?.signal.aborted).toBe(true);
  });

  it('a callback decides: it gets the signal before the retained events, and may fail or continue', async () => {
    const calls: unknown[] = [];
    let seenBeforeCall = -1;
    const seen: string[] = [];
    policy = (info) => {
      calls.push(info);
      seenBeforeCall = seen.length;
      return undefined;
    };
    const s = setup(script());
    s.stream.events$.subscribe((e) => seen.push(e.eventId));
    await advance(1);
    expect(calls).toEqual([{ taskId: TASK, transport: 'websocket', ...trimmed }]);
    expect(seenBeforeCall).toBe(0);
    expect(seen).toEqual(['10', '11']);

    policy = () => 'fail';
    const failing = setup(script());
    const settled = expect(failing.stream.settled()).rejects.toMatchObject({ code: 'HISTORY_TRIMMED' });
    await advance(1);
    await settled;
  });

  it('a callback that throws is reported and reads as continue', async () => {
    policy = () => {
      throw new Error('app bug');
    };
    const s = setup(script());
    const seen: string[] = [];
    s.stream.events$.subscribe((e) => seen.push(e.eventId));
    await advance(1);
    expect(seen).toEqual(['10', '11']);
    expect(s.diagnostics).toContainEqual(
      expect.objectContaining({ type: 'policy-error', policy: 'onHistoryTrimmed', cause: expect.any(Error) }),
    );
  });
});
