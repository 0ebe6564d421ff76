/**
 * The stream's whole life in the machine, on fake time: observers and the detach grace, the restored
 * checkpoint, transport resolution, failures from the data path, the environment regions, the
 * diagnostics each transition emits, and what XState's inspection shows.
 */
import { TaskBridgeError } from '@taskbridge/protocol';
import { describe, expect, it } from 'vitest';
import type { InspectionEvent } from 'xstate';
import type { Checkpoint } from '../checkpoint/checkpoint-store';
import { initialTaskSnapshot } from '../task-snapshot';
import { memoryStep as step } from '../transports/memory';
import {
  advance,
  allAborted,
  completed,
  errors,
  polling,
  sse,
  sseLive,
  start,
  TASK_ID,
  ws,
  useMachineTestTime,
  wsLive,
} from './test-harness';

useMachineTestTime();

function checkpoint(overrides: Partial<Checkpoint> = {}): Checkpoint {
  return {
    taskId: TASK_ID,
    lastEventId: '7',
    snapshot: { ...initialTaskSnapshot(TASK_ID), lastEventId: '7', eventCount: 7, status: 'running' },
    terminalEvent: null,
    updatedAt: 0,
    ...overrides,
  };
}

describe('observers and the detach grace', () => {
  it('the last RELEASE detaches after the grace: every run stops, the machine is stopped', async () => {
    const socket = ws(wsLive);
    const { actor, state } = await start({ transports: [socket] });
    await advance(20);
    actor.send({ type: 'RELEASE' });
    await advance(499);
    expect(state().status).toBe('live');
    expect(socket.connections[0]?.signal.aborted).toBe(false);
    await advance(1);
    expect(state().status).toBe('stopped');
    expect(actor.getSnapshot().status).toBe('done');
    expect(allAborted(socket)).toBe(true);
  });

  it('an observer back within the grace keeps the same connection (StrictMode unmount/mount)', async () => {
    const socket = ws(wsLive);
    const { actor, state } = await start({ transports: [socket], config: { livenessTimeoutMs: 600_000 } });
    await advance(20);
    actor.send({ type: 'RELEASE' });
    await advance(300);
    actor.send({ type: 'RETAIN' });
    await advance(60_000);
    expect(state().status).toBe('live');
    expect(socket.connections).toHaveLength(1);
  });

  it('counts observers: only the last one leaving starts the grace', async () => {
    const socket = ws(wsLive);
    const { actor, state } = await start({ transports: [socket] });
    actor.send({ type: 'RETAIN' });
    actor.send({ type: 'RETAIN' });
    actor.send({ type: 'RELEASE' });
    actor.send({ type: 'RELEASE' });
    await advance(10_000);
    expect(state().status).toBe('live');
    actor.send({ type: 'RELEASE' });
    await advance(500);
    expect(state().status).toBe('stopped');
  });

  it('a finished stream stays until its observers leave, then stops without a connection', async () => {
    const socket = ws([step.open(), step.ack(), step.event(completed('2')), step.hang()]);
    const { actor, state } = await start({ transports: [socket] });
    await advance(0);
    expect(state().status).toBe('done');
    actor.send({ type: 'RELEASE' });
    await advance(500);
    expect(actor.getSnapshot().status).toBe('done');
    expect(socket.connections).toHaveLength(1);
  });
});

describe('restoring the checkpoint and resolving transports', () => {
  it('resumes from the restored cursor', async () => {
    const socket = ws(wsLive);
    const { state } = await start({ transports: [socket], checkpoint: Promise.resolve(checkpoint()) });
    await advance(20);
    expect(state().status).toBe('live');
    expect(socket.connections.map((c) => c.cursor)).toEqual(['7']);
  });

  it('a checkpoint that holds the terminal event is done without connecting', async () => {
    const socket = ws(wsLive);
    const terminal = completed('9');
    const { state, diagnostics } = await start({
      transports: [socket],
      checkpoint: Promise.resolve(checkpoint({ lastEventId: '9', terminalEvent: terminal })),
    });
    await advance(60_000);
    expect(state().status).toBe('done');
    expect(socket.connections).toHaveLength(0);
    expect(diagnostics).toEqual([]);
  });

  it('a checkpoint that cannot be read is reported, and the stream starts from scratch', async () => {
    const socket = ws(wsLive);
    const { state, diagnostics } = await start({
      transports: [socket],
      checkpoint: Promise.reject(new Error('quota')),
    });
    await advance(20);
    expect(state().status).toBe('live');
    expect(socket.connections.map((c) => c.cursor)).toEqual([null]);
    expect(diagnostics[0]).toMatchObject({
      type: 'checkpoint-error',
      taskId: TASK_ID,
      error: { code: 'CHECKPOINT_ERROR' },
    });
  });

  it('transports that cannot be resolved fail the stream with that error', async () => {
    const refused = new TaskBridgeError({ code: 'AUTHENTICATION_ERROR', message: 'who are you' });
    const { state, diagnostics } = await start({
      transports: [ws()],
      resolveTransports: Promise.reject(refused),
    });
    expect(state()).toMatchObject({ status: 'failed', error: refused });
    expect(diagnostics).toEqual([{ type: 'stream-failed', taskId: TASK_ID, error: refused }]);
  });
});

