/**
 * The task stream store and its data path over scripted memory transports, on fake time: nothing
 * happens before the first observer, one state and one listener set, and every observer is told how
 * the stream ended.
 */
import { TaskBridgeError } from '@taskbridge/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { taskStreamMachine } from './machine/machine';
import { advance, event, setupStream, TASK } from './task-stream.test-harness';
import { memoryStep as step } from './transports/memory';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('before the first observer', () => {
  it('does nothing: no checkpoint read, no transport, idle state', async () => {
    const s = setupStream({}, [step.open(), step.ack(), step.hang()]);
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
    const s = setupStream({}, [step.open(), step.ack(), step.event(event('1'), 10), step.hang()]);
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
    const s = setupStream({}, [step.open(), step.ack(), step.event(event('1'), 2_000), step.hang()]);
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
    const s = setupStream({}, [
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
    const s = setupStream({}, [
      step.open(),
      step.ack(),
      step.event(event('1')),
      step.event(foreign),
      step.hang(),
    ]);
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
    const s = setupStream({}, [
      step.open(),
      step.ack(),
      step.event(event('1')),
      step.event(event('2')),
      step.hang(),
    ]);
    const off = s.stream.subscribe(() => undefined);
    await advance(1);
    off();
    await advance(500);
    expect(await s.store.load('k:t1')).toMatchObject({ lastEventId: '2', snapshot: { eventCount: 2 } });
  });

  it('on the terminal event: events$ completes, snapshot$ and connection$ end, settled() resolves', async () => {
    const s = setupStream({}, [
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
    const s = setupStream({}, [step.error(notFound)]);
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
    const s = setupStream({}, [step.open(), step.ack(), step.event(event('1')), step.hang()]);
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
    const s = setupStream({}, [step.error(notFound)]);
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
    const machine = taskStreamMachine.provide({
      actions: {
        markLive: () => {
          throw new Error('boom');
        },
      },
    });
    const s = setupStream({ machine }, [step.open(), step.ack(), step.hang()]);
    const settled = expect(s.stream.settled()).rejects.toMatchObject({ code: 'INTERNAL_ERROR' });
    await advance(1);
    await settled;
    expect(s.socket.connections[0]?.signal.aborted).toBe(true);
    expect(s.stream.getConnectionState()).toMatchObject({ status: 'failed' });
  });

  it('a stream stopped before it ever started stays stopped', async () => {
    const s = setupStream({}, [step.open(), step.ack(), step.hang()]);
    s.stream.stop();
    await expect(s.stream.settled()).rejects.toMatchObject({ code: 'ABORTED' });
    await advance(1_000);
    expect(s.socket.connections).toHaveLength(0);
    expect(s.loads).toBe(0);
  });
});
