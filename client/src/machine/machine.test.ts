import { TaskBridgeError } from '@taskbridge/protocol';
import { describe, expect, it, vi } from 'vitest';
import { fromCallback } from 'xstate';
import type { Checkpoint } from '../checkpoint/checkpoint-store';
import { connectionStatesEqual, IDLE_CONNECTION_STATE, toConnectionState } from '../connection-state';
import { initialTaskSnapshot } from '../task-snapshot';
import { type MemoryScript, MemoryTransport, memoryStep as step } from '../transports/memory';
import { taskStreamMachine } from './machine';
import {
  advance,
  allAborted,
  completed,
  errors,
  type Harness,
  hang,
  linkIn,
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
import { createMemoryTransportHealthStore, type TransportHealthStore } from './transport-health';

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

describe('retryable errors and backoff', () => {
  it('backs off within [0, window]: random 0 retries at once, random near 1 waits almost the full window', async () => {
    const atZero = ws([step.error(errors.network())], wsLive);
    const zero = await start({ transports: [atZero, sse()], random: () => 0 });
    await advance(0);
    expect(zero.state()).toMatchObject({ status: 'backoff', nextRetryAt: Date.now() });
    // A zero delay set inside a timer callback runs on the next fake millisecond.
    await advance(1);
    expect(atZero.connections).toHaveLength(2);

    const atTop = ws([step.error(errors.network())], wsLive);
    const top = await start({ transports: [atTop, sse()], random: () => 0.998 });
    await advance(0);
    expect((top.state().nextRetryAt ?? 0) - Date.now()).toBe(499);
    await advance(498);
    expect(atTop.connections).toHaveLength(1);
    await advance(1);
    expect(atTop.connections).toHaveLength(2);
  });

  it('two retryable errors in a row on a transport move to the next one down', async () => {
    const socket = ws([step.error(errors.network(), 5)]);
    const stream = sse(sseLive);
    const { state } = await start({ transports: [socket, stream, polling()] });
    await advance(5);
    expect(state()).toMatchObject({ status: 'backoff', transport: 'websocket', attempt: 1 });
    await advance(250 + 5);
    expect(socket.connections).toHaveLength(2);
    expect(state()).toMatchObject({ status: 'backoff', transport: 'sse', attempt: 2 });
    // The next transport down starts at once: no backoff before a fresh transport.
    expect(state().nextRetryAt).toBe(Date.now());
    await advance(1 + 20);
    expect(state()).toMatchObject({ status: 'live', transport: 'sse' });
    expect(socket.connections).toHaveLength(2);
    expect(stream.connections).toHaveLength(1);
  });

  it('polling is the floor: it keeps retrying, with delays capped at 10 s', async () => {
    const poll = polling([step.error(errors.network(), 10)]);
    const { actor, state } = await start({
      transports: [sse([step.error(errors.network(), 10)]), poll],
      random: () => 0.999_9,
      // Retrying for ever is what this test is about; the give-up policy has its own tests.
      config: { giveUpAfterMs: Number.POSITIVE_INFINITY },
    });
    const waits: number[] = [];
    actor.subscribe((snapshot) => {
      const { nextRetryAt } = toConnectionState(snapshot);
      if (nextRetryAt !== null && !waits.includes(nextRetryAt - Date.now()))
        waits.push(nextRetryAt - Date.now());
    });
    await advance(10 * 60_000);
    expect(state().transport).toBe('polling');
    expect(state().status).not.toBe('failed');
    expect(poll.connections.length).toBeGreaterThan(50);
    const [sseWait, fallbackWait, ...pollingWaits] = waits;
    expect(Math.min(...pollingWaits)).toBeGreaterThan(0);
    expect(Math.max(...waits)).toBeLessThanOrEqual(10_000);
    expect(Math.max(...waits)).toBeGreaterThan(9_990);
    // Windows double from 500 ms (SSE's retry), none before polling (a fresh transport), then
    // 2000, 4000, 8000, and the 10 s cap.
    expect(Math.round(sseWait ?? -1)).toBe(500);
    expect(fallbackWait).toBe(0);
    expect(pollingWaits.slice(0, 4).map(Math.round)).toEqual([2_000, 4_000, 7_999, 9_999]);
  });

  it('honours Retry-After from a 429 as a floor', async () => {
    const socket = ws([step.error(errors.rateLimited(3_000))], wsLive);
    const { state } = await start({ transports: [socket, sse()] });
    await advance(0);
    expect((state().nextRetryAt ?? 0) - Date.now()).toBe(3_000);
    await advance(2_999);
    expect(socket.connections).toHaveLength(1);
    await advance(1);
    expect(socket.connections).toHaveLength(2);
  });

  it('maxRetries: fails with the last error once the limit is spent', async () => {
    const poll = polling([step.error(errors.network())]);
    const { state } = await start({ transports: [poll], config: { maxRetries: 2 } });
    await advance(0);
    await advance(10_000);
    await advance(10_000);
    expect(poll.connections).toHaveLength(3);
    expect(state()).toMatchObject({ status: 'failed', error: { code: 'NETWORK_ERROR' } });
  });

  it('a connection that stays up for stableConnectionMs resets the attempt counter', async () => {
    const socket = ws([step.error(errors.network())], wsLive);
    const { state } = await start({ transports: [socket, sse()], config: { livenessTimeoutMs: 600_000 } });
    await advance(0);
    expect(state().attempt).toBe(1);
    await advance(250 + 20);
    expect(state()).toMatchObject({ status: 'live', attempt: 1, error: null });
    await advance(4_999);
    expect(state().attempt).toBe(1);
    await advance(1);
    expect(state().attempt).toBe(0);
  });

  it('a transport that drops right after its first frame gets one immediate retry, then is skipped', async () => {
    const flapping: MemoryScript = [step.open(10), step.ack(), step.closed(100)];
    const socket = ws(flapping);
    const stream = sse(sseLive);
    const { state } = await start({ transports: [socket, stream] });
    await advance(110);
    expect(state()).toMatchObject({ status: 'backoff', transport: 'websocket', attempt: 1 });
    expect(state().nextRetryAt).toBe(Date.now());
    await advance(1 + 110);
    expect(socket.connections).toHaveLength(2);
    expect(state()).toMatchObject({ status: 'backoff', transport: 'sse', attempt: 2 });
    await advance(1 + 20);
    expect(state()).toMatchObject({ status: 'live', transport: 'sse' });
  });
});

describe('fatal errors', () => {
  it.each([
    ['404', errors.notFound, 'TASK_NOT_FOUND'],
    ['403', errors.forbidden, 'TASK_OWNERSHIP_ERROR'],
  ] as const)('%s fails the stream at once, with no fallback', async (_status, make, code) => {
    const socket = ws([step.error(make(), 5)]);
    const stream = sse(sseLive);
    const { actor, state } = await start({ transports: [socket, stream] });
    await advance(5);
    expect(state()).toMatchObject({ status: 'failed', transport: null, error: { code } });
    expect(actor.getSnapshot().matches({ attached: { lifecycle: 'failed' } })).toBe(true);
    await advance(60_000);
    expect(stream.connections).toHaveLength(0);
    expect(socket.connections).toHaveLength(1);
  });

  it('401: refreshes credentials once, retries at once, and fails on the second 401', async () => {
    const refreshCredentials = vi.fn(async () => {});
    const socket = ws([step.error(errors.auth(), 5)]);
    const { state } = await start({ transports: [socket, sse()], refreshCredentials });
    await advance(5);
    expect(refreshCredentials).toHaveBeenCalledTimes(1);
    expect(socket.connections).toHaveLength(2);
    await advance(5);
    expect(state()).toMatchObject({ status: 'failed', error: { code: 'AUTHENTICATION_ERROR' } });
    expect(refreshCredentials).toHaveBeenCalledTimes(1);
  });

  it('401 after a refresh that worked once is refreshed again later (a new outage)', async () => {
    const refreshCredentials = vi.fn(async () => {});
    const socket = ws(
      [step.error(errors.auth())],
      [step.open(), step.ack(), step.error(errors.auth(), 6_000)],
      wsLive,
    );
    const { state } = await start({ transports: [socket], refreshCredentials });
    await advance(6_010);
    expect(refreshCredentials).toHaveBeenCalledTimes(2);
    await advance(20);
    expect(state().status).toBe('live');
  });

  it('401 without a refresh hook, or a failing refresh, is fatal', async () => {
    const plain = await start({ transports: [ws([step.error(errors.auth())])] });
    const failingRefresh = await start({
      transports: [ws([step.error(errors.auth())])],
      refreshCredentials: () => Promise.reject(new Error('refresh failed')),
    });
    await advance(0);
    expect(plain.state()).toMatchObject({ status: 'failed', error: { code: 'AUTHENTICATION_ERROR' } });
    expect(failingRefresh.state()).toMatchObject({
      status: 'failed',
      error: { code: 'AUTHENTICATION_ERROR' },
    });
  });

  it('WebSocket 1008 before the ack: refreshes once when possible, then retries', async () => {
    const refreshCredentials = vi.fn(async () => {});
    const socket = ws([step.open(), step.error(errors.policyClose())], wsLive);
    const { state } = await start({ transports: [socket, sse()], refreshCredentials });
    await advance(20);
    expect(refreshCredentials).toHaveBeenCalledTimes(1);
    expect(state()).toMatchObject({ status: 'live', transport: 'websocket' });
  });

  it('WebSocket 1008 before the ack with nothing to refresh or confirm is fatal', async () => {
    const { state } = await start({
      transports: [ws([step.open(), step.error(errors.policyClose())]), sse()],
    });
    await advance(0);
    expect(state()).toMatchObject({ status: 'failed', error: { details: { closeCode: 1008 } } });
  });

  it('WebSocket 1008 before the ack: the confirm hook can fail the stream with the real error', async () => {
    const confirmTaskReachable = vi.fn(async () => errors.notFound());
    const stream = sse(sseLive);
    const { state } = await start({
      transports: [ws([step.open(), step.error(errors.policyClose())]), stream],
      confirmTaskReachable,
    });
    await advance(0);
    expect(confirmTaskReachable).toHaveBeenCalledWith({
      taskId: TASK_ID,
      cursor: null,
      error: expect.objectContaining({ details: { closeCode: 1008 } }),
      reason: 'policy-violation',
    });
    expect(state()).toMatchObject({ status: 'failed', error: { code: 'TASK_NOT_FOUND' } });
    expect(stream.connections).toHaveLength(0);
  });

  it('WebSocket 1008 before the ack: when the confirm hook finds the task reachable, the WebSocket is skipped', async () => {
    const stream = sse(sseLive);
    const { state } = await start({
      transports: [ws([step.open(), step.error(errors.policyClose())]), stream],
      confirmTaskReachable: async () => null,
    });
    await advance(0);
    expect(state()).toMatchObject({ status: 'backoff', transport: 'sse' });
    await advance(250 + 20);
    expect(state()).toMatchObject({ status: 'live', transport: 'sse', degraded: true });
  });
});

describe('SSE that opens then ends before its first frame (protocol/SPEC.md §5 peer quirk)', () => {
  /** How our SSE transport reports a body that ended after 200 + headers, before the terminal event. */
  const closedEarly = () =>
    new TaskBridgeError({
      code: 'CONNECTION_CLOSED',
      message: 'SSE stream ended before the terminal event',
      retryable: true,
      details: { phase: 'stream' },
    });
  const abortedBody: MemoryScript = [step.open(5), step.error(closedEarly(), 5)];

  it('forced SSE: the second early end asks confirmTaskReachable once, and a 404 ends the stream', async () => {
    const confirmTaskReachable = vi.fn(async () => errors.notFound());
    const stream = sse(abortedBody);
    const { state, setCursor } = await start({
      transports: [stream, polling()],
      config: { forceTransport: 'sse' },
      confirmTaskReachable,
    });
    setCursor('41');
    await advance(10);
    expect(state()).toMatchObject({ status: 'backoff', transport: 'sse' });
    expect(confirmTaskReachable).not.toHaveBeenCalled();
    await advance(250 + 10);
    expect(stream.connections).toHaveLength(2);
    expect(confirmTaskReachable).toHaveBeenCalledTimes(1);
    expect(confirmTaskReachable).toHaveBeenCalledWith({
      taskId: TASK_ID,
      cursor: '41',
      error: expect.objectContaining({ code: 'CONNECTION_CLOSED' }),
      reason: 'closed-before-first-frame',
    });
    expect(state()).toMatchObject({ status: 'failed', error: { code: 'TASK_NOT_FOUND' } });
    await advance(60_000);
    expect(stream.connections).toHaveLength(2);
  });

  it('a clean close right after open counts too', async () => {
    const confirmTaskReachable = vi.fn(async () => errors.notFound());
    const stream = sse([step.open(5), step.closed(5)]);
    const { state } = await start({ transports: [stream], confirmTaskReachable });
    await advance(10 + 250 + 10);
    expect(confirmTaskReachable).toHaveBeenCalledTimes(1);
    expect(state()).toMatchObject({ status: 'failed', error: { code: 'TASK_NOT_FOUND' } });
  });

  it('reads as connecting while the check runs', async () => {
    const stream = sse(abortedBody);
    const harness = await start({
      transports: [stream],
      confirmTaskReachable: () => new Promise<null>(() => {}),
    });
    const { state } = harness;
    await advance(10 + 250 + 10);
    expect(linkIn(harness, 'confirmingEarlyClose')).toBe(true);
    expect(state()).toMatchObject({ status: 'connecting', transport: 'sse' });
  });

  it('a reachable task keeps retrying (forced SSE), checking again only after two more early ends', async () => {
    const confirmTaskReachable = vi.fn(async () => null);
    const stream = sse(abortedBody);
    const { state } = await start({
      transports: [stream],
      config: { forceTransport: 'sse' },
      confirmTaskReachable,
    });
    // Attempts at 0, +250 (attempt 0 × 0.5), then waits of 500 (reachable: attempt 1) and 1000.
    await advance(10 + 250 + 10);
    expect(confirmTaskReachable).toHaveBeenCalledTimes(1);
    expect(state()).toMatchObject({ status: 'backoff', transport: 'sse', attempt: 2 });
    await advance(500 + 10);
    expect(stream.connections).toHaveLength(3);
    expect(confirmTaskReachable).toHaveBeenCalledTimes(1);
    await advance(1_000 + 10);
    expect(stream.connections).toHaveLength(4);
    expect(confirmTaskReachable).toHaveBeenCalledTimes(2);
    expect(state().status).toBe('backoff');
  });

  it('auto: a reachable task moves on to polling at once (two failures in a row on SSE)', async () => {
    const stream = sse(abortedBody);
    const poll = polling(pollLive);
    const { state } = await start({ transports: [stream, poll], confirmTaskReachable: async () => null });
    await advance(10 + 250 + 10);
    expect(state()).toMatchObject({ status: 'backoff', transport: 'polling', nextRetryAt: Date.now() });
    await advance(1 + 10);
    expect(state()).toMatchObject({ status: 'live', transport: 'polling' });
  });

  it('an early end after a first frame, or not in a row, is not the quirk', async () => {
    // How many SSE connections were made when the check ran.
    const connectionsAtCheck: number[] = [];
    const confirmTaskReachable = vi.fn(async () => {
      connectionsAtCheck.push(stream.connections.length);
      return errors.notFound();
    });
    const stream = sse(
      [step.open(5), step.heartbeat(), step.error(closedEarly(), 5)],
      abortedBody,
      [step.open(5), step.hang()],
      abortedBody,
    );
    const { state } = await start({
      transports: [stream],
      config: { firstFrameTimeoutMs: 100 },
      confirmTaskReachable,
    });
    // Live then ended (0); ended before a frame (1); first-frame deadline (back to 0); ended before a
    // frame (1); the last script again (2): only then is the task checked.
    await advance(30_000);
    expect(connectionsAtCheck).toEqual([5]);
    expect(stream.connections).toHaveLength(5);
    expect(state()).toMatchObject({ status: 'failed', error: { code: 'TASK_NOT_FOUND' } });
  });

  it('without the hook, early ends are retried like any retryable failure', async () => {
    const stream = sse(abortedBody);
    const { state } = await start({ transports: [stream], config: { forceTransport: 'sse' } });
    await advance(60_000);
    expect(stream.connections.length).toBeGreaterThan(5);
    expect(state().status).toBe('backoff');
    expect(state().error?.code).toBe('CONNECTION_CLOSED');
  });

  it('the WebSocket 1008 check goes through the same hook, by its new name', async () => {
    const confirmTaskReachable = vi.fn(async () => errors.notFound());
    const { state } = await start({
      transports: [ws([step.open(), step.error(errors.policyClose())]), sse()],
      confirmTaskReachable,
    });
    await advance(0);
    expect(confirmTaskReachable).toHaveBeenCalledWith(
      expect.objectContaining({ reason: 'policy-violation' }),
    );
    expect(state()).toMatchObject({ status: 'failed', error: { code: 'TASK_NOT_FOUND' } });
  });
});

describe('climb-back', () => {
  async function liveOnSseAfterWsTimeout(socket: MemoryTransport, stream: MemoryTransport) {
    // Liveness far away, so only the climb-back timers run in these tests.
    const harness = await start({
      transports: [socket, stream, polling()],
      config: { livenessTimeoutMs: 600_000 },
    });
    // WebSocket open deadline 2.5 s, SSE at once (next fake ms), opens at +10, heartbeat at +20.
    await advance(2_500 + 1 + 20);
    expect(harness.state()).toMatchObject({ status: 'live', transport: 'sse', degraded: true });
    return harness;
  }

  it('probes the better transport after probeDelayMs and switches when the probe acks', async () => {
    const socket = ws(hang, wsLive);
    const stream = sse(sseLive);
    const harness = await liveOnSseAfterWsTimeout(socket, stream);
    stream.connections[0]?.emit({ type: 'event', event: progress('12'), conformance: 'valid' });
    await advance(29_999);
    expect(socket.connections).toHaveLength(1);
    await advance(1);
    expect(socket.connections).toHaveLength(2);
    expect(socket.connections[1]?.cursor).toBe('12');
    await advance(10);
    // Opened but not yet confirmed: still live on SSE, both connections up.
    expect(harness.state()).toMatchObject({ status: 'live', transport: 'sse', probing: 'websocket' });
    expect(stream.connections[0]?.signal.aborted).toBe(false);
    await advance(10);
    expect(harness.state()).toMatchObject({
      status: 'live',
      transport: 'websocket',
      degraded: false,
      probing: null,
    });
    expect(stream.connections[0]?.signal.aborted).toBe(true);
    expect(socket.connections[1]?.signal.aborted).toBe(false);
    // The promoted run is the active one: its failure now drives recovery.
    socket.connections[1]?.emit({ type: 'error', error: errors.network() });
    expect(harness.state()).toMatchObject({ status: 'backoff', transport: 'websocket' });
  });

  it('data from the probe reaches the data path while both run', async () => {
    const socket = ws(hang, [step.open(), step.event(progress('3')), step.hang()]);
    const stream = sse(sseLive);
    const harness = await liveOnSseAfterWsTimeout(socket, stream);
    await advance(30_020);
    expect(harness.received.some((r) => r.transport === 'websocket' && r.message.type === 'event')).toBe(
      true,
    );
  });

  it('stays on the current transport when the probe fails, and probes again with backoff', async () => {
    const socket = ws(hang, [step.open(10), step.error(errors.network(), 10)]);
    const stream = sse(sseLive);
    const harness = await liveOnSseAfterWsTimeout(socket, stream);
    await advance(30_000 + 20);
    expect(socket.connections).toHaveLength(2);
    expect(socket.connections[1]?.signal.aborted).toBe(true);
    expect(harness.state()).toMatchObject({ status: 'live', transport: 'sse', probing: null, error: null });
    expect(stream.connections[0]?.signal.aborted).toBe(false);
    // Second probe waits twice as long.
    await advance(59_999);
    expect(socket.connections).toHaveLength(2);
    await advance(1);
    expect(socket.connections).toHaveLength(3);
  });

  it('a probe that never confirms times out after the open + first-frame deadlines', async () => {
    const socket = ws(hang, hang);
    const stream = sse(sseLive);
    const harness = await liveOnSseAfterWsTimeout(socket, stream);
    await advance(30_000);
    expect(harness.state().probing).toBe('websocket');
    // The probed transport's own deadlines: WebSocket open 2.5 s + first frame 8 s.
    await advance(10_499);
    expect(harness.state().probing).toBe('websocket');
    await advance(1);
    expect(harness.state()).toMatchObject({ status: 'live', transport: 'sse', probing: null });
    expect(socket.connections[1]?.signal.aborted).toBe(true);
  });

  it('ONLINE while degraded probes at once', async () => {
    const socket = ws(hang, wsLive);
    const stream = sse(sseLive);
    const harness = await liveOnSseAfterWsTimeout(socket, stream);
    harness.actor.send({ type: 'ONLINE' });
    expect(socket.connections).toHaveLength(2);
    await advance(20);
    expect(harness.state()).toMatchObject({ transport: 'websocket', degraded: false });
  });

  it('does not probe when already on the best transport', async () => {
    const socket = ws(wsLive);
    await start({ transports: [socket, sse()], config: { livenessTimeoutMs: 600_000 } });
    await advance(120_000);
    expect(socket.connections).toHaveLength(1);
  });
});

describe('connectivity, visibility and page lifecycle', () => {
  it('OFFLINE parks the stream (no retries); ONLINE reconnects at once', async () => {
    const socket = ws(wsLive, wsLive);
    const { actor, state } = await start({ transports: [socket, sse()] });
    await advance(20);
    actor.send({ type: 'OFFLINE' });
    expect(state()).toMatchObject({ status: 'offline', transport: null });
    expect(socket.connections[0]?.signal.aborted).toBe(true);
    await advance(600_000);
    expect(socket.connections).toHaveLength(1);
    actor.send({ type: 'ONLINE' });
    expect(socket.connections).toHaveLength(2);
    await advance(20);
    expect(state().status).toBe('live');
  });

  it('ONLINE during backoff retries at once', async () => {
    const socket = ws([step.error(errors.rateLimited(10_000))], wsLive);
    const { actor } = await start({ transports: [socket] });
    await advance(0);
    actor.send({ type: 'ONLINE' });
    expect(socket.connections).toHaveLength(2);
  });

  it('START while offline waits for ONLINE', async () => {
    const socket = ws(wsLive);
    const { actor, state } = await start({ transports: [socket], online: false });
    expect(state().status).toBe('offline');
    await advance(10_000);
    expect(socket.connections).toHaveLength(0);
    actor.send({ type: 'ONLINE' });
    expect(socket.connections).toHaveLength(1);
  });

  it('keeps streaming while hidden by default', async () => {
    const socket = ws(wsLive);
    const { actor, state } = await start({ transports: [socket] });
    await advance(20);
    actor.send({ type: 'VISIBILITY_HIDDEN' });
    expect(state().status).toBe('live');
    expect(socket.connections[0]?.signal.aborted).toBe(false);
  });

  it('pauseWhenHidden: closes while hidden and reconnects when visible', async () => {
    const socket = ws(wsLive, wsLive);
    const { actor, state } = await start({ transports: [socket], config: { pauseWhenHidden: true } });
    await advance(20);
    actor.send({ type: 'VISIBILITY_HIDDEN' });
    expect(state().status).toBe('paused');
    expect(socket.connections[0]?.signal.aborted).toBe(true);
    await advance(600_000);
    expect(socket.connections).toHaveLength(1);
    actor.send({ type: 'VISIBILITY_VISIBLE' });
    expect(socket.connections).toHaveLength(2);
  });

  it('PAGE_RESTORED reconnects at once from the checkpoint', async () => {
    const socket = ws(wsLive, wsLive);
    const { actor, setCursor } = await start({ transports: [socket] });
    await advance(20);
    setCursor('99');
    actor.send({ type: 'PAGE_RESTORED' });
    expect(socket.connections[0]?.signal.aborted).toBe(true);
    expect(socket.connections.map((c) => c.cursor)).toEqual([null, '99']);
  });

  it('STOP closes everything and ends in stopped', async () => {
    const socket = ws(wsLive);
    const { actor, state } = await start({ transports: [socket] });
    await advance(20);
    actor.send({ type: 'STOP' });
    expect(state().status).toBe('stopped');
    expect(socket.connections[0]?.signal.aborted).toBe(true);
  });
});

describe('TERMINAL from every state', () => {
  const cases: Array<[string, () => Promise<{ harness: Harness; transports: MemoryTransport[] }>]> = [
    [
      'restoring',
      async () => ({
        harness: await start({ transports: [ws()], checkpoint: new Promise(() => {}) }),
        transports: [],
      }),
    ],
    [
      'connecting',
      async () => {
        const t = ws(hang);
        return { harness: await start({ transports: [t] }), transports: [t] };
      },
    ],
    [
      'awaitingFirstFrame',
      async () => {
        const t = ws([step.open(), step.hang()]);
        const harness = await start({ transports: [t] });
        await advance(0);
        return { harness, transports: [t] };
      },
    ],
    [
      'live',
      async () => {
        const t = ws(wsLive);
        const harness = await start({ transports: [t] });
        await advance(20);
        return { harness, transports: [t] };
      },
    ],
    [
      'live while probing',
      async () => {
        const health = createMemoryTransportHealthStore();
        health.markUnhealthy(ORIGIN, 'websocket', 600_000);
        const socket = ws([step.open(), step.hang()]);
        const stream = sse(sseLive);
        const harness = await start({ transports: [socket, stream], health });
        await advance(30_020);
        expect(harness.state().probing).toBe('websocket');
        return { harness, transports: [socket, stream] };
      },
    ],
    [
      'backoff',
      async () => {
        const t = ws([step.error(errors.network())]);
        const harness = await start({ transports: [t] });
        await advance(0);
        return { harness, transports: [t] };
      },
    ],
    [
      'refreshing credentials',
      async () => {
        const t = ws([step.error(errors.auth())]);
        const harness = await start({
          transports: [t],
          refreshCredentials: () => new Promise<void>(() => {}),
        });
        await advance(0);
        expect(linkIn(harness, 'refreshingCredentials')).toBe(true);
        return { harness, transports: [t] };
      },
    ],
    [
      'offline',
      async () => {
        const t = ws(wsLive);
        const harness = await start({ transports: [t] });
        await advance(20);
        harness.actor.send({ type: 'OFFLINE' });
        return { harness, transports: [t] };
      },
    ],
    [
      'paused',
      async () => {
        const t = ws(wsLive);
        const harness = await start({ transports: [t], config: { pauseWhenHidden: true } });
        await advance(20);
        harness.actor.send({ type: 'VISIBILITY_HIDDEN' });
        return { harness, transports: [t] };
      },
    ],
  ];

  it.each(cases)('%s → done, every transport stopped', async (name, arrange) => {
    const { harness, transports } = await arrange();
    expect(harness.state().status, name).not.toBe('done');
    harness.actor.send({ type: 'TERMINAL' });
    expect(harness.state().status).toBe('done');
    expect(allAborted(...transports)).toBe(true);
    const before = transports.map((t) => t.connections.length);
    await advance(600_000);
    expect(transports.map((t) => t.connections.length)).toEqual(before);
    // Done, and still observed: the machine lives until its last observer has gone for the grace.
    expect(harness.actor.getSnapshot().status).toBe('active');
    harness.actor.send({ type: 'RELEASE' });
    await advance(500);
    expect(harness.actor.getSnapshot().status).toBe('done');
    expect(harness.state().status).toBe('stopped');
  });
});

describe('forceTransport and remembered health', () => {
  it('forceTransport uses only that transport: no fallback, no probe', async () => {
    const socket = ws(wsLive);
    const stream = sse([step.open(), step.hang()]);
    const poll = polling(pollLive);
    const { state } = await start({ transports: [socket, stream, poll], config: { forceTransport: 'sse' } });
    await advance(60_000);
    expect(socket.connections).toHaveLength(0);
    expect(poll.connections).toHaveLength(0);
    expect(stream.connections.length).toBeGreaterThan(3);
    expect(state().transport).toBe('sse');
    expect(state().degraded).toBe(false);
  });

  it('forceTransport that the server does not offer fails with TRANSPORT_UNAVAILABLE', async () => {
    const { state } = await start({ transports: [sse()], config: { forceTransport: 'websocket' } });
    expect(state()).toMatchObject({ status: 'failed', error: { code: 'TRANSPORT_UNAVAILABLE' } });
  });

  it('starts one step down when the best transport was given up on, then probes upward and forgets the mark', async () => {
    const health: TransportHealthStore = createMemoryTransportHealthStore();
    health.markUnhealthy(ORIGIN, 'websocket', 600_000);
    const socket = ws(wsLive);
    const stream = sse(sseLive);
    const { state } = await start({ transports: [socket, stream, polling()], health });
    expect(state()).toMatchObject({ status: 'connecting', transport: 'sse', degraded: true });
    await advance(20);
    expect(socket.connections).toHaveLength(0);
    await advance(30_000);
    expect(socket.connections).toHaveLength(1);
    await advance(20);
    expect(state()).toMatchObject({ status: 'live', transport: 'websocket', degraded: false });
    expect(health.isUnhealthy(ORIGIN, 'websocket')).toBe(false);
  });

  it('starts on the floor when every better transport is marked, and climbs one rung per probe', async () => {
    const health = createMemoryTransportHealthStore();
    health.markUnhealthy(ORIGIN, 'websocket', 600_000);
    health.markUnhealthy(ORIGIN, 'sse', 600_000);
    const socket = ws([step.error(errors.network())]);
    const stream = sse(sseLive);
    const poll = polling(pollLive);
    const { state } = await start({
      transports: [socket, stream, poll],
      health,
      config: { livenessTimeoutMs: 600_000 },
    });
    await advance(20);
    expect(state()).toMatchObject({ status: 'live', transport: 'polling' });
    // First probe: the best (WebSocket) fails; the next probe tries SSE.
    await advance(30_000);
    expect(socket.connections).toHaveLength(1);
    await advance(60_000 + 20);
    expect(stream.connections).toHaveLength(1);
    expect(state()).toMatchObject({ status: 'live', transport: 'sse', degraded: true });
    expect(poll.connections[0]?.signal.aborted).toBe(true);
  });

  it('an empty transport list fails with TRANSPORT_UNAVAILABLE', async () => {
    const { state } = await start({ transports: [] });
    expect(state()).toMatchObject({ status: 'failed', error: { code: 'TRANSPORT_UNAVAILABLE' } });
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

  it('a crashed machine (actors swapped with provide()) maps to failed, not a thrown error', async () => {
    const crashing = taskStreamMachine.provide({
      actors: {
        transportRun: fromCallback(() => {
          throw new Error('boom');
        }),
      },
    });
    const { actor } = await start({ transports: [ws()], machine: crashing });
    expect(toConnectionState(actor.getSnapshot())).toMatchObject({
      status: 'failed',
      error: { code: 'INTERNAL_ERROR', message: 'boom' },
    });
  });
});
