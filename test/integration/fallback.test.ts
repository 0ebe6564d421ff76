/**
 * Fallback and climb-back over real sockets (protocol/SPEC.md §10, design/recovery.md): a front server breaks
 * the WebSocket (refused upgrade, or accepted and silent) and the SSE route (headers, then nothing) in
 * the middle of a slow ticker; the client moves down the ladder within its deadlines, climbs back to
 * the WebSocket once it works again, and the app still gets every event once, in order.
 */
import type { Diagnostic, TaskBridgeClient, TaskStream } from '@taskbridge/client';
import type { TransportName } from '@taskbridge/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type FrontServer, startFrontServer } from '../support/front-server';
import {
  createNodeClient,
  type EventRecording,
  FAST_CONNECTION,
  recordEvents,
  serverEventIds,
  strictlyIncreasing,
  transportPath,
} from '../support/node-client';
import { startTestServer, type TestServer } from '../support/reference-server';

const TICKER = { count: 300, intervalMs: 10 };
const WAIT = { timeout: 10_000, interval: 20 };

let srv: TestServer | undefined;
let front: FrontServer | undefined;
let client: TaskBridgeClient | undefined;

afterEach(async () => {
  client?.close();
  await front?.close();
  await srv?.close();
  client = undefined;
  front = undefined;
  srv = undefined;
});

interface Running {
  taskId: string;
  stream: TaskStream;
  recording: EventRecording;
  diagnostics: Diagnostic[];
}

/** Starts a slow ticker through the front server and waits until it is live on `first`. */
async function startThroughFront(first: TransportName): Promise<Running> {
  srv = await startTestServer();
  front = await startFrontServer(srv);
  const made = createNodeClient(front.url, { connection: FAST_CONNECTION });
  client = made.client;
  const { taskId, stream } = await made.client.startTask({ taskType: 'ticker', input: TICKER });
  const recording = recordEvents(stream);
  await vi.waitFor(() => {
    expect(stream.getConnectionState()).toMatchObject({ status: 'live', transport: first });
    expect(recording.events.length).toBeGreaterThan(10);
  }, WAIT);
  return { taskId, stream, recording, diagnostics: made.diagnostics };
}

/** Waits until the stream is live on `transport`; returns how long that took, ms. */
async function liveOn(stream: TaskStream, transport: TransportName): Promise<number> {
  const started = Date.now();
  await vi.waitFor(
    () => expect(stream.getConnectionState()).toMatchObject({ status: 'live', transport }),
    WAIT,
  );
  return Date.now() - started;
}

/** Nothing lost, nothing twice, in order: the app saw exactly the server's events. */
async function expectEverything(running: Running): Promise<void> {
  await running.recording.done;
  const ids = running.recording.events.map((e) => e.eventId);
  expect(ids).toEqual(await serverEventIds(srv as TestServer, running.taskId));
  expect(ids).toHaveLength(TICKER.count + 2);
  expect(strictlyIncreasing(ids)).toBe(true);
  expect(running.stream.getSnapshot()).toMatchObject({
    status: 'completed',
    result: { count: TICKER.count },
  });
  expect(running.diagnostics.filter((d) => d.type === 'stream-failed')).toEqual([]);
}

