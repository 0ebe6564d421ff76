import { isTerminalEvent, TaskBridgeError, type TaskEvent, type TransportName } from '@taskbridge/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Actor, createActor, fromCallback } from 'xstate';
import {
  type ConnectionState,
  connectionStatesEqual,
  IDLE_CONNECTION_STATE,
  toConnectionState,
} from '../connection-state';
import { type MemoryScript, MemoryTransport, memoryStep as step } from '../transports/memory';
import { type ConnectionConfigInput, resolveConnectionConfig } from './config';
import { type DataMessage, type TaskStreamMachineInput, taskStreamMachine } from './machine';
import { createMemoryTransportHealthStore, type TransportHealthStore } from './transport-health';

const TASK_ID = 'task_123';
const ORIGIN = 'https://api.example';

function progress(eventId: string): TaskEvent {
  return {
    type: 'TASK_PROGRESS',
    taskId: TASK_ID,
    eventId,
    createdAt: '2026-05-04T12:00:05Z',
    payload: { progress: 10 },
  };
}

function completed(eventId: string): TaskEvent {
  return {
    type: 'TASK_COMPLETED',
    taskId: TASK_ID,
    eventId,
    createdAt: '2026-05-04T12:01:00Z',
    payload: { result: { ok: true } },
  };
}

const errors = {
  network: () => new TaskBridgeError({ code: 'NETWORK_ERROR', message: 'connection refused' }),
  notFound: () => new TaskBridgeError({ code: 'TASK_NOT_FOUND', message: 'no such task' }),
  forbidden: () => new TaskBridgeError({ code: 'TASK_OWNERSHIP_ERROR', message: 'not yours' }),
  auth: () => new TaskBridgeError({ code: 'AUTHENTICATION_ERROR', message: 'token expired' }),
  rateLimited: (retryAfterMs: number) =>
    new TaskBridgeError({ code: 'RATE_LIMITED', message: 'slow down', retryAfterMs }),
  // How the WebSocket transport reports a close: the close code travels in details.closeCode.
  policyClose: () =>
    new TaskBridgeError({
      code: 'PROTOCOL_ERROR',
      message: 'closed 1008',
      retryable: false,
      details: { closeCode: 1008 },
    }),
};

/** A WebSocket that opens and is confirmed, then stays quiet. */
const wsLive: MemoryScript = [step.open(10), step.ack(10), step.hang()];
/** An SSE stream whose first frame is a heartbeat (SPEC.md §5: sent right after the replay). */
const sseLive: MemoryScript = [step.open(10), step.heartbeat(10), step.hang()];
/** A polling transport whose first response arrives (it counts as the first frame). */
const pollLive: MemoryScript = [step.open(10), step.hang()];
const hang: MemoryScript = [step.hang()];

interface Harness {
  actor: Actor<typeof taskStreamMachine>;
  state: () => ConnectionState;
  received: Array<{ transport: TransportName; message: DataMessage }>;
  setCursor: (cursor: string | null) => void;
}

interface StartOptions extends Partial<Omit<TaskStreamMachineInput, 'config' | 'transports'>> {
  transports: MemoryTransport[];
  config?: ConnectionConfigInput;
  /** Do not send START (to observe `idle`). */
  idle?: boolean;
}

let running: Harness[] = [];

/** Starts a stream whose data path is a stub: it tracks the cursor and sends TERMINAL like the sequencer. */
function start(options: StartOptions): Harness {
  const { transports, config, idle, ...rest } = options;
  let cursor: string | null = null;
  const received: Harness['received'] = [];
  const actor = createActor(taskStreamMachine, {
    input: {
      taskId: TASK_ID,
      transports,
      getCursor: () => cursor,
      onMessage: (transport, message) => {
        received.push({ transport, message });
        if (message.type !== 'event') return;
        cursor = message.event.eventId;
        if (isTerminalEvent(message.event)) actor.send({ type: 'TERMINAL' });
      },
      config: resolveConnectionConfig(config),
      random: () => 0.5,
      origin: ORIGIN,
      ...rest,
    },
  });
  actor.start();
  if (idle !== true) actor.send({ type: 'START' });
  const harness: Harness = {
    actor,
    state: () => toConnectionState(actor.getSnapshot()),
    received,
    setCursor: (next) => {
      cursor = next;
    },
  };
  running.push(harness);
  return harness;
}