describe('the data path can end the stream', () => {
  it('FAIL (e.g. history trimmed under the fail policy) fails it with that error and stops the runs', async () => {
    const socket = ws(wsLive);
    const { actor, state } = await start({ transports: [socket] });
    await advance(20);
    const trimmed = new TaskBridgeError({ code: 'HISTORY_TRIMMED', message: 'gone', retryable: false });
    actor.send({ type: 'FAIL', error: trimmed });
    expect(state()).toMatchObject({ status: 'failed', error: trimmed });
    expect(allAborted(socket)).toBe(true);
  });
});

describe('the environment regions', () => {
  it('a hidden page with pauseWhenHidden starts paused and connects once visible', async () => {
    const socket = ws(wsLive);
    const { actor, state } = await start({
      transports: [socket],
      hidden: true,
      config: { pauseWhenHidden: true },
    });
    expect(state().status).toBe('paused');
    await advance(60_000);
    expect(socket.connections).toHaveLength(0);
    actor.send({ type: 'VISIBILITY_VISIBLE' });
    await advance(20);
    expect(state().status).toBe('live');
  });

  it('back online while hidden with pauseWhenHidden: paused, not connected', async () => {
    const socket = ws(wsLive);
    const { actor, state } = await start({
      transports: [socket],
      online: false,
      hidden: true,
      config: { pauseWhenHidden: true },
    });
    expect(state().status).toBe('offline');
    actor.send({ type: 'ONLINE' });
    expect(state().status).toBe('paused');
    expect(socket.connections).toHaveLength(0);
  });
});

describe('diagnostics come from the transitions that cause them', () => {
  it('transport-selected on the first live connection, fallback with the error that caused it, retry per backoff', async () => {
    const socket = ws(
      [step.open(), step.ack(), step.error(errors.network(), 10)],
      [step.error(errors.network())],
      [step.error(errors.network())],
    );
    const stream = sse(sseLive);
    const { diagnostics, state } = await start({
      transports: [socket, stream],
      config: { livenessTimeoutMs: 600_000 },
    });
    await advance(10);
    await advance(1_000);
    expect(state()).toMatchObject({ status: 'live', transport: 'sse' });
    expect(diagnostics.map((d) => d.type)).toEqual(['transport-selected', 'retry', 'retry', 'fallback']);
    expect(diagnostics[0]).toEqual({ type: 'transport-selected', taskId: TASK_ID, transport: 'websocket' });
    expect(diagnostics[1]).toMatchObject({
      type: 'retry',
      attempt: 1,
      delayMs: 0,
      error: { code: 'NETWORK_ERROR' },
    });
    expect(diagnostics[2]).toMatchObject({ type: 'retry', attempt: 2, delayMs: 0 });
    expect(diagnostics[3]).toMatchObject({
      type: 'fallback',
      from: 'websocket',
      to: 'sse',
      error: { code: 'NETWORK_ERROR' },
    });
  });

  it('climb-back when the probe takes over', async () => {
    const socket = ws([step.hang()], wsLive);
    const stream = sse(sseLive);
    const { diagnostics } = await start({
      transports: [socket, stream],
      config: { livenessTimeoutMs: 600_000 },
    });
    await advance(2_500 + 1 + 20 + 30_000 + 20);
    expect(diagnostics.map((d) => d.type)).toEqual(['retry', 'transport-selected', 'climb-back']);
    expect(diagnostics[2]).toEqual({ type: 'climb-back', taskId: TASK_ID, from: 'sse', to: 'websocket' });
  });

  it('auth-refresh when credentials are refreshed, stream-failed when the stream fails', async () => {
    const socket = ws([step.error(errors.auth())]);
    const { diagnostics, state } = await start({ transports: [socket], refreshCredentials: async () => {} });
    await advance(10);
    expect(state()).toMatchObject({ status: 'failed', error: { code: 'AUTHENTICATION_ERROR' } });
    expect(diagnostics.map((d) => d.type)).toEqual(['auth-refresh', 'stream-failed']);
  });
});

