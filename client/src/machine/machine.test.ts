import { describe, expect, it } from 'vitest';
import type { Checkpoint } from '../checkpoint/checkpoint-store';
import { connectionStatesEqual, IDLE_CONNECTION_STATE, toConnectionState } from '../connection-state';
import { initialTaskSnapshot } from '../task-snapshot';
import { type MemoryScript, MemoryTransport, memoryStep as step } from '../transports/memory';
import { taskStreamMachine } from './machine';
import {
  advance,
  completed,
  errors,
  hang,
  ORIGIN,
  polling,
  pollLive,
  progress,
  sse,
  sseLive,
  start,
  TASK_ID,
  ws,
  useMachineTestTime,
  wsLive,
} from './test-harness';
import { createMemoryTransportHealthStore } from './transport-health';

useMachineTestTime();

describe('happy path', () => {
  it('connects the best transport: connecting → live, reading the cursor at connect time', async () => {
    const socket = ws(wsLive);
    const restored: Checkpoint = {
      taskId: TASK_ID,
      lastEventId: '41',
      snapshot: { ...initialTaskSnapshot(TASK_ID), lastEventId: '41', eventCount: 41 },
      terminalEvent: null,
      updatedAt: 0,
    };
    const { state } = await start({
      transports: [socket, sse(), polling()],
      checkpoint: Promise.resolve(restored),
    });
    expect(state()).toMatchObject({ status: 'connecting', transport: 'websocket', degraded: false });
    await advance(10);
    expect(state().status).toBe('connecting');
    await advance(10);
    expect(state()).toEqual({
      status: 'live',
      transport: 'websocket',
      attempt: 0,
      degraded: false,
      probing: null,
      nextRetryAt: null,
      error: null,
      role: 'solo',
    });
    expect(socket.connections.map((c) => [c.taskId, c.cursor])).toEqual([[TASK_ID, '41']]);
  });

  it('hands events to the data path synchronously, tagged with their transport', async () => {
    const socket = ws([step.open(), step.ack(), step.event(progress('1')), step.heartbeat(), step.hang()]);
    const { received } = await start({ transports: [socket] });
    await advance(0);
    expect(received.map((r) => [r.transport, r.message.type])).toEqual([
      ['websocket', 'event'],
      ['websocket', 'heartbeat'],
    ]);
  });

  it('reaches done on the terminal event and closes the transport', async () => {
    const socket = ws([
      step.open(),
      step.ack(),
      step.event(progress('1')),
      step.event(completed('2')),
      step.hang(),
    ]);
    const { actor, state } = await start({ transports: [socket, sse()] });
    await advance(0);
    expect(state().status).toBe('done');
    expect(actor.getSnapshot().matches({ attached: { lifecycle: 'done' } })).toBe(true);
    expect(socket.connections[0]?.signal.aborted).toBe(true);
  });
});