const ws = (...scripts: MemoryScript[]) => new MemoryTransport({ name: 'websocket', scripts });
const sse = (...scripts: MemoryScript[]) => new MemoryTransport({ name: 'sse', scripts });
const polling = (...scripts: MemoryScript[]) => new MemoryTransport({ name: 'polling', scripts });

const advance = (ms: number) => vi.advanceTimersByTimeAsync(ms);

function allAborted(...transports: MemoryTransport[]): boolean {
  return transports.every((t) => t.connections.every((c) => c.signal.aborted));
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(1_000_000);
});

afterEach(() => {
  for (const harness of running) harness.actor.stop();
  running = [];
  vi.useRealTimers();
});

describe('happy path', () => {
  it('connects the best transport: connecting → live, reading the cursor at connect time', async () => {
    const socket = ws(wsLive);
    const { state, setCursor } = start({ transports: [socket, sse(), polling()], idle: true });
    expect(state().status).toBe('idle');
    setCursor('41');
    running[0]?.actor.send({ type: 'START' });
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
    const { received } = start({ transports: [socket] });
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
    const { actor, state } = start({ transports: [socket, sse()] });
    await advance(0);
    expect(state().status).toBe('done');
    expect(actor.getSnapshot().status).toBe('done');
    expect(socket.connections[0]?.signal.aborted).toBe(true);
  });
});

