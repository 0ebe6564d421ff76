/**
 * H1 — a stream never ends on success. Every server stream must end right after the terminal event,
 * whichever terminal it is (complete, fail, cancel) and whichever transport carries it: the SSE
 * response ends, the WebSocket closes with 1000, a long poll returns at once. Heartbeats are set to
 * 60 s so an idle-but-open stream cannot pass for an ended one.
 */
import { isTerminalEvent, type TaskEvent, type TerminalEventType } from '@taskbridge/protocol';
import { demoHandlers } from '@taskbridge/server-reference';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Gates, gatedHandler, settleWithin } from '../support/hazard-deferred';
import { idsOf, openSse, openWs, pollOnce, readLog, terminalLog } from '../support/hazard-streams';
import { startTestServer, type TestServer } from '../support/reference-server';

const HEARTBEAT_MS = 60_000;
// "Promptly": a small fraction of the heartbeat interval, so only an explicit end can pass.
const PROMPT_MS = 3_000;

type Terminal = 'complete' | 'fail' | 'cancel';
type Transport = 'sse' | 'websocket' | 'polling';

const TERMINAL_TYPE: Record<Terminal, TerminalEventType> = {
  complete: 'TASK_COMPLETED',
  fail: 'TASK_FAILED',
  cancel: 'TASK_CANCELLED',
};

let server: TestServer;
let gates: Gates;
const cleanups: (() => void)[] = [];

beforeEach(async () => {
  gates = new Gates();
  server = await startTestServer({
    handlers: { ...demoHandlers, gated: gatedHandler(gates) },
    heartbeatIntervalMs: { websocket: HEARTBEAT_MS, sse: HEARTBEAT_MS },
  });
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  await server.close();
});

const streamPath = (taskId: string) => `/api/v1/tasks/${taskId}/events/stream`;

async function cancel(taskId: string): Promise<void> {
  const res = await server.request(`/api/v1/tasks/${taskId}/cancel`, {
    method: 'POST',
    subject: 'alice',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ reason: 'h1' }),
  });
  expect(res.status).toBe(202);
}

/**
 * Starts a task that is still running once a subscriber is attached, and returns the function that
 * makes it reach the wanted terminal event. Cancel uses a slow `ticker` and the cancel route.
 */
async function runningTask(terminal: Terminal): Promise<{ taskId: string; finish: () => Promise<void> }> {
  if (terminal === 'cancel') {
    const taskId = await server.createTask('ticker', { count: 100_000, intervalMs: 20 });
    return { taskId, finish: () => cancel(taskId) };
  }
  const taskId = await server.createTask('gated', { outcome: terminal });
  return {
    taskId,
    finish: async () => {
      gates.open(taskId);
    },
  };
}

/** A task that already has its terminal event: `greet`, `fail`, or a cancelled `ticker`. */
async function finishedTask(terminal: Terminal): Promise<{ taskId: string; log: TaskEvent[] }> {
  let taskId: string;
  if (terminal === 'cancel') {
    taskId = await server.createTask('ticker', { count: 100_000, intervalMs: 20 });
    await cancel(taskId);
  } else {
    taskId = await server.createTask(terminal === 'complete' ? 'greet' : 'fail');
  }
  const log = await vi.waitFor(() => terminalLog(server.request, taskId), { timeout: PROMPT_MS });
  return { taskId, log };
}

function expectEndsWith(events: readonly TaskEvent[], terminal: Terminal): void {
  const last = events.at(-1);
  expect(last?.type).toBe(TERMINAL_TYPE[terminal]);
  expect(events.filter(isTerminalEvent)).toHaveLength(1);
}

const TERMINALS: Terminal[] = ['complete', 'fail', 'cancel'];
const cases = TERMINALS.flatMap((terminal) =>
  (['sse', 'websocket', 'polling'] as Transport[]).map((transport) => ({ terminal, transport })),
);

