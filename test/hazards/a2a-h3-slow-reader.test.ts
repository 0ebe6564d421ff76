/**
 * H3 in the A2A bridge — a slow stream reader must neither stall the task nor make the server buffer
 * without bound. One SendStreamingMessage reader stops reading while two SubscribeToTask readers keep
 * up: the task finishes on time, the fast readers get every chunk, the slow response never holds more
 * than about one event beyond its socket buffer (the stream waits for `drain`; its engine
 * subscription's queue is bounded and cut on overflow), and when the slow reader reads again it gets
 * a clear error and recovers the whole output with GetTask.
 */
import type { ServerResponse } from 'node:http';
import type { ServerExtension, TaskHandler, TaskYield } from '@taskbridge/server-reference';
import { a2aBridge } from '@taskbridge/server-reference/a2a';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { collect, createA2AClient, lastState, outputChunks, TaskState } from '../support/a2a-client';
import { lastStateOf, openRawA2A, startParams } from '../support/a2a-raw';
import { Gates, settleWithin } from '../support/hazard-deferred';
import { expectFinished, readLog, terminalLog } from '../support/hazard-streams';
import { startTestServer, type TestServer } from '../support/reference-server';

const EVENTS = 3000;
// ~12 MB in all: well beyond what loopback socket buffers absorb (~4 MB measured), so the stalled
// reader really falls behind instead of being buffered by the kernel.
const PAYLOAD_BYTES = 4000;
/** What a waiting stream may hold beyond its socket: the 16 KiB high-water mark plus an event or two. */
const MAX_BUFFERED_BYTES = 256 * 1024;
const MAX_QUEUED = 500;

/** Records, per A2A response, the most bytes it ever held in its own buffer. */
const peaks = new Map<ServerResponse, number>();
const recorder: ServerExtension = {
  name: 'buffer-recorder',
  mount(app) {
    app.use('/a2a', (_req, res, next) => {
      peaks.set(res, 0);
      const write = res.write.bind(res) as (...args: unknown[]) => boolean;
      res.write = ((...args: unknown[]) => {
        const accepted = write(...args);
        peaks.set(res, Math.max(peaks.get(res) ?? 0, res.writableLength));
        return accepted;
      }) as typeof res.write;
      next();
    });
  },
};

const gates = new Gates();

/**
 * `burst`: waits for the gate `<taskId>`, then emits `EVENTS` messages of `PAYLOAD_BYTES`, pausing 1 ms
 * every 10 (a pace the fast readers keep up with; the stalled one reads nothing).
 */
const burst: TaskHandler = async function* (ctx): AsyncGenerator<TaskYield, unknown, undefined> {
  await gates.wait(ctx.taskId);
  for (let i = 0; i < EVENTS; i++) {
    if (i % 10 === 0) await ctx.sleep(1);
    yield { type: 'message', message: `${i} `.padEnd(PAYLOAD_BYTES, 'x') };
  }
  return { count: EVENTS };
};

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({
    maxQueuedEventsPerSubscriber: MAX_QUEUED,
    handlers: { burst },
    extensions: [recorder, a2aBridge()],
  });
});

afterAll(async () => {
  await server.close();
});

describe('H3: a stalled A2A reader beside fast ones', () => {
  it('the task finishes, fast readers get everything, the slow response stays bounded and recovers', async () => {
    const slow = openRawA2A(server.url, 'SendStreamingMessage', startParams('burst', {}));
    const head = await slow.response;
    expect(head.statusCode).toBe(200);
    const slowResponse = await vi.waitFor(() => {
      const [res] = peaks.keys();
      if (!res) throw new Error('no A2A response yet');
      return res;
    });
    const taskId = await vi.waitFor(() => {
      const task = slow.frames[0]?.data.result?.task as { id?: string } | undefined;
      if (!task?.id) throw new Error('no task frame yet');
      return task.id;
    });
    // From here on the slow reader reads nothing.
    slow.pause();
    const fast = await Promise.all([0, 1].map(async () => (await createA2AClient(server.url, '1.0')).client));
    const streams = fast.map((client) => collect(client.resubscribeTask({ tenant: '', id: taskId })));
    // Every reader is attached (the engine counts their subscriptions) before the burst starts.
    await vi.waitFor(() => expect(server.server.engine.subscriptionCount).toBe(3));
    gates.open(taskId);
    // The task ends while the stalled reader still reads nothing: the producer never waits for it.
    await vi.waitFor(() => expectFinished(server.request, taskId), { timeout: 60_000, interval: 50 });
    const log = await terminalLog(server.request, taskId);
    const messages = log.flatMap((e) => (e.type === 'TASK_MESSAGE' ? [e.payload.message] : []));
    expect(messages).toHaveLength(EVENTS);
    for (const responses of await Promise.all(streams)) {
      expect(outputChunks(responses)).toEqual(messages);
      expect(lastState(responses)).toBe(TaskState.TASK_STATE_COMPLETED);
    }
    // The slow reader has not read on; its response held no more than about one event at any time.
    expect(slow.bytes()).toBeLessThan(EVENTS * PAYLOAD_BYTES);
    expect(peaks.get(slowResponse)).toBeLessThan(MAX_BUFFERED_BYTES);
    // No subscription is left behind (the slow one was cut at its bound).
    await vi.waitFor(() => expect(server.server.engine.subscriptionCount).toBe(0));

    // Reading again: what was buffered, then a clear error; the whole output is still there.
    slow.resume();
    await slow.ended;
    const error = slow.frames.at(-1);
    expect(error?.event).toBe('error');
    expect(error?.data.error?.message).toMatch(/fell more than 500 events behind/);
    const recovered = await fast[0]!.getTask({ tenant: '', id: taskId });
    expect(outputChunks([{ payload: { $case: 'task', value: recovered } }])).toEqual(messages);
    expect(await readLog(server.request, taskId)).toHaveLength(log.length);
  }, 90_000);

  it('a reader stalled longer than stallTimeoutMs is cut off: its subscription and socket are released', async () => {
    const strict = await startTestServer({
      maxQueuedEventsPerSubscriber: 1_000_000,
      handlers: { burst },
      extensions: [a2aBridge({ stallTimeoutMs: 300 })],
    });
    try {
      const slow = openRawA2A(strict.url, 'SendStreamingMessage', startParams('burst', {}));
      const taskId = await vi.waitFor(() => {
        const task = slow.frames[0]?.data.result?.task as { id?: string } | undefined;
        if (!task?.id) throw new Error('no task frame yet');
        return task.id;
      });
      slow.pause();
      gates.open(taskId);
      // The queue bound is out of reach here: only the stall timeout can end this stream.
      await vi.waitFor(() => expect(strict.server.engine.subscriptionCount).toBe(0), { timeout: 10_000 });
      await vi.waitFor(() => expectFinished(strict.request, taskId), { timeout: 60_000, interval: 50 });
      // Reading again finds what was sent before the cut, then the end: no terminal state (resubscribe).
      slow.resume();
      await settleWithin(slow.ended, 5000, 'the cut-off response');
      expect(lastStateOf(slow.frames)).not.toBe('TASK_STATE_COMPLETED');
      expect(slow.bytes()).toBeLessThan(EVENTS * PAYLOAD_BYTES);
    } finally {
      await strict.close();
    }
  }, 90_000);
});