describe('deadlines', () => {
  it('open deadline: a silent WebSocket is skipped after 2.5 s, SSE starts at once, and the miss is remembered', async () => {
    const socket = ws(hang);
    const stream = sse(sseLive);
    const health = createMemoryTransportHealthStore();
    const { state } = await start({ transports: [socket, stream, polling()], health });
    await advance(2_499);
    expect(state().status).toBe('connecting');
    await advance(1);
    expect(socket.connections[0]?.signal.aborted).toBe(true);
    // A fresh transport gets no backoff: the wait was spent on the WebSocket.
    expect(state()).toMatchObject({
      status: 'backoff',
      transport: 'sse',
      attempt: 1,
      degraded: true,
      nextRetryAt: Date.now(),
    });
    expect(state().error).toMatchObject({
      code: 'TIMEOUT',
      details: { deadline: 'open', transport: 'websocket', timeoutMs: 2_500 },
    });
    expect(health.isUnhealthy(ORIGIN, 'websocket')).toBe(true);
    expect(stream.connections).toHaveLength(0);
    // A zero delay set inside a timer callback runs on the next fake millisecond.
    await advance(1);
    expect(stream.connections).toHaveLength(1);
    await advance(20);
    expect(state()).toMatchObject({
      status: 'live',
      transport: 'sse',
      degraded: true,
      attempt: 1,
      error: null,
    });
    expect(socket.connections).toHaveLength(1);
  });

  it('first-frame deadline: SSE headers then silence (a buffering proxy) falls back to polling', async () => {
    const stream = sse([step.open(10), step.hang()]);
    const poll = polling(pollLive);
    const { state } = await start({ transports: [stream, poll] });
    await advance(10);
    expect(state().status).toBe('connecting');
    await advance(7_999);
    expect(stream.connections[0]?.signal.aborted).toBe(false);
    await advance(1);
    expect(stream.connections[0]?.signal.aborted).toBe(true);
    expect(state().error).toMatchObject({ code: 'TIMEOUT', details: { deadline: 'firstFrame' } });
    expect(state()).toMatchObject({ status: 'backoff', transport: 'polling', nextRetryAt: Date.now() });
    await advance(1 + 10);
    expect(state()).toMatchObject({ status: 'live', transport: 'polling', degraded: true });
    expect(stream.connections).toHaveLength(1);
  });

  it('liveness: heartbeats keep a live stream up; silence reconnects the same transport from the cursor', async () => {
    const socket = ws(wsLive, wsLive);
    const { state } = await start({
      transports: [socket, sse()],
      config: { heartbeatIntervalMs: { websocket: 1_000 } },
    });
    await advance(20);
    expect(state().status).toBe('live');
    const first = socket.connections[0];
    for (let beat = 0; beat < 5; beat += 1) {
      await advance(2_000);
      first?.emit({ type: 'heartbeat' });
    }
    first?.emit({ type: 'event', event: progress('7'), conformance: 'valid' });
    expect(state().status).toBe('live');
    // Liveness = 2.5 × the 1 s heartbeat interval.
    await advance(2_499);
    expect(state().status).toBe('live');
    await advance(1);
    expect(first?.signal.aborted).toBe(true);
    expect(state()).toMatchObject({ status: 'backoff', transport: 'websocket' });
    expect(state().error).toMatchObject({ code: 'TIMEOUT', details: { deadline: 'liveness' } });
    await advance(250);
    expect(socket.connections.map((c) => c.cursor)).toEqual([null, '7']);
    await advance(20);
    expect(state()).toMatchObject({ status: 'live', transport: 'websocket' });
  });

  it('a clean close before the terminal event reconnects', async () => {
    const stream = sse([step.open(), step.heartbeat(), step.closed(100)], sseLive);
    const { state } = await start({ transports: [stream, polling()] });
    await advance(100);
    expect(state()).toMatchObject({ status: 'backoff', transport: 'sse', nextRetryAt: Date.now() });
    expect(state().error?.code).toBe('CONNECTION_CLOSED');
    await advance(1 + 20);
    expect(state()).toMatchObject({ status: 'live', transport: 'sse' });
  });

  it('open deadlines are per transport: SSE keeps the protocol/SPEC.md §10 5 s', async () => {
    const stream = sse(hang);
    const poll = polling(pollLive);
    const { state } = await start({ transports: [stream, poll] });
    await advance(4_999);
    expect(state()).toMatchObject({ status: 'connecting', transport: 'sse' });
    await advance(1);
    expect(state()).toMatchObject({ status: 'backoff', transport: 'polling' });
    expect(state().error).toMatchObject({
      details: { deadline: 'open', transport: 'sse', timeoutMs: 5_000 },
    });
  });

  it('openTimeoutMs as a number sets every transport; as a record, only those named', async () => {
    const one = await start({ transports: [ws(hang), sse(sseLive)], config: { openTimeoutMs: 1_000 } });
    const some = await start({
      transports: [ws(hang), sse(hang), polling()],
      config: { openTimeoutMs: { sse: 700 } },
    });
    await advance(999);
    expect(one.state().transport).toBe('websocket');
    await advance(1);
    expect(one.state()).toMatchObject({ status: 'backoff', transport: 'sse' });
    // Default WebSocket deadline (2.5 s), then the overridden SSE one (0.7 s) from the next fake ms.
    await advance(1_500);
    expect(some.state()).toMatchObject({ status: 'backoff', transport: 'sse' });
    await advance(1 + 699);
    expect(some.state()).toMatchObject({ status: 'connecting', transport: 'sse' });
    await advance(1);
    expect(some.state()).toMatchObject({ status: 'backoff', transport: 'polling' });
  });
});

