/**
 * H3 — blocking emit / unbounded buffer. One subscriber stops reading while a `ticker` streams
 * thousands of ~1 KB events. The task must finish without waiting for it, the fast subscribers must
 * get everything, the stalled one must be cut off once it is `maxQueuedEventsPerSubscriber` behind
 * (WebSocket close 1013 / SSE response end) rather than queue without bound, and resuming from its
 * last eventId must give it every remaining event exactly once.
 */
import { isTerminalEvent, type TaskEvent } from '@taskbridge/protocol';
import type { TaskBridgeBackend } from '@taskbridge/server-reference';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { settleWithin } from '../support/hazard-deferred';
import { testBackend, withEventStore } from '../support/backend-fixture';
import { createObservedStore, type ObservedStore } from '../support/hazard-store';
import {
  idsOf,
  openSse,
  openWs,
  type SseReader,
  terminalLog,
  type WsReader,
} from '../support/hazard-streams';
import { startTestServer, type TestServer } from '../support/reference-server';

const QUEUE_LIMIT = 200;
const COUNT = 2_500;
// ~10 MB in all: several times what loopback socket buffers (kernel + the server's 1 MiB high-water
// mark) absorb, so the stalled subscriber really falls behind instead of being buffered by the OS.
const PAYLOAD_BYTES = 4_000;
// The ticker sleeps 1 ms per event, so the whole run takes a few seconds.
const TASK_TIMEOUT_MS = 30_000;
const TEST_TIMEOUT_MS = 45_000;
const PROMPT_MS = 5_000;

let server: TestServer;
let backend: TaskBridgeBackend;
let store: ObservedStore;
const cleanups: (() => void)[] = [];

beforeEach(async () => {
  backend = await testBackend();
  store = createObservedStore(backend.events);
  server = await startTestServer({
    backend: withEventStore(backend, store),
    maxQueuedEventsPerSubscriber: QUEUE_LIMIT,
    heartbeatIntervalMs: { websocket: 60_000, sse: 60_000 },
    // The queue bound on its own: a drain budget longer than the test, so the stalled reader is cut
    // off by the overflow once it reads again (h3-stalled-reader.test.ts covers the budget).
    subscriberBudget: { drainTimeoutMs: 120_000 },
  });
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  await server.close();
  await backend.close();
});

const streamPath = (taskId: string) => `/api/v1/tasks/${taskId}/events/stream`;

/** Opens one fast WebSocket and one fast SSE subscriber. */
async function fastSubscribers(taskId: string): Promise<{ ws: WsReader; sse: SseReader }> {
  const ws = openWs(server.wsUrl, taskId);
  const sse = openSse(server.url, streamPath(taskId));
  cleanups.push(
    () => ws.close(),
    () => sse.close(),
  );
  await settleWithin(ws.acked, PROMPT_MS, 'fast websocket ack');
  expect(await sse.opened).toBe(200);
  return { ws, sse };
}

/**
 * Waits until the task's terminal event is stored and returns the whole log. The fast WebSocket
 * closes right after the terminal event; reading the 10 MB log once after that, instead of polling
 * it, keeps the server free for the stream under test.
 */
async function finishedLog(taskId: string, fast: { ws: WsReader }): Promise<TaskEvent[]> {
  await settleWithin(fast.ws.closed, TASK_TIMEOUT_MS, 'fast websocket close');
  const log = await terminalLog(server.request, taskId);
  expect(log).toHaveLength(COUNT + 2);
  return log;
}

/**
 * The stalled subscriber's server-side footprint stayed bounded: of the events handed to its live
 * listener, at most the queue limit (plus the one that overflowed it) were never sent, and it was
 * detached before the task ended.
 */
