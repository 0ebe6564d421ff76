/**
 * protocol/SPEC.md §6 — the WebSocket route: one subscribe frame, `SUBSCRIPTION_CONFIRMED`, replay, live
 * events, heartbeat after replay, close 1000 right after the terminal event (H1) or at once when the
 * cursor is at it (E); 1008 for bad frames, unknown/foreign tasks, auth failures and a missing
 * subscribe frame; 1003 for binary frames (E).
 */
import {
  CloseCode,
  isTerminalEvent,
  parseServerFrame,
  TaskBridgeError,
  type TaskEvent,
} from '@taskbridge/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { collectUntilTerminal, postJson, taskPaths, waitForEvent } from '../support/protocol-calls';
import { startTestServer, type TestServer } from '../support/reference-server';
import { type WsConnectOptions, WsSessions } from '../support/ws-client';

const paths = taskPaths();
const SUBSCRIBE_TIMEOUT_MS = 200;
let ts: TestServer;
const sessions = new WsSessions();

beforeAll(async () => {
  // A long interval: any heartbeat seen within a test is the one sent right after replay.
  ts = await startTestServer({
    heartbeatIntervalMs: { websocket: 60_000 },
    subscribeTimeoutMs: SUBSCRIBE_TIMEOUT_MS,
    allowAccessTokenQuery: true,
  });
});
afterEach(() => sessions.closeAll());
afterAll(() => ts.close());

const connect = (options: WsConnectOptions = { subject: 'alice' }, query = '') =>
  sessions.connect(`${ts.wsUrl}${paths.websocket}${query}`, options);

type Kind = 'ack' | 'heartbeat' | 'event' | 'unknown-event';

/** Classifies every received frame with the protocol parser; a frame it rejects fails the test. */
function classify(messages: readonly unknown[]): { kind: Kind; value: unknown }[] {
  return messages.map((m) => {
    const parsed = parseServerFrame(m);
    if (!parsed.ok) throw parsed.error;
    return { kind: parsed.value.kind, value: m };
  });
}

const eventsIn = (messages: readonly unknown[]) =>
  classify(messages)
    .filter((f) => f.kind === 'event')
    .map((f) => f.value as TaskEvent);

describe('subscribe, replay, live, close', () => {
  it('acks, replays, goes live and closes 1000 right after the terminal event', async () => {
    const taskId = await ts.createTask('ticker', { count: 6, intervalMs: 40 });
    const { event: first } = await waitForEvent(ts, taskId, (e) => e.type === 'TASK_MESSAGE');
    const ws = connect();
    await ws.subscribe(taskId, null);
    const close = await ws.closed;
    expect(close.code).toBe(CloseCode.NORMAL);

    const frames = classify(ws.messages);
    expect(frames[0]).toEqual({
      kind: 'ack',
      value: { type: 'SUBSCRIPTION_CONFIRMED', taskId, replayStartedAfterEventId: null, live: true },
    });
    const events = eventsIn(ws.messages);
    expect(events).toEqual(await collectUntilTerminal(ts, taskId));
    expect(events.filter(isTerminalEvent)).toHaveLength(1);
    // The terminal event is the last frame before the close.
    expect(ws.messages.at(-1)).toEqual(events.at(-1));
    // A heartbeat follows the replay (which held at least STARTED and the first tick).
    const beat = frames.findIndex((f) => f.kind === 'heartbeat');
    const firstIndex = frames.findIndex((f) => (f.value as TaskEvent).eventId === first.eventId);
    expect(beat).toBeGreaterThan(firstIndex);
    expect(frames[beat]?.value).toEqual({ type: 'HEARTBEAT', taskId, live: true });
  });

  it('replays strictly after lastEventId and echoes it in the ack', async () => {
    const taskId = await ts.createTask('ticker', { count: 5 });
    const all = await collectUntilTerminal(ts, taskId);
    const cursor = all[2]?.eventId as string;
    const ws = connect();
    await ws.subscribe(taskId, cursor);
    expect((await ws.closed).code).toBe(CloseCode.NORMAL);
    expect(ws.messages[0]).toMatchObject({
      type: 'SUBSCRIPTION_CONFIRMED',
      replayStartedAfterEventId: cursor,
    });
    expect(eventsIn(ws.messages)).toEqual(all.slice(3));
  });

  it('reads a subscribe frame without lastEventId as null', async () => {
    const taskId = await ts.createTask('greet');
    const ws = connect();
    await ws.send(JSON.stringify({ action: 'subscribe', taskId }));
    expect((await ws.closed).code).toBe(CloseCode.NORMAL);
    expect(ws.messages[0]).toMatchObject({ type: 'SUBSCRIPTION_CONFIRMED', replayStartedAfterEventId: null });
    expect(eventsIn(ws.messages).at(-1)?.type).toBe('TASK_COMPLETED');
  });

  it('sends a HEARTBEAT right after the replay of an idle task (E)', async () => {
    const taskId = await ts.createTask('approval', {});
    const { events: replayed } = await waitForEvent(ts, taskId, (e) => e.type === 'TASK_SUSPENDED');
    const ws = connect();
    await ws.subscribe(taskId);
    await vi.waitFor(() => expect(ws.messages).toHaveLength(replayed.length + 2), {
      timeout: 3000,
      interval: 20,
    });
    expect(ws.messages.slice(1, -1)).toEqual(replayed);
    expect(ws.messages.at(-1)).toEqual({ type: 'HEARTBEAT', taskId, live: true });
    expect(ws.closeInfo).toBeUndefined();
    // Cancelling ends the live socket with TASK_CANCELLED and 1000.
    await postJson(ts, paths.cancel(taskId), { reason: 'ws-test' });
    expect((await ws.closed).code).toBe(CloseCode.NORMAL);
    expect(ws.messages.at(-1)).toMatchObject({ type: 'TASK_CANCELLED', payload: { reason: 'ws-test' } });
  });

  it('acks then closes 1000 at once when the cursor is at the terminal event (E)', async () => {
    const taskId = await ts.createTask('greet');
    const all = await collectUntilTerminal(ts, taskId);
    const terminal = all.at(-1)?.eventId as string;
    const t0 = Date.now();
    const ws = connect();
    await ws.subscribe(taskId, terminal);
    expect((await ws.closed).code).toBe(CloseCode.NORMAL);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(ws.messages[0]).toMatchObject({
      type: 'SUBSCRIPTION_CONFIRMED',
      replayStartedAfterEventId: terminal,
    });
    expect(eventsIn(ws.messages)).toEqual([]);
  });

  it('authenticates with the access_token query parameter where the server allows it (E)', async () => {
    const taskId = await ts.createTask('greet', {}, 'carol');
    const ws = connect({}, '?access_token=carol');
    await ws.subscribe(taskId);
    expect((await ws.closed).code).toBe(CloseCode.NORMAL);
    expect(eventsIn(ws.messages).at(-1)?.type).toBe('TASK_COMPLETED');
  });

  it('ignores frames after the subscribe frame and keeps streaming', async () => {
    const taskId = await ts.createTask('ticker', { count: 3, intervalMs: 30 });
    const ws = connect();
    await ws.subscribe(taskId);
    await ws.send(JSON.stringify({ action: 'subscribe', taskId: 'another' }));
    expect((await ws.closed).code).toBe(CloseCode.NORMAL);
    expect(eventsIn(ws.messages)).toEqual(await collectUntilTerminal(ts, taskId));
  });
});