describe('recovery latency', () => {
  it('the first retry after a live connection is immediate, from the cursor; the next one is jittered', async () => {
    const dropping: MemoryScript = [step.open(10), step.ack(), step.error(errors.network(), 100)];
    const socket = ws(dropping, dropping, wsLive);
    const { state, setCursor } = await start({ transports: [socket] });
    await advance(20);
    setCursor('30');
    await advance(90);
    expect(state()).toMatchObject({ status: 'backoff', transport: 'websocket', attempt: 1 });
    expect(state().nextRetryAt).toBe(Date.now());
    await advance(1);
    expect(socket.connections.map((c) => c.cursor)).toEqual([null, '30']);
    // Live again but not yet stable: this drop waits the jittered window (attempt 1: 1000 ms × 0.5).
    await advance(110);
    expect(state()).toMatchObject({ status: 'backoff', transport: 'websocket', attempt: 2 });
    expect((state().nextRetryAt ?? 0) - Date.now()).toBe(500);
    await advance(499);
    expect(socket.connections).toHaveLength(2);
    await advance(1);
    expect(socket.connections).toHaveLength(3);
  });

  it('a connection that stayed up long enough to be stable earns another immediate retry', async () => {
    const socket = ws([step.open(10), step.ack(), step.error(errors.network(), 6_000)]);
    const { state } = await start({
      transports: [socket],
      config: { livenessTimeoutMs: 600_000 },
      random: () => 0.999,
    });
    // First drop at 6010 (attempt 0): immediate.
    await advance(6_010);
    expect(state().nextRetryAt).toBe(Date.now());
    // Reconnected at +1, live at +11, stable at +5011, drops at +6011: immediate again.
    await advance(6_011);
    expect(socket.connections).toHaveLength(2);
    expect(state()).toMatchObject({ status: 'backoff', attempt: 1, nextRetryAt: Date.now() });
  });

  it('a server that accepts then drops at once gets growing, jittered waits, not a tight loop', async () => {
    const socket = ws([step.open(1), step.ack(), step.closed(1)]);
    const { actor } = await start({ transports: [socket], random: () => 0.5 });
    const waits: number[] = [];
    actor.subscribe((snapshot) => {
      const { status, nextRetryAt } = toConnectionState(snapshot);
      // One wait per failed connection (a backoff snapshot may be published more than once).
      if (status === 'backoff' && nextRetryAt !== null && waits.length < socket.connections.length)
        waits.push(nextRetryAt - Date.now());
    });
    await advance(60_000);
    expect(waits.slice(0, 6)).toEqual([0, 500, 1_000, 2_000, 4_000, 5_000]);
    // One immediate retry, then at most one attempt per 5 s (half the 10 s cap) for the rest of the minute.
    expect(socket.connections.length).toBeLessThan(20);
  });

  it('immediateReconnect: false jitters the first retry after a live connection too', async () => {
    const socket = ws([step.open(10), step.ack(), step.error(errors.network(), 100)], wsLive);
    const { state } = await start({ transports: [socket], config: { immediateReconnect: false } });
    await advance(110);
    expect((state().nextRetryAt ?? 0) - Date.now()).toBe(250);
  });

  it('Retry-After stays a floor for the immediate retry after a live connection', async () => {
    const socket = ws([step.open(10), step.ack(), step.error(errors.rateLimited(3_000), 100)], wsLive);
    const { state } = await start({ transports: [socket] });
    await advance(110);
    expect((state().nextRetryAt ?? 0) - Date.now()).toBe(3_000);
  });

  it('Retry-After stays a floor when falling back to a fresh transport', async () => {
    const socket = ws([step.error(errors.rateLimited(2_000))]);
    const stream = sse(sseLive);
    const { state } = await start({ transports: [socket, stream] });
    // The second WebSocket attempt reports its 429 on the fake millisecond after the 2 s wait.
    await advance(2_001);
    expect(socket.connections).toHaveLength(2);
    expect(stream.connections).toHaveLength(0);
    expect(state()).toMatchObject({ status: 'backoff', transport: 'sse' });
    expect((state().nextRetryAt ?? 0) - Date.now()).toBe(2_000);
  });
});

describe('public connection state', () => {
  it('compares connection states field by field', () => {
    expect(connectionStatesEqual({ ...IDLE_CONNECTION_STATE }, IDLE_CONNECTION_STATE)).toBe(true);
    expect(connectionStatesEqual(IDLE_CONNECTION_STATE, { ...IDLE_CONNECTION_STATE, attempt: 1 })).toBe(
      false,
    );
  });

  it('reads as connecting while the checkpoint is restored and the ladder resolved', async () => {
    const { state } = await start({ transports: [ws()], checkpoint: new Promise(() => {}) });
    expect(state()).toMatchObject({ status: 'connecting', transport: null, attempt: 0 });
  });

  it('a transport whose connect() throws fails the stream with a typed error', async () => {
    const broken = new MemoryTransport({ name: 'websocket' });
    broken.connect = () => {
      throw new Error('constructor missing');
    };
    const { state } = await start({ transports: [broken, sse()] });
    expect(state()).toMatchObject({ status: 'failed', error: { code: 'INTERNAL_ERROR' } });
  });

  it('a crashed machine (actions swapped with provide()) maps to failed, not a thrown error', async () => {
    const crashing = taskStreamMachine.provide({
      actions: {
        startRun: () => {
          throw new Error('boom');
        },
      },
    });
    const { actor } = await start({ transports: [ws()], machine: crashing });
    expect(toConnectionState(actor.getSnapshot())).toMatchObject({
      status: 'failed',
      error: { code: 'INTERNAL_ERROR', message: 'boom' },
    });
  });
});