describe('H1: the stream ends right after a terminal event reached live', () => {
  it.each(cases)('$terminal over $transport', async ({ terminal, transport }) => {
    const { taskId, finish } = await runningTask(terminal);

    if (transport === 'sse') {
      const sse = openSse(server.url, streamPath(taskId));
      cleanups.push(() => sse.close());
      expect(await sse.opened).toBe(200);
      // Attached and live: the first event arrived before the task was told to finish.
      await vi.waitFor(() => expect(sse.events.length).toBeGreaterThan(0), { timeout: PROMPT_MS });
      expect(sse.ended).toBe(false);
      await finish();
      await vi.waitFor(() => expect(sse.ended).toBe(true), { timeout: PROMPT_MS, interval: 5 });
      expectEndsWith(sse.events, terminal);
      expect(idsOf(sse.events)).toEqual(idsOf(await readLog(server.request, taskId)));
      return;
    }

    if (transport === 'websocket') {
      const ws = openWs(server.wsUrl, taskId);
      cleanups.push(() => ws.close());
      await settleWithin(ws.acked, PROMPT_MS, 'subscription ack');
      await vi.waitFor(() => expect(ws.events.length).toBeGreaterThan(0), { timeout: PROMPT_MS });
      expect(ws.closeCode).toBeUndefined();
      await finish();
      expect(await settleWithin(ws.closed, PROMPT_MS, 'websocket close')).toBe(1000);
      expectEndsWith(ws.events, terminal);
      expect(idsOf(ws.events)).toEqual(idsOf(await readLog(server.request, taskId)));
      return;
    }

    // Polling: a client long-polls with the longest allowed wait; the poll that is pending when the
    // terminal event is stored returns it at once, and a poll at the terminal cursor returns at once.
    const received: TaskEvent[] = [];
    let cursor: string | null = null;
    let finished = false;
    for (;;) {
      const pending = pollOnce(server.request, taskId, { afterEventId: cursor, waitTimeoutMs: HEARTBEAT_MS });
      if (!finished && received.length > 0) {
        finished = true;
        await finish();
      }
      const page = await settleWithin(pending, PROMPT_MS, 'long poll');
      received.push(...page.events);
      cursor = page.events.at(-1)?.eventId ?? cursor;
      const last = received.at(-1);
      if (last && isTerminalEvent(last)) break;
    }
    expectEndsWith(received, terminal);
    const after = await settleWithin(
      pollOnce(server.request, taskId, { afterEventId: cursor, waitTimeoutMs: HEARTBEAT_MS }),
      PROMPT_MS,
      'long poll at the terminal cursor',
    );
    expect(after.events).toEqual([]);
    expect(after.taskStatus).toBe(
      terminal === 'complete' ? 'COMPLETED' : terminal === 'fail' ? 'FAILED' : 'CANCELLED',
    );
    expect(idsOf(received)).toEqual(idsOf(await readLog(server.request, taskId)));
  });
});

describe('H1: a stream opened on a finished task replays and ends at once', () => {
  it.each(cases)('$terminal over $transport', async ({ terminal, transport }) => {
    const { taskId, log } = await finishedTask(terminal);
    const beforeTerminal = log.at(-2)?.eventId ?? null;
    const terminalId = log.at(-1)?.eventId ?? null;

    if (transport === 'sse') {
      // From the start: the whole log, then the end.
      const full = openSse(server.url, streamPath(taskId));
      cleanups.push(() => full.close());
      await settleWithin(full.done, PROMPT_MS, 'SSE replay of a finished task');
      expect(idsOf(full.events)).toEqual(idsOf(log));
      expectEndsWith(full.events, terminal);
      // At the terminal cursor: nothing newer, so the response ends with no events.
      const atEnd = openSse(server.url, streamPath(taskId), { lastEventId: terminalId ?? '' });
      cleanups.push(() => atEnd.close());
      await settleWithin(atEnd.done, PROMPT_MS, 'SSE at the terminal cursor');
      expect(atEnd.status).toBe(200);
      expect(atEnd.events).toEqual([]);
      return;
    }

    if (transport === 'websocket') {
      const full = openWs(server.wsUrl, taskId, { lastEventId: beforeTerminal });
      cleanups.push(() => full.close());
      expect(await settleWithin(full.closed, PROMPT_MS, 'websocket replay of a finished task')).toBe(1000);
      expect(full.ack).toBeDefined();
      expect(idsOf(full.events)).toEqual([terminalId]);
      const atEnd = openWs(server.wsUrl, taskId, { lastEventId: terminalId });
      cleanups.push(() => atEnd.close());
      expect(await settleWithin(atEnd.closed, PROMPT_MS, 'websocket at the terminal cursor')).toBe(1000);
      expect(atEnd.ack).toBeDefined();
      expect(atEnd.events).toEqual([]);
      return;
    }

    const page = await settleWithin(
      pollOnce(server.request, taskId, { afterEventId: terminalId, waitTimeoutMs: HEARTBEAT_MS }),
      PROMPT_MS,
      'long poll at the terminal cursor',
    );
    expect(page.events).toEqual([]);
    expect(page.hasMore).toBe(false);
    expect(page.nextAfterEventId).toBe(terminalId);
  });
});