describe('policy violations', () => {
  async function expectClose(send: (ws: ReturnType<typeof connect>) => Promise<void>, code: number) {
    const ws = connect();
    await send(ws);
    expect((await ws.closed).code).toBe(code);
    // No error frames: nothing but (possibly) nothing was sent before the close.
    expect(ws.messages).toEqual([]);
  }

  it.each([
    ['bad JSON', '{"action":"subscribe",'],
    ['a JSON string', '"subscribe"'],
    ['a wrong action', JSON.stringify({ action: 'unsubscribe', taskId: 't', lastEventId: null })],
    ['a missing taskId', JSON.stringify({ action: 'subscribe', lastEventId: null })],
    ['an extra key', JSON.stringify({ action: 'subscribe', taskId: 't', lastEventId: null, token: 'x' })],
    ['a numeric lastEventId', JSON.stringify({ action: 'subscribe', taskId: 't', lastEventId: 3 })],
  ])('closes 1008 for %s', async (_name, frame) => {
    await expectClose((ws) => ws.send(frame), CloseCode.POLICY_VIOLATION);
  });

  it('closes 1008 for an unknown task', async () => {
    await expectClose((ws) => ws.subscribe('no-such-task'), CloseCode.POLICY_VIOLATION);
  });

  it("closes 1008 for another owner's task", async () => {
    const taskId = await ts.createTask('greet', {}, 'bob');
    await expectClose((ws) => ws.subscribe(taskId), CloseCode.POLICY_VIOLATION);
  });

  it('closes 1008 for a malformed cursor', async () => {
    const taskId = await ts.createTask('greet');
    await expectClose((ws) => ws.subscribe(taskId, 'hb-123'), CloseCode.POLICY_VIOLATION);
  });

  it('closes 1003 for a binary frame (E)', async () => {
    await expectClose((ws) => ws.send(Buffer.from([1, 2, 3])), CloseCode.UNSUPPORTED_DATA);
  });

  it('closes 1008 when no subscribe frame arrives within subscribeTimeoutMs', async () => {
    const ws = connect();
    await ws.opened;
    const t0 = Date.now();
    expect((await ws.closed).code).toBe(CloseCode.POLICY_VIOLATION);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(SUBSCRIBE_TIMEOUT_MS - 50);
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('closes 1008 after accepting the upgrade when the demo resolver rejects the credentials', async () => {
    const taskId = await ts.createTask('greet');
    const ws = connect({ headers: { authorization: 'Basic abc' } });
    await ws.opened;
    await ws.subscribe(taskId);
    expect((await ws.closed).code).toBe(CloseCode.POLICY_VIOLATION);
    expect(ws.messages).toEqual([]);
  });
});

describe('auth hook failure', () => {
  let denying: TestServer;
  beforeAll(async () => {
    denying = await startTestServer({
      auth: () => {
        throw new TaskBridgeError({ code: 'AUTHENTICATION_ERROR', message: 'x' });
      },
    });
  });
  afterAll(() => denying.close());

  it('accepts the upgrade, then closes 1008 with no frame sent', async () => {
    const ws = sessions.connect(`${denying.wsUrl}${paths.websocket}`, { subject: 'alice' });
    await ws.opened;
    await ws.subscribe('any-task');
    expect((await ws.closed).code).toBe(CloseCode.POLICY_VIOLATION);
    expect(ws.messages).toEqual([]);
  });
});

describe('upgrade routing', () => {
  it('refuses an upgrade on another path with 404', async () => {
    const ws = sessions.connect(`${ts.wsUrl}/api/v1/tasks/not-ws`, { subject: 'alice' });
    await ws.closed;
    expect(ws.refusedStatus).toBe(404);
  });
});