describe('inspection shows the whole life of a stream', () => {
  it('observers, restore, transports, the terminal event and the stop are all events and snapshots', async () => {
    const inspected: InspectionEvent[] = [];
    const socket = ws([step.open(), step.ack(), step.event(completed('2')), step.hang()]);
    const { actor } = await start({ transports: [socket], inspect: (event) => inspected.push(event) });
    await advance(0);
    actor.send({ type: 'RELEASE' });
    await advance(500);
    const events = inspected
      .filter((e): e is Extract<InspectionEvent, { type: '@xstate.event' }> => e.type === '@xstate.event')
      .filter((e) => e.actorRef === actor)
      .map((e) => e.event.type);
    expect(events).toEqual(
      expect.arrayContaining(['xstate.init', 'OPENED', 'FIRST_FRAME', 'TERMINAL', 'RELEASE']),
    );
    expect(events.some((type) => type.startsWith('xstate.done.actor'))).toBe(true);
    const values = inspected
      .filter(
        (e): e is Extract<InspectionEvent, { type: '@xstate.snapshot' }> => e.type === '@xstate.snapshot',
      )
      .filter((e) => e.actorRef === actor)
      .map((e) => JSON.stringify((e.snapshot as unknown as { value: unknown }).value));
    for (const state of ['restoring', 'resolving', 'connecting', 'live', 'done', 'detaching', 'stopped']) {
      expect(
        values.some((value) => value.includes(`"${state}"`)),
        state,
      ).toBe(true);
    }
  });
});

describe('the give-up policy', () => {
  const down = () => ws([step.error(errors.network(), 10)]);

  it('by default, a stream with no live connection for 5 minutes fails with TIMEOUT (giveUp)', async () => {
    const { state, diagnostics } = await start({ transports: [down()] });
    await advance(299_000);
    expect(state().status).toBe('backoff');
    await advance(11_000);
    expect(state()).toMatchObject({
      status: 'failed',
      error: { code: 'TIMEOUT', details: { deadline: 'giveUp', timeoutMs: 300_000 } },
    });
    expect(state().error?.cause).toMatchObject({ code: 'NETWORK_ERROR' });
    expect(diagnostics.at(-1)).toMatchObject({ type: 'stream-failed' });
  });

  it('counts from the last live connection', async () => {
    const socket = ws(
      [step.open(), step.ack(), step.error(errors.network(), 100_000)],
      [step.error(errors.network(), 10)],
    );
    const { state } = await start({
      transports: [socket],
      config: { giveUpAfterMs: 60_000, livenessTimeoutMs: 600_000 },
    });
    await advance(100_000 + 59_000);
    expect(state().status).toBe('backoff');
    await advance(11_000);
    expect(state()).toMatchObject({ status: 'failed', error: { details: { deadline: 'giveUp' } } });
  });

  it('Infinity retries for ever', async () => {
    const { state } = await start({
      transports: [down()],
      config: { giveUpAfterMs: Number.POSITIVE_INFINITY },
    });
    await advance(3_600_000);
    expect(state().status).toBe('backoff');
  });

  it('time paused by pauseWhenHidden does not count', async () => {
    const { actor, state } = await start({
      transports: [down()],
      config: { giveUpAfterMs: 60_000, pauseWhenHidden: true },
    });
    await advance(50_000);
    actor.send({ type: 'VISIBILITY_HIDDEN' });
    await advance(600_000);
    actor.send({ type: 'VISIBILITY_VISIBLE' });
    await advance(50_000);
    expect(state().status).toBe('backoff');
    await advance(20_000);
    expect(state().status).toBe('failed');
  });
});

describe('answers that are not the protocol', () => {
  const page = () =>
    new TaskBridgeError({
      code: 'UNEXPECTED_RESPONSE',
      message: 'expected JSON, got text/html',
      details: { notProtocol: true },
    });

  it('count toward giving up on their transport, and fail the stream once every transport answered so', async () => {
    const socket = ws([step.error(page(), 5)]);
    const stream = sse([step.error(page(), 5)]);
    const poll = polling([step.error(page(), 5)]);
    const { state, diagnostics } = await start({ transports: [socket, stream, poll], random: () => 0 });
    await advance(60_000);
    expect(state()).toMatchObject({
      status: 'failed',
      error: {
        code: 'UNEXPECTED_RESPONSE',
        retryable: false,
        details: { transports: ['websocket', 'sse', 'polling'] },
      },
    });
    expect(state().error?.cause).toMatchObject({ code: 'UNEXPECTED_RESPONSE' });
    // Two answers each (maxConsecutiveFailuresPerTransport), then the next rung; the floor's second ends it.
    expect([socket, stream, poll].map((t) => t.connections.length)).toEqual([2, 2, 2]);
    expect(diagnostics.map((d) => d.type)).toEqual([...Array(5).fill('retry'), 'stream-failed']);
  });

  it('one such answer, then the protocol, is just a retry', async () => {
    const stream = sse([step.error(page(), 5)], sseLive);
    const { state } = await start({ transports: [stream], random: () => 0 });
    await advance(100);
    expect(state()).toMatchObject({ status: 'live', transport: 'sse', error: null });
  });

  it('a transport that speaks the protocol keeps the stream going', async () => {
    const stream = sse([step.error(page(), 5)]);
    const poll = polling([step.error(errors.network(), 5)]);
    const { state } = await start({ transports: [stream, poll] });
    await advance(60_000);
    // SSE was given up on for its pages; polling fails otherwise, so the stream keeps trying.
    expect(stream.connections).toHaveLength(2);
    expect(state()).toMatchObject({
      status: 'backoff',
      transport: 'polling',
      error: { code: 'NETWORK_ERROR' },
    });
  });
});
