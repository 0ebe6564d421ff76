/**
 * H2 — the subscribe-after-check race. A subscriber that reads history, finds nothing newer and only
 * then attaches to live events loses whatever the task appended in between (terminal included) and
 * waits forever. The store here holds the "nothing newer" read open after taking its snapshot while
 * the task appends its remaining events and its terminal event; every subscriber must still get every
 * event and end (engine/subscription.ts and TaskEngine.poll attach before they read).
 */
import { isTerminalEvent, type TaskEvent } from '@taskbridge/protocol';
import type { TaskBridgeBackend, TaskHandler } from '@taskbridge/server-reference';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { testBackend, withEventStore } from '../support/backend-fixture';
import { Gates, settleWithin } from '../support/hazard-deferred';
import { createHoldingStore, type HoldingStore } from '../support/hazard-store';
import { idsOf, openSse, openWs, pollOnce, readLog, terminalLog } from '../support/hazard-streams';
import { startTestServer, type TestServer } from '../support/reference-server';

const HEARTBEAT_MS = 60_000;
const PROMPT_MS = 3_000;

let server: TestServer;
let backend: TaskBridgeBackend;
let store: HoldingStore;
let gates: Gates;
const cleanups: (() => void)[] = [];

/**
 * `stepped`: emits one progress event, then for each step `1..input.steps` waits for the gate
 * `<taskId>#<step>` and emits a message; completes after the last step.
 */
const stepped =
  (g: Gates): TaskHandler =>
  async (ctx) => {
    await ctx.progress(1, { stage: 'ready' });
    const steps = typeof ctx.input.steps === 'number' ? ctx.input.steps : 1;
    for (let step = 1; step <= steps; step++) {
      await g.wait(`${ctx.taskId}#${step}`);
      await ctx.message(`step ${step}`);
    }
    return { steps };
  };

beforeEach(async () => {
  gates = new Gates();
  backend = await testBackend();
  store = createHoldingStore(backend.events);
  server = await startTestServer({
    backend: withEventStore(backend, store),
    handlers: { stepped: stepped(gates) },
    heartbeatIntervalMs: { websocket: HEARTBEAT_MS, sse: HEARTBEAT_MS },
  });
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  await server.close();
  await backend.close();
});

/** A `stepped` task whose first progress event is stored; returns its id and log so far. */
async function startedTask(steps: number): Promise<{ taskId: string; log: TaskEvent[] }> {
  const taskId = await server.createTask('stepped', { steps });
  const log = await vi.waitFor(
    async () => {
      const events = await readLog(server.request, taskId);
      expect(events.map((e) => e.type)).toEqual(['TASK_STARTED', 'TASK_PROGRESS']);
      return events;
    },
    { timeout: PROMPT_MS },
  );
  return { taskId, log };
}

/** Runs the remaining steps (the terminal event included) and waits until it is all stored. */
async function finishWhileHeld(taskId: string, steps: number): Promise<TaskEvent[]> {
  for (let step = 1; step <= steps; step++) gates.open(`${taskId}#${step}`);
  return vi.waitFor(() => terminalLog(server.request, taskId), { timeout: PROMPT_MS });
}

const cursors = [
  { name: 'no cursor (replay from the start)', useCursor: false },
  { name: 'a cursor at the newest event', useCursor: true },
];

describe('H2: the task finishes between the history read and the live attach', () => {
  it.each(cursors)('SSE with $name gets every event and ends', async ({ useCursor }) => {
    const { taskId, log } = await startedTask(3);
    const cursor = useCursor ? log.at(-1)?.eventId : undefined;
    const held = store.holdNextEmptyRead(taskId);
    const sse = openSse(
      server.url,
      `/api/v1/tasks/${taskId}/events/stream`,
      cursor ? { lastEventId: cursor } : {},
    );
    cleanups.push(() => sse.close());
    await settleWithin(held.entered, PROMPT_MS, 'the held history read');
    const full = await finishWhileHeld(taskId, 3);
    held.release();

    await settleWithin(sse.done, PROMPT_MS, 'SSE end');
    const expected = useCursor ? full.slice(log.length) : full;
    expect(idsOf(sse.events)).toEqual(idsOf(expected));
    expect(sse.events.at(-1)?.type).toBe('TASK_COMPLETED');
  });

  it.each(cursors)('WebSocket with $name gets every event and closes 1000', async ({ useCursor }) => {
    const { taskId, log } = await startedTask(3);
    const cursor = useCursor ? (log.at(-1)?.eventId ?? null) : null;
    const held = store.holdNextEmptyRead(taskId);
    const ws = openWs(server.wsUrl, taskId, { lastEventId: cursor });
    cleanups.push(() => ws.close());
    await settleWithin(held.entered, PROMPT_MS, 'the held history read');
    const full = await finishWhileHeld(taskId, 3);
    held.release();

    expect(await settleWithin(ws.closed, PROMPT_MS, 'websocket close')).toBe(1000);
    const expected = useCursor ? full.slice(log.length) : full;
    expect(idsOf(ws.events)).toEqual(idsOf(expected));
  });
});

describe('H2: long poll (TaskEngine.poll attaches before it reads)', () => {
  it('an event appended while the empty read is held wakes the long poll at once', async () => {
    const { taskId, log } = await startedTask(2);
    const cursor = log.at(-1)?.eventId ?? null;
    const held = store.holdNextEmptyRead(taskId);
    const pending = pollOnce(server.request, taskId, { afterEventId: cursor, waitTimeoutMs: HEARTBEAT_MS });
    await settleWithin(held.entered, PROMPT_MS, 'the held history read');
    gates.open(`${taskId}#1`);
    await vi.waitFor(async () => expect(await readLog(server.request, taskId)).toHaveLength(log.length + 1), {
      timeout: PROMPT_MS,
    });
    held.release();

    // Without the early attach the poll would sleep the whole 60 s wait.
    const page = await settleWithin(pending, PROMPT_MS, 'long poll');
    expect(page.events.map((e) => e.type)).toEqual(['TASK_MESSAGE']);
    gates.open(`${taskId}#2`);
  });

  it('a terminal event stored while the empty read is held is returned, not hidden behind a terminal status', async () => {
    const { taskId, log } = await startedTask(1);
    const cursor = log.at(-1)?.eventId ?? null;
    const held = store.holdNextEmptyRead(taskId);
    const pending = pollOnce(server.request, taskId, { afterEventId: cursor, waitTimeoutMs: HEARTBEAT_MS });
    await settleWithin(held.entered, PROMPT_MS, 'the held history read');
    const full = await finishWhileHeld(taskId, 1);
    held.release();

    const page = await settleWithin(pending, PROMPT_MS, 'long poll');
    // A response that says "terminal" with nothing newer tells the client it has seen everything;
    // here the message and the terminal event are newer than the cursor, so they must be in it.
    expect(page.taskStatus).toBe('COMPLETED');
    expect(idsOf(page.events)).toEqual(idsOf(full.slice(log.length)));
    expect(page.events.filter(isTerminalEvent)).toHaveLength(1);
  });
});