describe('deadlines', () => {
  it('open deadline: a silent WebSocket is skipped for SSE after 5 s, and remembered for the origin', async () => {
    const socket = ws(hang);
    const stream = sse(sseLive);
    const health = createMemoryTransportHealthStore();
    const { state } = start({ transports: [socket, stream, polling()], health });
    await advance(4_999);
    expect(state().status).toBe('connecting');
    await advance(1);
    expect(socket.connections[0]?.signal.aborted).toBe(true);
    expect(state()).toMatchObject({
      status: 'backoff',
      transport: 'sse',
      attempt: 1,
      degraded: true,
      nextRetryAt: Date.now() + 250,
    });
    expect(state().error).toMatchObject({
      code: 'TIMEOUT',
      details: { deadline: 'open', transport: 'websocket' },
    });
    expect(health.isUnhealthy(ORIGIN, 'websocket')).toBe(true);
    await advance(249);
    expect(stream.connections).toHaveLength(0);
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
    const { state } = start({ transports: [stream, poll] });
    await advance(10);
    expect(state().status).toBe('connecting');
    await advance(7_999);
    expect(stream.connections[0]?.signal.aborted).toBe(false);
    await advance(1);
    expect(stream.connections[0]?.signal.aborted).toBe(true);
    expect(state().error).toMatchObject({ code: 'TIMEOUT', details: { deadline: 'firstFrame' } });
    expect(state()).toMatchObject({ status: 'backoff', transport: 'polling' });
    await advance(250 + 10);
    expect(state()).toMatchObject({ status: 'live', transport: 'polling', degraded: true });
    expect(stream.connections).toHaveLength(1);
  });

  it('liveness: heartbeats keep a live stream up; silence reconnects the same transport from the cursor', async () => {
    const socket = ws(wsLive, wsLive);
    const { state } = start({
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
    const { state } = start({ transports: [stream, polling()] });
    await advance(100);
    expect(state()).toMatchObject({ status: 'backoff', transport: 'sse' });
    expect(state().error?.code).toBe('CONNECTION_CLOSED');
    await advance(250 + 20);
    expect(state()).toMatchObject({ status: 'live', transport: 'sse' });
  });
});

describe('retryable errors and backoff', () => {
  it('backs off within [0, window]: random 0 retries at once, random near 1 waits almost the full window', async () => {
    const atZero = ws([step.error(errors.network())], wsLive);
    const zero = start({ transports: [atZero, sse()], random: () => 0 });
    await advance(0);
    expect(zero.state()).toMatchObject({ status: 'backoff', nextRetryAt: Date.now() });
    // A zero delay set inside a timer callback runs on the next fake millisecond.
    await advance(1);
    expect(atZero.connections).toHaveLength(2);

    const atTop = ws([step.error(errors.network())], wsLive);
    const top = start({ transports: [atTop, sse()], random: () => 0.998 });
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
    const { state } = start({ transports: [socket, stream, polling()] });
    await advance(5);
    expect(state()).toMatchObject({ status: 'backoff', transport: 'websocket', attempt: 1 });
    await advance(250 + 5);
    expect(socket.connections).toHaveLength(2);
    expect(state()).toMatchObject({ status: 'backoff', transport: 'sse', attempt: 2 });
    // attempt 1 → window 1000 ms, × 0.5.
    expect((state().nextRetryAt ?? 0) - Date.now()).toBe(500);
    await advance(500 + 20);
    expect(state()).toMatchObject({ status: 'live', transport: 'sse' });
    expect(socket.connections).toHaveLength(2);
    expect(stream.connections).toHaveLength(1);
  });

  it('polling is the floor: it keeps retrying, with delays capped at 10 s', async () => {
    const poll = polling([step.error(errors.network(), 10)]);
    const { actor, state } = start({
      transports: [sse([step.error(errors.network(), 10)]), poll],
      random: () => 0.999_9,
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
    expect(Math.min(...waits)).toBeGreaterThan(0);
    expect(Math.max(...waits)).toBeLessThanOrEqual(10_000);
    expect(Math.max(...waits)).toBeGreaterThan(9_990);
    // Windows double from 500 ms: 500, 1000, 2000, 4000, 8000, then the 10 s cap.
    expect(waits.slice(0, 6).map(Math.round)).toEqual([500, 1_000, 2_000, 4_000, 7_999, 9_999]);
  });

  it('honours Retry-After from a 429 as a floor', async () => {
    const socket = ws([step.error(errors.rateLimited(3_000))], wsLive);
    const { state } = start({ transports: [socket, sse()] });
    await advance(0);
    expect((state().nextRetryAt ?? 0) - Date.now()).toBe(3_000);
    await advance(2_999);
    expect(socket.connections).toHaveLength(1);
    await advance(1);
    expect(socket.connections).toHaveLength(2);
  });

  it('maxRetries: fails with the last error once the limit is spent', async () => {
    const poll = polling([step.error(errors.network())]);
    const { state } = start({ transports: [poll], config: { maxRetries: 2 } });
    await advance(0);
    await advance(10_000);
    await advance(10_000);
    expect(poll.connections).toHaveLength(3);
    expect(state()).toMatchObject({ status: 'failed', error: { code: 'NETWORK_ERROR' } });
  });

  it('a connection that stays up for stableConnectionMs resets the attempt counter', async () => {
    const socket = ws([step.error(errors.network())], wsLive);
    const { state } = start({ transports: [socket, sse()], config: { livenessTimeoutMs: 600_000 } });
    await advance(0);
    expect(state().attempt).toBe(1);
    await advance(250 + 20);
    expect(state()).toMatchObject({ status: 'live', attempt: 1, error: null });
    await advance(4_999);
    expect(state().attempt).toBe(1);
    await advance(1);
    expect(state().attempt).toBe(0);
  });

  it('a transport that drops right after its first frame keeps backing off, then is skipped', async () => {
    const flapping: MemoryScript = [step.open(10), step.ack(), step.closed(100)];
    const socket = ws(flapping);
    const stream = sse(sseLive);
    const { state } = start({ transports: [socket, stream] });
    await advance(110);
    expect(state()).toMatchObject({ status: 'backoff', transport: 'websocket', attempt: 1 });
    await advance(250 + 110);
    expect(socket.connections).toHaveLength(2);
    expect(state()).toMatchObject({ status: 'backoff', transport: 'sse', attempt: 2 });
    await advance(500 + 20);
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
    const { actor, state } = start({ transports: [socket, stream] });
    await advance(5);
    expect(state()).toMatchObject({ status: 'failed', transport: null, error: { code } });
    expect(actor.getSnapshot().status).toBe('done');
    await advance(60_000);
    expect(stream.connections).toHaveLength(0);
    expect(socket.connections).toHaveLength(1);
  });

  it('401: refreshes credentials once, retries at once, and fails on the second 401', async () => {
    const refreshCredentials = vi.fn(async () => {});
    const socket = ws([step.error(errors.auth(), 5)]);
    const { state } = start({ transports: [socket, sse()], refreshCredentials });
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
    const { state } = start({ transports: [socket], refreshCredentials });
    await advance(6_010);
    expect(refreshCredentials).toHaveBeenCalledTimes(2);
    await advance(20);
    expect(state().status).toBe('live');
  });

  it('401 without a refresh hook, or a failing refresh, is fatal', async () => {
    const plain = start({ transports: [ws([step.error(errors.auth())])] });
    const failingRefresh = start({
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
    const { state } = start({ transports: [socket, sse()], refreshCredentials });
    await advance(20);
    expect(refreshCredentials).toHaveBeenCalledTimes(1);
    expect(state()).toMatchObject({ status: 'live', transport: 'websocket' });
  });

  it('WebSocket 1008 before the ack with nothing to refresh or confirm is fatal', async () => {
    const { state } = start({ transports: [ws([step.open(), step.error(errors.policyClose())]), sse()] });
    await advance(0);
    expect(state()).toMatchObject({ status: 'failed', error: { details: { closeCode: 1008 } } });
  });

  it('WebSocket 1008 before the ack: the confirm hook can fail the stream with the real error', async () => {
    const confirmPolicyViolation = vi.fn(async () => errors.notFound());
    const stream = sse(sseLive);
    const { state } = start({
      transports: [ws([step.open(), step.error(errors.policyClose())]), stream],
      confirmPolicyViolation,
    });
    await advance(0);
    expect(confirmPolicyViolation).toHaveBeenCalledWith({
      taskId: TASK_ID,
      error: expect.objectContaining({ details: { closeCode: 1008 } }),
    });
    expect(state()).toMatchObject({ status: 'failed', error: { code: 'TASK_NOT_FOUND' } });
    expect(stream.connections).toHaveLength(0);
  });

  it('WebSocket 1008 before the ack: when the confirm hook finds the task reachable, the WebSocket is skipped', async () => {
    const stream = sse(sseLive);
    const { state } = start({
      transports: [ws([step.open(), step.error(errors.policyClose())]), stream],
      confirmPolicyViolation: async () => null,
    });
    await advance(0);
    expect(state()).toMatchObject({ status: 'backoff', transport: 'sse' });
    await advance(250 + 20);
    expect(state()).toMatchObject({ status: 'live', transport: 'sse', degraded: true });
  });
});

describe('climb-back', () => {
  async function liveOnSseAfterWsTimeout(socket: MemoryTransport, stream: MemoryTransport) {
    // Liveness far away, so only the climb-back timers run in these tests.
    const harness = start({
      transports: [socket, stream, polling()],
      config: { livenessTimeoutMs: 600_000 },
    });
    // Open deadline 5 s, backoff 250 ms, then SSE opens at +10 and sends a heartbeat at +20.
    await advance(5_000 + 250 + 20);
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
    await advance(13_000);
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
    start({ transports: [socket, sse()], config: { livenessTimeoutMs: 600_000 } });
    await advance(120_000);
    expect(socket.connections).toHaveLength(1);
  });
});

describe('connectivity, visibility and page lifecycle', () => {
  it('OFFLINE parks the stream (no retries); ONLINE reconnects at once', async () => {
    const socket = ws(wsLive, wsLive);
    const { actor, state } = start({ transports: [socket, sse()] });
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
    const { actor } = start({ transports: [socket] });
    await advance(0);
    actor.send({ type: 'ONLINE' });
    expect(socket.connections).toHaveLength(2);
  });

  it('START while offline waits for ONLINE', async () => {
    const socket = ws(wsLive);
    const { actor, state } = start({ transports: [socket], online: false });
    expect(state().status).toBe('offline');
    await advance(10_000);
    expect(socket.connections).toHaveLength(0);
    actor.send({ type: 'ONLINE' });
    expect(socket.connections).toHaveLength(1);
  });

  it('keeps streaming while hidden by default', async () => {
    const socket = ws(wsLive);
    const { actor, state } = start({ transports: [socket] });
    await advance(20);
    actor.send({ type: 'VISIBILITY_HIDDEN' });
    expect(state().status).toBe('live');
    expect(socket.connections[0]?.signal.aborted).toBe(false);
  });

  it('pauseWhenHidden: closes while hidden and reconnects when visible', async () => {
    const socket = ws(wsLive, wsLive);
    const { actor, state } = start({ transports: [socket], config: { pauseWhenHidden: true } });
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
    const { actor, setCursor } = start({ transports: [socket] });
    await advance(20);
    setCursor('99');
    actor.send({ type: 'PAGE_RESTORED' });
    expect(socket.connections[0]?.signal.aborted).toBe(true);
    expect(socket.connections.map((c) => c.cursor)).toEqual([null, '99']);
  });

  it('STOP closes everything and ends in stopped', async () => {
    const socket = ws(wsLive);
    const { actor, state } = start({ transports: [socket] });
    await advance(20);
    actor.send({ type: 'STOP' });
    expect(state().status).toBe('stopped');
    expect(socket.connections[0]?.signal.aborted).toBe(true);
  });
});

describe('TERMINAL from every state', () => {
  const cases: Array<[string, () => Promise<{ harness: Harness; transports: MemoryTransport[] }>]> = [
    ['idle', async () => ({ harness: start({ transports: [ws()], idle: true }), transports: [] })],
    [
      'connecting',
      async () => {
        const t = ws(hang);
        return { harness: start({ transports: [t] }), transports: [t] };
      },
    ],
    [
      'awaitingFirstFrame',
      async () => {
        const t = ws([step.open(), step.hang()]);
        const harness = start({ transports: [t] });
        await advance(0);
        return { harness, transports: [t] };
      },
    ],
    [
      'live',
      async () => {
        const t = ws(wsLive);
        const harness = start({ transports: [t] });
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
        const harness = start({ transports: [socket, stream], health });
        await advance(30_020);
        expect(harness.state().probing).toBe('websocket');
        return { harness, transports: [socket, stream] };
      },
    ],
    [
      'backoff',
      async () => {
        const t = ws([step.error(errors.network())]);
        const harness = start({ transports: [t] });
        await advance(0);
        return { harness, transports: [t] };
      },
    ],
    [
      'refreshing credentials',
      async () => {
        const t = ws([step.error(errors.auth())]);
        const harness = start({ transports: [t], refreshCredentials: () => new Promise<void>(() => {}) });
        await advance(0);
        expect(harness.actor.getSnapshot().matches('refreshingCredentials')).toBe(true);
        return { harness, transports: [t] };
      },
    ],
    [
      'offline',
      async () => {
        const t = ws(wsLive);
        const harness = start({ transports: [t] });
        await advance(20);
        harness.actor.send({ type: 'OFFLINE' });
        return { harness, transports: [t] };
      },
    ],
    [
      'paused',
      async () => {
        const t = ws(wsLive);
        const harness = start({ transports: [t], config: { pauseWhenHidden: true } });
        await advance(20);
        harness.actor.send({ type: 'VISIBILITY_HIDDEN' });
        return { harness, transports: [t] };
      },
    ],
  ];

  it.each(cases)('%s → done, every transport stopped', async (name, arrange) => {
    const { harness, transports } = await arrange();
    if (name !== 'idle') expect(harness.state().status).not.toBe('idle');
    harness.actor.send({ type: 'TERMINAL' });
    expect(harness.state().status).toBe('done');
    expect(harness.actor.getSnapshot().status).toBe('done');
    expect(allAborted(...transports)).toBe(true);
    const before = transports.map((t) => t.connections.length);
    await advance(600_000);
    expect(transports.map((t) => t.connections.length)).toEqual(before);
  });
});

describe('forceTransport and remembered health', () => {
  it('forceTransport uses only that transport: no fallback, no probe', async () => {
    const socket = ws(wsLive);
    const stream = sse([step.open(), step.hang()]);
    const poll = polling(pollLive);
    const { state } = start({ transports: [socket, stream, poll], config: { forceTransport: 'sse' } });
    await advance(60_000);
    expect(socket.connections).toHaveLength(0);
    expect(poll.connections).toHaveLength(0);
    expect(stream.connections.length).toBeGreaterThan(3);
    expect(state().transport).toBe('sse');
    expect(state().degraded).toBe(false);
  });

  it('forceTransport that the server does not offer fails with TRANSPORT_UNAVAILABLE', () => {
    const { state } = start({ transports: [sse()], config: { forceTransport: 'websocket' } });
    expect(state()).toMatchObject({ status: 'failed', error: { code: 'TRANSPORT_UNAVAILABLE' } });
  });

  it('starts one step down when the best transport was given up on, then probes upward and forgets the mark', async () => {
    const health: TransportHealthStore = createMemoryTransportHealthStore();
    health.markUnhealthy(ORIGIN, 'websocket', 600_000);
    const socket = ws(wsLive);
    const stream = sse(sseLive);
    const { state } = start({ transports: [socket, stream, polling()], health });
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
    const { state } = start({
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

  it('an empty transport list fails with TRANSPORT_UNAVAILABLE', () => {
    const { state } = start({ transports: [] });
    expect(state()).toMatchObject({ status: 'failed', error: { code: 'TRANSPORT_UNAVAILABLE' } });
  });
});

describe('public connection state', () => {
  it('maps an idle machine to IDLE_CONNECTION_STATE', () => {
    const { state } = start({ transports: [ws()], idle: true });
    expect(connectionStatesEqual(state(), IDLE_CONNECTION_STATE)).toBe(true);
    expect(connectionStatesEqual(state(), { ...IDLE_CONNECTION_STATE, attempt: 1 })).toBe(false);
  });

  it('a transport whose connect() throws fails the stream with a typed error', () => {
    const broken = new MemoryTransport({ name: 'websocket' });
    broken.connect = () => {
      throw new Error('constructor missing');
    };
    const { state } = start({ transports: [broken, sse()] });
    expect(state()).toMatchObject({ status: 'failed', error: { code: 'INTERNAL_ERROR' } });
  });

  it('a crashed machine (actors swapped with provide()) maps to failed, not a thrown error', () => {
    const crashing = taskStreamMachine.provide({
      actors: {
        transportRun: fromCallback(() => {
          throw new Error('boom');
        }),
      },
    });
    const actor = createActor(crashing, {
      input: {
        taskId: TASK_ID,
        transports: [ws()],
        getCursor: () => null,
        onMessage: () => {},
        config: resolveConnectionConfig(),
      },
    });
    actor.subscribe({ error: () => {} });
    actor.start();
    actor.send({ type: 'START' });
    expect(toConnectionState(actor.getSnapshot())).toMatchObject({
      status: 'failed',
      error: { code: 'INTERNAL_ERROR', message: 'boom' },
    });
  });
});
