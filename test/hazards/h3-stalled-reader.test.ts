/**
 * H3 — the subscriber budget, over real sockets. A reader that stops reading must be disconnected
 * within its drain budget *while it is still not reading* (before the fix the session waited forever
 * on a write that never drained: the connection, its queue and its unsent bytes stayed), while the
 * running task and a fast reader go on; it then resumes from its last eventId and loses nothing.
 * A reader that catches up after a pause gets its backlog in bounded writes (before the fix: one
 * write with the whole backlog). `close()` has a deadline a stalled reader cannot extend (before the
 * fix: 30 s with one WebSocket not reading).
 */
import { ServerResponse } from 'node:http';
import { isTerminalEvent } from '@taskbridge/protocol';
import type { LogEntry, TaskContext, TaskHandler } from '@taskbridge/server-reference';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Gates, settleWithin } from '../support/hazard-deferred';
import { idsOf, openSse, openWs, pollOnce, readLog } from '../support/hazard-streams';
import { startTestServer, type TestServer } from '../support/reference-server';

// ~16 MB: well past what loopback socket buffers (kernel send + receive) absorb, so a reader that
// stops reading really leaves the server with bytes it cannot send.
const COUNT = 4_000;
const PAYLOAD = 'x'.repeat(4_000);
const DRAIN_TIMEOUT_MS = 400;
const MAX_BUFFERED_BYTES = 64 * 1024;
// Generous: the budget is 400 ms; without the fix the reader is never dropped at all.
const DROPPED_WITHIN_MS = 10_000;
const TEST_TIMEOUT_MS = 60_000;

const gates = new Gates();
const alice = { subject: 'alice', scopes: [], attributes: {} };

/** Emits COUNT messages as fast as the store takes them, then waits for its gate and completes. */
const burst: TaskHandler = async (ctx: TaskContext) => {
  const count = Number(ctx.input.count ?? COUNT);
  for (let i = 1; i <= count; i++) await ctx.message(`${i} ${PAYLOAD}`);
  await gates.wait(ctx.taskId);
  return { count };
};

let server: TestServer | undefined;
const logs: LogEntry[] = [];
const cleanups: (() => void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  vi.restoreAllMocks();
  await server?.close();
  server = undefined;
  logs.length = 0;
});

async function start(drainTimeoutMs = DRAIN_TIMEOUT_MS): Promise<TestServer> {
  server = await startTestServer({
    handlers: { burst },
    heartbeatIntervalMs: { websocket: 60_000, sse: 60_000 },
    subscriberBudget: { drainTimeoutMs, maxBufferedBytes: MAX_BUFFERED_BYTES },
    logger: (entry) => logs.push(entry),
  });
  return server;
}

/** Created through the engine facade: no HTTP keep-alive connection is left to count. */
async function createBurst(ts: TestServer, count = COUNT): Promise<string> {
  const { response } = await ts.server.engine.createTask(alice, {
    clientRequestId: `burst-${Date.now()}-${Math.random()}`,
    taskType: 'burst',
    input: { count },
  });
  return response.taskId;
}

function openConnections(ts: TestServer): Promise<number> {
  return new Promise((resolve, reject) =>
    ts.server.server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
  );
}

/** Waits until the server holds no connection and no subscription (the paused reader was dropped). */
async function expectDropped(ts: TestServer): Promise<void> {
  await vi.waitFor(
    async () => {
      expect(ts.server.engine.subscriptionCount).toBe(0);
      expect(await openConnections(ts)).toBe(0);
    },
    { timeout: DROPPED_WITHIN_MS, interval: 20 },
  );
}

const stalledWarnings = () => logs.filter((e) => e.msg.startsWith('subscriber did not drain'));

