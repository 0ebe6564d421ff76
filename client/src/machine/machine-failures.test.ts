/**
 * Machine tests on fake time: retryable and fatal failures, backoff, and the SSE early-end peer quirk
 * (protocol/SPEC.md §5).
 */
import { TaskBridgeError } from '@taskbridge/protocol';
import { describe, expect, it, vi } from 'vitest';
import { toConnectionState } from '../connection-state';
import { type MemoryScript, memoryStep as step } from '../transports/memory';
import {
  advance,
  errors,
  linkIn,
  polling,
  pollLive,
  sse,
  sseLive,
  start,
  TASK_ID,
  ws,
  useMachineTestTime,
  wsLive,
} from './test-harness';

useMachineTestTime();

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