function expectBoundedQueue(
  listenerIndex: number,
  received: readonly TaskEvent[],
  log: readonly TaskEvent[],
) {
  const record = store.listeners[listenerIndex];
  expect(record?.unsubscribed).toBe(true);
  expect(record?.appendsWhileAttached).toBeLessThan(log.length);
  const sent = new Set(idsOf(received));
  const queuedNotSent = new Set(idsOf(record?.delivered ?? []).filter((id) => !sent.has(id)));
  expect(queuedNotSent.size).toBeLessThanOrEqual(QUEUE_LIMIT + 1);
}

/** Fast subscribers end with the complete log. */
async function expectFastComplete(fast: { ws: WsReader; sse: SseReader }, log: readonly TaskEvent[]) {
  expect(await settleWithin(fast.ws.closed, PROMPT_MS, 'fast websocket close')).toBe(1000);
  await settleWithin(fast.sse.done, PROMPT_MS, 'fast SSE end');
  expect(idsOf(fast.ws.events)).toEqual(idsOf(log));
  expect(idsOf(fast.sse.events)).toEqual(idsOf(log));
}

describe('H3: a stalled subscriber neither blocks the task nor grows without bound', () => {
  it(
    'over WebSocket: cut off with 1013, then resumes from its last eventId',
    async () => {
      const taskId = await server.createTask('ticker', {
        count: COUNT,
        intervalMs: 1,
        payloadBytes: PAYLOAD_BYTES,
      });
      const slow = openWs(server.wsUrl, taskId);
      cleanups.push(() => slow.close());
      await settleWithin(slow.acked, PROMPT_MS, 'slow websocket ack');
      slow.pause();
      const slowListener = store.listeners.length - 1;
      const fast = await fastSubscribers(taskId);

      // The terminal event is stored while the slow client still reads nothing.
      const log = await finishedLog(taskId, fast);
      expect(slow.closeCode).toBeUndefined();
      await expectFastComplete(fast, log);

      slow.resume();
      expect(await settleWithin(slow.closed, PROMPT_MS, 'slow websocket close')).toBe(1013);
      const before = [...slow.events];
      expect(before.length).toBeLessThan(log.length);
      expect(idsOf(before)).toEqual(idsOf(log.slice(0, before.length)));
      expectBoundedQueue(slowListener, before, log);

      const resumed = openWs(server.wsUrl, taskId, { lastEventId: before.at(-1)?.eventId ?? null });
      cleanups.push(() => resumed.close());
      expect(await settleWithin(resumed.closed, PROMPT_MS, 'resumed websocket close')).toBe(1000);
      expect(idsOf([...before, ...resumed.events])).toEqual(idsOf(log));
      expect([...before, ...resumed.events].filter(isTerminalEvent)).toHaveLength(1);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'over SSE: the response ends, then resumes with Last-Event-ID',
    async () => {
      const taskId = await server.createTask('ticker', {
        count: COUNT,
        intervalMs: 1,
        payloadBytes: PAYLOAD_BYTES,
      });
      const slow = openSse(server.url, streamPath(taskId), { paused: true });
      cleanups.push(() => slow.close());
      expect(await slow.opened).toBe(200);
      const slowListener = store.listeners.length - 1;
      const fast = await fastSubscribers(taskId);

      const log = await finishedLog(taskId, fast);
      expect(slow.ended).toBe(false);
      await expectFastComplete(fast, log);

      slow.resume();
      await settleWithin(slow.done, PROMPT_MS, 'slow SSE end');
      const before = [...slow.events];
      expect(before.length).toBeLessThan(log.length);
      expect(idsOf(before)).toEqual(idsOf(log.slice(0, before.length)));
      expectBoundedQueue(slowListener, before, log);

      const resumed = openSse(server.url, streamPath(taskId), { lastEventId: before.at(-1)?.eventId ?? '' });
      cleanups.push(() => resumed.close());
      await settleWithin(resumed.done, PROMPT_MS, 'resumed SSE end');
      expect(idsOf([...before, ...resumed.events])).toEqual(idsOf(log));
      expect([...before, ...resumed.events].filter(isTerminalEvent)).toHaveLength(1);
    },
    TEST_TIMEOUT_MS,
  );
});