describe('H3: a reader that stops reading is dropped within its budget', () => {
  it(
    'WebSocket: dropped while still paused, the task and a fast reader go on, resume loses nothing',
    async () => {
      const ts = await start();
      const taskId = await createBurst(ts);
      const slow = openWs(ts.wsUrl, taskId);
      cleanups.push(() => slow.close());
      await settleWithin(slow.acked, 5_000, 'ack');
      slow.pause();

      await expectDropped(ts);
      expect(stalledWarnings()).toEqual([
        expect.objectContaining({ level: 'warn', transport: 'websocket', taskId }),
      ]);
      // The task is still running, and a reader that reads gets everything.
      const fast = openWs(ts.wsUrl, taskId);
      cleanups.push(() => fast.close());
      await vi.waitFor(() => expect(fast.events).toHaveLength(COUNT + 1), { timeout: 20_000 });
      gates.open(taskId);
      expect(await settleWithin(fast.closed, 5_000, 'fast close')).toBe(1000);
      const log = await readLog(ts.request, taskId);
      expect(idsOf(fast.events)).toEqual(idsOf(log));

      slow.resume();
      const code = await settleWithin(slow.closed, 5_000, 'slow close');
      expect([1006, 1013]).toContain(code);
      const before = [...slow.events];
      expect(before.length).toBeLessThan(log.length);
      expect(idsOf(before)).toEqual(idsOf(log.slice(0, before.length)));
      const resumed = openWs(ts.wsUrl, taskId, { lastEventId: before.at(-1)?.eventId ?? null });
      cleanups.push(() => resumed.close());
      expect(await settleWithin(resumed.closed, 10_000, 'resumed close')).toBe(1000);
      expect(idsOf([...before, ...resumed.events])).toEqual(idsOf(log));
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'SSE: the response is ended while the reader is still paused, resume loses nothing',
    async () => {
      const ts = await start();
      const taskId = await createBurst(ts);
      const path = `/api/v1/tasks/${taskId}/events/stream`;
      const slow = openSse(ts.url, path, { paused: true });
      cleanups.push(() => slow.close());
      expect(await slow.opened).toBe(200);

      await expectDropped(ts);
      expect(stalledWarnings()).toEqual([expect.objectContaining({ transport: 'sse', taskId })]);
      const fast = openSse(ts.url, path);
      cleanups.push(() => fast.close());
      await vi.waitFor(() => expect(fast.events).toHaveLength(COUNT + 1), { timeout: 20_000 });
      gates.open(taskId);
      await settleWithin(fast.done, 5_000, 'fast end');
      const log = await readLog(ts.request, taskId);
      expect(idsOf(fast.events)).toEqual(idsOf(log));

      slow.resume();
      await settleWithin(slow.done, 5_000, 'slow end');
      const before = [...slow.events];
      expect(before.length).toBeLessThan(log.length);
      expect(idsOf(before)).toEqual(idsOf(log.slice(0, before.length)));
      const resumed = openSse(ts.url, path, { lastEventId: before.at(-1)?.eventId ?? '' });
      cleanups.push(() => resumed.close());
      await settleWithin(resumed.done, 10_000, 'resumed end');
      expect(idsOf([...before, ...resumed.events])).toEqual(idsOf(log));
      expect([...before, ...resumed.events].filter(isTerminalEvent)).toHaveLength(1);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a stalled reader at the end of the stream is dropped too (the last bytes and the close cannot wait forever)',
    async () => {
      const ts = await start();
      const taskId = await createBurst(ts, 2_000);
      gates.open(taskId);
      const ws = openWs(ts.wsUrl, taskId);
      const sse = openSse(ts.url, `/api/v1/tasks/${taskId}/events/stream`, { paused: true });
      cleanups.push(
        () => ws.close(),
        () => sse.close(),
      );
      await settleWithin(ws.acked, 5_000, 'ack');
      ws.pause();
      await expectDropped(ts);
    },
    TEST_TIMEOUT_MS,
  );
});

describe('H3: an SSE reader catching up after a pause', () => {
  it(
    'gets its backlog in writes of at most 64 KiB (plus one event), then every event once',
    async () => {
      // A budget longer than the pause: this reader is slow, not gone.
      const ts = await start(60_000);
      const taskId = await createBurst(ts, 3_000);
      const path = `/api/v1/tasks/${taskId}/events/stream`;
      const reader = openSse(ts.url, path, { paused: true });
      cleanups.push(() => reader.close());
      expect(await reader.opened).toBe(200);
      // The whole task is stored (3,000 × 4 KB) while the reader reads nothing.
      // Counted page by page from a cursor: re-reading 12 MB per check would slow the server under test.
      const stored = { count: 0, cursor: null as string | null };
      await vi.waitFor(
        async () => {
          const page = await pollOnce(ts.request, taskId, { afterEventId: stored.cursor });
          stored.count += page.events.length;
          stored.cursor = page.events.at(-1)?.eventId ?? stored.cursor;
          expect(stored.count).toBe(3_001);
        },
        { timeout: 40_000, interval: 50 },
      );
      const sizes: number[] = [];
      const write = ServerResponse.prototype.write;
      vi.spyOn(ServerResponse.prototype, 'write').mockImplementation(function (
        this: ServerResponse,
        chunk: unknown,
        ...rest: unknown[]
      ) {
        if (typeof chunk === 'string') sizes.push(chunk.length);
        return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
      });
      reader.resume();
      await vi.waitFor(() => expect(reader.events).toHaveLength(3_001), { timeout: 20_000 });
      gates.open(taskId);
      await settleWithin(reader.done, 5_000, 'end');
      expect(idsOf(reader.events)).toEqual(idsOf(await readLog(ts.request, taskId)));
      expect(sizes.length).toBeGreaterThan(0);
      const frame = 4_100;
      expect(Math.max(...sizes)).toBeLessThanOrEqual(64 * 1024 + frame);
    },
    TEST_TIMEOUT_MS,
  );
});

describe('shutdown deadline', () => {
  it(
    'close() ends within shutdownTimeoutMs though a WebSocket and an SSE reader stopped reading',
    async () => {
      server = await startTestServer({
        handlers: { burst },
        shutdownTimeoutMs: 500,
        heartbeatIntervalMs: { websocket: 60_000, sse: 60_000 },
      });
      const ts = server;
      const taskId = await createBurst(ts, 1);
      const ws = openWs(ts.wsUrl, taskId);
      const sse = openSse(ts.url, `/api/v1/tasks/${taskId}/events/stream`);
      cleanups.push(
        () => ws.close(),
        () => sse.close(),
        () => gates.open(taskId),
      );
      await settleWithin(ws.acked, 5_000, 'ack');
      expect(await sse.opened).toBe(200);
      ws.pause();
      sse.pause();
      // Before the fix: 30 s (the `ws` close handshake timeout). The deadline is 500 ms.
      await settleWithin(ts.close(), 5_000, 'close()');
      server = undefined;
      expect(await openConnections(ts)).toBe(0);
    },
    TEST_TIMEOUT_MS,
  );
});
