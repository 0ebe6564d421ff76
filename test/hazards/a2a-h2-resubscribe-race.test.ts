/**
 * H2 in the A2A bridge — the subscribe-after-check race on SubscribeToTask. A resubscriber that reads
 * the task's snapshot and only then attaches to live events loses what the task emits in between (its
 * end included) and either waits forever or ends on a stale snapshot. The store here holds the
 * "nothing newer" history read open while the task moves on: the A2A subscriber must still receive
 * every chunk exactly once and end with the task. (The SDK's own `resubscribe` reads the snapshot
 * from its task store and attaches to an in-memory bus: the bridge streams the snapshot and the live
 * updates from one engine subscription instead.)
 */
import type { TaskBridgeBackend, TaskHandler } from '@taskbridge/server-reference';
import { a2aBridge } from '@taskbridge/server-reference/a2a';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type A2AWire,
  collect,
  createA2AClient,
  lastState,
  outputChunks,
  TaskState,
} from '../support/a2a-client';
import { testBackend, withEventStore } from '../support/backend-fixture';
import { Gates, settleWithin } from '../support/hazard-deferred';
import { createHoldingStore, type HoldingStore } from '../support/hazard-store';
import { readLog, terminalLog } from '../support/hazard-streams';
import { startTestServer, type TestServer } from '../support/reference-server';

const PROMPT_MS = 3000;
const gates = new Gates();

/** `stepped`: a progress event, then per step `1..input.steps` waits for `<taskId>#<step>` and emits `step N`. */
const stepped: TaskHandler = async (ctx) => {
  await ctx.progress(1, { stage: 'ready' });
  const steps = typeof ctx.input.steps === 'number' ? ctx.input.steps : 1;
  for (let step = 1; step <= steps; step++) {
    await gates.wait(`${ctx.taskId}#${step}`);
    await ctx.message(`step ${step}`);
  }
  return { steps };
};

let server: TestServer;
let store: HoldingStore;
let backend: TaskBridgeBackend;

beforeAll(async () => {
  backend = await testBackend();
  store = createHoldingStore(backend.events);
  server = await startTestServer({
    backend: withEventStore(backend, store),
    handlers: { stepped },
    extensions: [a2aBridge()],
  });
});

afterAll(async () => {
  await server.close();
  await backend.close();
});

async function startedTask(steps: number): Promise<string> {
  const taskId = await server.createTask('stepped', { steps });
  await vi.waitFor(async () =>
    expect((await readLog(server.request, taskId)).map((e) => e.type)).toEqual([
      'TASK_STARTED',
      'TASK_PROGRESS',
    ]),
  );
  return taskId;
}

async function openSteps(taskId: string, from: number, to: number): Promise<void> {
  for (let step = from; step <= to; step++) gates.open(`${taskId}#${step}`);
  await vi.waitFor(async () => {
    const messages = (await readLog(server.request, taskId)).filter((e) => e.type === 'TASK_MESSAGE');
    expect(messages).toHaveLength(to);
  });
}

/**
 * Waits until the held read is entered (the race window is open) — or until the stream is already
 * over, which only a subscriber that never reads history again can do; the assertions then show what
 * it missed. Resolves `true` when the window opened.
 */
async function windowOpened(entered: Promise<void>, stream: Promise<unknown>): Promise<boolean> {
  const opened = await Promise.race([
    entered.then(() => true),
    stream.then(
      () => false,
      () => false,
    ),
  ]);
  return opened;
}

describe.each<A2AWire>(['1.0', '0.3'])('H2: SubscribeToTask (%s) while the history read is held', (wire) => {
  it('the task finishes inside the window: every chunk once, then the end', async () => {
    const { client } = await createA2AClient(server.url, wire);
    const taskId = await startedTask(3);
    const held = store.holdNextEmptyRead(taskId);
    const stream = collect(client.resubscribeTask({ tenant: '', id: taskId }));
    const entered = await windowOpened(held.entered, stream);
    await openSteps(taskId, 1, 3);
    await vi.waitFor(() => terminalLog(server.request, taskId));
    held.release();
    const responses = await settleWithin(stream, PROMPT_MS, 'the A2A stream');
    expect(outputChunks(responses)).toEqual(['step 1', 'step 2', 'step 3']);
    expect(lastState(responses)).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(entered).toBe(true);
  });

  it('the task moves on inside the window and later ends: snapshot, then live, no gap, no repeat', async () => {
    const { client } = await createA2AClient(server.url, wire);
    const taskId = await startedTask(4);
    const held = store.holdNextEmptyRead(taskId);
    const stream = collect(client.resubscribeTask({ tenant: '', id: taskId }));
    const entered = await windowOpened(held.entered, stream);
    await openSteps(taskId, 1, 2);
    held.release();
    await openSteps(taskId, 3, 4);
    const responses = await settleWithin(stream, PROMPT_MS, 'the A2A stream');
    expect(outputChunks(responses)).toEqual(['step 1', 'step 2', 'step 3', 'step 4']);
    expect(lastState(responses)).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(entered).toBe(true);
  });
});