describe('fallback', () => {
  it('skips a transport the server does not offer without trying it (capabilities, H7)', async () => {
    srv = await startTestServer({ transports: { websocket: false } });
    front = await startFrontServer(srv);
    const made = createNodeClient(front.url, { connection: FAST_CONNECTION });
    client = made.client;
    const { taskId, stream } = await made.client.startTask({ taskType: 'ticker', input: { count: 50 } });
    const recording = recordEvents(stream);
    await recording.done;
    expect(transportPath(made.diagnostics, taskId)).toEqual(['sse']);
    expect(front.hitsOf('websocket')).toHaveLength(0);
    expect(recording.events.map((e) => e.eventId)).toEqual(await serverEventIds(srv, taskId));
  });

  it('(a) WebSocket refused mid-stream: lands on SSE within the deadlines and loses nothing', async () => {
    const running = await startThroughFront('websocket');
    const f = front as FrontServer;
    f.set('websocket', { kind: 'status', status: 503 });
    f.dropUpgraded();
    const tookMs = await liveOn(running.stream, 'sse');
    // Two refused attempts with a backoff of at most 100 ms each: well under one open deadline more.
    expect(tookMs).toBeLessThan(2_000);
    expect(f.hitsOf('websocket').filter((h) => h.answered === 'status').length).toBeGreaterThanOrEqual(1);
    const fallback = running.diagnostics.find((d) => d.type === 'fallback');
    expect(fallback).toMatchObject({ from: 'websocket', to: 'sse' });
    expect(fallback?.type === 'fallback' && fallback.error?.retryable).toBe(true);
    await expectEverything(running);
  });

  it('(b) WebSocket accepted but silent: the first-frame deadline moves it to SSE', async () => {
    const running = await startThroughFront('websocket');
    const f = front as FrontServer;
    f.set('websocket', { kind: 'silent' });
    f.dropUpgraded();
    await liveOn(running.stream, 'sse');
    const fallback = running.diagnostics.find((d) => d.type === 'fallback');
    expect(fallback).toMatchObject({ from: 'websocket', to: 'sse' });
    expect(fallback?.type === 'fallback' && fallback.error).toMatchObject({
      code: 'TIMEOUT',
      details: { deadline: 'firstFrame' },
    });
    expect(f.hitsOf('websocket').some((h) => h.answered === 'silent')).toBe(true);
    await expectEverything(running);
    // The client closed the silent socket it gave up on.
    await vi.waitFor(() => expect(f.openHeld()).toBe(0), WAIT);
  });

  it('(c) WebSocket refused and SSE buffered (headers, then nothing): lands on polling', async () => {
    const running = await startThroughFront('websocket');
    const f = front as FrontServer;
    f.set('websocket', { kind: 'status', status: 403 });
    f.set('stream', { kind: 'hold' });
    f.dropUpgraded();
    await liveOn(running.stream, 'polling');
    expect(f.hitsOf('stream').some((h) => h.answered === 'hold')).toBe(true);
    expect(transportPath(running.diagnostics, running.taskId)).toEqual(['websocket', 'polling']);
    const fallback = running.diagnostics.find((d) => d.type === 'fallback');
    expect(fallback?.type === 'fallback' && fallback.error).toMatchObject({
      code: 'TIMEOUT',
      details: { deadline: 'firstFrame', transport: 'sse' },
    });
    await expectEverything(running);
    await vi.waitFor(() => expect(f.openHeld()).toBe(0), WAIT);
  });

  it('(d) climbs back to the WebSocket once it works again, still losing nothing', async () => {
    const running = await startThroughFront('websocket');
    const f = front as FrontServer;
    f.set('websocket', { kind: 'status', status: 503 });
    f.set('stream', { kind: 'hold' });
    f.dropUpgraded();
    await liveOn(running.stream, 'polling');
    const beforeRestore = running.recording.events.length;

    f.set('websocket', { kind: 'pass' });
    await liveOn(running.stream, 'websocket');
    const climb = running.diagnostics.find((d) => d.type === 'climb-back');
    expect(climb).toMatchObject({ from: 'polling', to: 'websocket' });
    expect(running.stream.getConnectionState()).toMatchObject({ degraded: false, probing: null });
    // It switched mid-stream: events kept coming after the climb-back.
    expect(running.recording.events.length).toBeGreaterThan(beforeRestore);
    expect(running.recording.completed).toBe(false);
    await expectEverything(running);
    expect(transportPath(running.diagnostics, running.taskId)).toEqual(['websocket', 'polling', 'websocket']);
  });
});
