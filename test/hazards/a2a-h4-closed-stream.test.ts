/**
 * H4 in the A2A bridge — a subscriber leaving during delivery. An A2A stream whose reader goes away
 * (mid-delivery, or while the task is idle) must release its engine subscription at once and never be
 * written to again, while the other A2A streams and TaskBridge subscribers of the same task carry on
 * with every event and the task itself sees no error.
 */
import type { ServerResponse } from 'node:http';
import type { ServerExtension, TaskHandler } from '@taskbridge/server-reference';
import { a2aBridge } from '@taskbridge/server-reference/a2a';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  collect,
  createA2AClient,
  lastState,
  outputChunks,
  startRequest,
  TaskState,
} from '../support/a2a-client';
import { openRawA2A } from '../support/a2a-raw';
import { Gates, settleWithin } from '../support/hazard-deferred';
import { openSse, terminalLog } from '../support/hazard-streams';
import { startTestServer, type TestServer } from '../support/reference-server';

const PROMPT_MS = 2000;
const STREAM_HEADER = 'x-test-stream';

/** Per tagged A2A response: whether it closed, and how many writes it got after closing. */
const tagged = new Map<string, { res: ServerResponse; closed: boolean; writesAfterClose: number }>();
const recorder: ServerExtension = {
  name: 'close-recorder',
  mount(app) {
    app.use('/a2a', (req, res, next) => {
      const tag = req.get(STREAM_HEADER);
      if (tag) {
        const record = { res, closed: false, writesAfterClose: 0 };
        tagged.set(tag, record);
        res.on('close', () => (record.closed = true));
        const write = res.write.bind(res) as (...args: unknown[]) => boolean;
        res.write = ((...args: unknown[]) => {
          if (record.closed) record.writesAfterClose += 1;
          return write(...args);
        }) as typeof res.write;
      }
      next();
    });
  },
};

const gates = new Gates();
/** `paced`: `input.count` messages 10 ms apart; waits for the gate `<taskId>` first when `input.gated`. */
const paced: TaskHandler = async (ctx) => {
  if (ctx.input.gated === true) await gates.wait(ctx.taskId);
  const count = typeof ctx.input.count === 'number' ? ctx.input.count : 10;
  for (let i = 0; i < count; i++) {
    await ctx.sleep(10);
    await ctx.message(`m${i}`);
  }
  return { count };
};

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ handlers: { paced }, extensions: [recorder, a2aBridge()] });
});

afterAll(async () => {
  await server.close();
});

const expected = (count: number) => Array.from({ length: count }, (_, i) => `m${i}`);

describe('H4: an A2A reader leaves while others stay', () => {
  it('mid-delivery: the leaver is never written to again; the others get every event; the task is unaffected', async () => {
    const { client } = await createA2AClient(server.url, '1.0');
    const created = nextTaskId();
    const first = collect(client.sendMessageStream(startRequest('paced', { count: 120 })));
    const taskId = await settleWithin(created, PROMPT_MS, 'the task');
    const other = collect(client.resubscribeTask({ tenant: '', id: taskId }));
    const sse = openSse(server.url, `/api/v1/tasks/${taskId}/events/stream`);
    // The leaver aborts from inside its own delivery loop, after 20 chunks.
    const leaving = new AbortController();
    const seen: unknown[] = [];
    const leaver = (async () => {
      try {
        for await (const response of client.resubscribeTask(
          { tenant: '', id: taskId },
          { signal: leaving.signal, serviceParameters: { [STREAM_HEADER]: 'leaver' } },
        )) {
          seen.push(response);
          if (outputChunks(seen as never).length >= 20) leaving.abort();
        }
      } catch {
        // The abort ends the leaver's loop.
      }
    })();
    await leaver;
    const record = await vi.waitFor(() => {
      const r = tagged.get('leaver');
      if (!r?.closed) throw new Error('leaver response not closed yet');
      return r;
    });
    const log = await vi.waitFor(() => terminalLog(server.request, taskId), { timeout: 10_000 });
    expect(log.at(-1)?.type).toBe('TASK_COMPLETED');
    for (const responses of [await first, await other]) {
      expect(outputChunks(responses)).toEqual(expected(120));
      expect(lastState(responses)).toBe(TaskState.TASK_STATE_COMPLETED);
    }
    await settleWithin(sse.done, PROMPT_MS, 'TaskBridge SSE end');
    expect(sse.events.map((e) => e.eventId)).toEqual(log.map((e) => e.eventId));
    expect(record.writesAfterClose).toBe(0);
  });

  it("while idle: the leaver's engine subscription is released at once, not at the task's end", async () => {
    const taskId = await server.createTask('paced', { gated: true, count: 5 });
    const before = server.server.engine.subscriptionCount;
    const stay = openRawA2A(server.url, 'SubscribeToTask', { id: taskId });
    const leave = openRawA2A(server.url, 'SubscribeToTask', { id: taskId });
    await vi.waitFor(() => expect(stay.frames.length + leave.frames.length).toBe(2));
    expect(server.server.engine.subscriptionCount).toBe(before + 2);
    leave.destroy();
    // Nothing happens on the task meanwhile: only the close can release the subscription.
    await vi.waitFor(() => expect(server.server.engine.subscriptionCount).toBe(before + 1), {
      timeout: PROMPT_MS,
    });
    gates.open(taskId);
    await stay.ended;
    const chunks = stay.frames.flatMap((f) => {
      const update = f.data.result?.artifactUpdate as
        { artifact?: { artifactId?: string; parts?: { text?: string }[] } } | undefined;
      if (update?.artifact?.artifactId !== 'output') return [];
      return update.artifact.parts?.map((p) => p.text ?? '') ?? [];
    });
    expect(chunks).toEqual(expected(5));
    expect((await terminalLog(server.request, taskId)).at(-1)?.type).toBe('TASK_COMPLETED');
  });
});

/** Resolves with the id of the next task the engine creates. */
function nextTaskId(): Promise<string> {
  return new Promise((resolve) => {
    const stop = server.server.engine.onTaskCreated((taskId) => {
      stop();
      resolve(taskId);
    });
  });
}
