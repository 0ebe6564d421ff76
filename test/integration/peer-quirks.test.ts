/**
 * Our client against a backend that behaves like the TaskBridge FastAPI peer (protocol/SPEC.md peer quirks,
 * rule 1): streams that never end, `hb-…` heartbeats without `id:`, off-schema terminal payloads,
 * 200-then-abort for unknown tasks, no capabilities, long polls that wait after the terminal event.
 */
import {
  type CheckpointStore,
  createMemoryCheckpointStore,
  initialTaskSnapshot,
  reduceTaskSnapshot,
  type TaskBridgeClient,
  type TaskBridgeClientOptions,
} from '@taskbridge/client';
import type { TaskEvent, TransportName } from '@taskbridge/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createNodeClient, type NodeClient, recordEvents } from '../support/node-client';
import { type PeerServer, startPeerServer } from '../support/peer-server';

const WAIT = { timeout: 5_000, interval: 10 };
const TRANSPORTS: readonly TransportName[] = ['websocket', 'sse', 'polling'];

let peer: PeerServer;
let clients: TaskBridgeClient[] = [];

beforeEach(async () => {
  peer = await startPeerServer();
});

afterEach(async () => {
  for (const client of clients) client.close();
  clients = [];
  await peer.close();
});

function peerClient(overrides: Partial<TaskBridgeClientOptions> = {}): NodeClient {
  const made = createNodeClient(peer.url, {
    connection: { backoff: { baseMs: 10, maxMs: 50 } },
    polling: { waitTimeoutMs: 2_000 },
    ...overrides,
  });
  clients.push(made.client);
  return made;
}

/** Appends the usual start of a task: started, progress, two messages. */
function appendBody(taskId: string): void {
  peer.append(taskId, 'TASK_STARTED', { message: 'started' });
  peer.append(taskId, 'TASK_PROGRESS', { progress: 50, stage: 'half' });
  peer.append(taskId, 'TASK_MESSAGE', { message: 'Hello, ' });
  peer.append(taskId, 'TASK_MESSAGE', { message: 'world' });
}

describe('against the peer', () => {
  it('creates with an explicit input and works without /capabilities (404)', async () => {
    const { client, diagnostics } = peerClient();
    const { taskId, stream } = await client.startTask({ taskType: 'demo' });
    expect(peer.creates).toEqual([expect.objectContaining({ taskType: 'demo', input: {} })]);
    const recording = recordEvents(stream);
    appendBody(taskId);
    peer.append(taskId, 'TASK_COMPLETED', { result: { ok: true } });
    await recording.done;
    expect(recording.events.map((e) => e.type)).toEqual([
      'TASK_STARTED',
      'TASK_PROGRESS',
      'TASK_MESSAGE',
      'TASK_MESSAGE',
      'TASK_COMPLETED',
    ]);
    expect(stream.getSnapshot()).toMatchObject({
      status: 'completed',
      text: 'Hello, world',
      result: { ok: true },
    });
    // Unknown capabilities: every transport stays on the ladder, and the best one is used.
    expect(diagnostics).toContainEqual(
      expect.objectContaining({ type: 'transport-selected', transport: 'websocket' }),
    );
    expect(peer.capabilitiesRequests()).toBe(1);
    // The subscribe frame has exactly the three keys the peer accepts (it closes 1008 on extras).
    expect(peer.ws[0]?.keys.sort()).toEqual(['action', 'lastEventId', 'taskId']);
  });

  it('SSE that never ends: the client completes on the terminal event and closes the stream itself', async () => {
    const { client } = peerClient({ forceTransport: 'sse' });
    const taskId = peer.createTask();
    appendBody(taskId);
    const stream = client.task(taskId);
    const recording = recordEvents(stream);
    await vi.waitFor(() => expect(recording.events).toHaveLength(4), WAIT);
    // Heartbeats flow while the task is idle; none of them is an event.
    const heartbeatsBefore = peer.sseHeartbeatsSent();
    await vi.waitFor(() => expect(peer.sseHeartbeatsSent()).toBeGreaterThan(heartbeatsBefore + 2), WAIT);
    expect(recording.events).toHaveLength(4);
    expect(recording.completed).toBe(false);

    peer.append(taskId, 'TASK_COMPLETED', { result: 'done' });
    await recording.done;
    expect(recording.events.map((e) => e.type).at(-1)).toBe('TASK_COMPLETED');
    await vi.waitFor(() => {
      expect(peer.sse).toHaveLength(1);
      expect(peer.sse[0]).toMatchObject({ ended: true, closedByClient: true });
    }, WAIT);
    expect(stream.getConnectionState().status).toBe('done');
  });

  it('never uses an hb-… heartbeat id as a cursor, nor delivers heartbeats as events', async () => {
    const { client } = peerClient({ forceTransport: 'sse' });
    const taskId = peer.createTask();
    appendBody(taskId);
    const lastReal = peer.events(taskId).at(-1)?.eventId;
    const stream = client.task(taskId);
    const recording = recordEvents(stream);
    await vi.waitFor(() => expect(recording.events).toHaveLength(4), WAIT);
    const heartbeatsBefore = peer.sseHeartbeatsSent();
    await vi.waitFor(() => expect(peer.sseHeartbeatsSent()).toBeGreaterThan(heartbeatsBefore + 2), WAIT);

    // The network drops: the client reconnects with its cursor, the last real eventId.
    peer.dropSse();
    await vi.waitFor(() => expect(peer.sse).toHaveLength(2), WAIT);
    expect(peer.sse[1]?.cursor).toBe(lastReal);
    expect(peer.sse.every((r) => r.cursor === null || !r.cursor.startsWith('hb-'))).toBe(true);

    peer.append(taskId, 'TASK_MESSAGE', { message: '!' });
    peer.append(taskId, 'TASK_COMPLETED', { result: null });
    await recording.done;
    expect(recording.events.map((e) => e.eventId)).toEqual(peer.events(taskId).map((e) => e.eventId));
    expect(recording.events.some((e) => (e.type as string) === 'HEARTBEAT')).toBe(false);
    expect(stream.getSnapshot()).toMatchObject({
      text: 'Hello, world!',
      lastEventId: peer.events(taskId).at(-1)?.eventId,
    });
  });

  for (const transport of TRANSPORTS) {
    it(`an off-schema TASK_COMPLETED ({message} without result) still completes over ${transport}`, async () => {
      const { client, diagnostics } = peerClient({ forceTransport: transport });
      const taskId = peer.createTask();
      appendBody(taskId);
      const terminalId = peer.append(taskId, 'TASK_COMPLETED', { message: 'done' });
      const stream = client.task(taskId);
      const recording = recordEvents(stream);
      await recording.done;
      expect(recording.events.at(-1)).toMatchObject({ type: 'TASK_COMPLETED', eventId: terminalId });
      expect(stream.getSnapshot()).toMatchObject({
        status: 'completed',
        result: null,
        lastEventId: terminalId,
      });
      expect(diagnostics).toContainEqual(
        expect.objectContaining({
          type: 'off-schema-event',
          eventId: terminalId,
          eventType: 'TASK_COMPLETED',
        }),
      );
      expect(diagnostics.filter((d) => d.type === 'stream-failed')).toEqual([]);
    });
  }

  it('an off-schema TASK_CANCELLED (no reason) ends the task as cancelled', async () => {
    const { client, diagnostics } = peerClient();
    const taskId = peer.createTask();
    appendBody(taskId);
    const terminalId = peer.append(taskId, 'TASK_CANCELLED', { message: 'stopped' });
    const stream = client.task(taskId);
    const final = await stream.settled();
    expect(final).toMatchObject({ status: 'cancelled', lastEventId: terminalId });
    expect(diagnostics).toContainEqual(
      expect.objectContaining({ type: 'off-schema-event', eventId: terminalId, eventType: 'TASK_CANCELLED' }),
    );
  });

  it('a WebSocket left open after the terminal event is closed by the client', async () => {
    await peer.close();
    peer = await startPeerServer({ wsCloseOnTerminal: false });
    const { client } = peerClient({ forceTransport: 'websocket' });
    const taskId = peer.createTask();
    appendBody(taskId);
    const stream = client.task(taskId);
    const recording = recordEvents(stream);
    await vi.waitFor(() => expect(recording.events).toHaveLength(4), WAIT);
    peer.append(taskId, 'TASK_FAILED', { code: 'BOOM', message: 'it broke', retryable: false });
    await recording.done;
    expect(stream.getSnapshot()).toMatchObject({ status: 'failed', error: { code: 'BOOM' } });
    await vi.waitFor(() => expect(peer.ws[0]).toMatchObject({ ended: true, closedByClient: true }), WAIT);
  });

  it('a later observer whose checkpoint holds the terminal event opens no stream at all', async () => {
    const taskId = peer.createTask();
    appendBody(taskId);
    const terminalId = peer.append(taskId, 'TASK_COMPLETED', { result: 42 });
    // An earlier page saw the whole task: its checkpoint holds the terminal event.
    const store = createMemoryCheckpointStore();
    const { client: writer } = peerClient({ checkpointStore: store });
    const first = await writer.task(taskId).settled();
    expect(first.result).toBe(42);
    const streamsBefore = peer.ws.length + peer.sse.length + peer.polls.length;

    const { client } = peerClient({ checkpointStore: store });
    const settled = await client.task(taskId).settled();
    expect(settled).toMatchObject({ status: 'completed', result: 42, lastEventId: terminalId });
    // A resubscribe at the terminal event would leave a peer WebSocket open forever: none is made.
    expect(peer.ws.length + peer.sse.length + peer.polls.length).toBe(streamsBefore);
  });

  it('a resubscribe at the terminal event (peer keeps the socket open) stays quiet and is closed on release', async () => {
    const taskId = peer.createTask();
    appendBody(taskId);
    const terminalId = peer.append(taskId, 'TASK_COMPLETED', { result: 1 });
    // A checkpoint at the terminal event without the event itself (e.g. written by an older client).
    let snapshot = initialTaskSnapshot(taskId);
    for (const event of peer.events(taskId).slice(0, -1))
      snapshot = reduceTaskSnapshot(snapshot, event as TaskEvent);
    const memory = createMemoryCheckpointStore();
    const store: CheckpointStore = {
      ...memory,
      load: async (key) =>
        (await memory.load(key)) ?? {
          taskId,
          lastEventId: terminalId,
          snapshot,
          terminalEvent: null,
          updatedAt: 1,
        },
    };
    const { client, diagnostics } = peerClient({
      checkpointStore: store,
      forceTransport: 'websocket',
      detachGraceMs: 0,
    });
    const stream = client.task(taskId);
    const snapshots: number[] = [];
    const sub = stream.snapshot$.subscribe((s) => snapshots.push(s.eventCount));
    await vi.waitFor(() => expect(stream.getConnectionState().status).toBe('live'), WAIT);
    expect(peer.ws.at(-1)).toMatchObject({ taskId, cursor: terminalId, ended: false });
    // Heartbeats keep it live; nothing is delivered, nothing fails.
    const heartbeatsBefore = peer.wsHeartbeatsSent();
    await vi.waitFor(() => expect(peer.wsHeartbeatsSent()).toBeGreaterThan(heartbeatsBefore + 3), WAIT);
    expect(stream.getConnectionState().status).toBe('live');
    expect(snapshots.at(-1)).toBe(snapshot.eventCount);
    expect(diagnostics.filter((d) => d.type === 'stream-failed' || d.type === 'malformed-frame')).toEqual([]);
    sub.unsubscribe();
    await vi.waitFor(() => expect(peer.ws.at(-1)).toMatchObject({ ended: true, closedByClient: true }), WAIT);
  });

  it('SSE 200-then-abort for an unknown task ends in TASK_NOT_FOUND (via polling), not a silent loop', async () => {
    const { client } = peerClient({ transports: ['sse', 'polling'] });
    const recording = recordEvents(client.task('no-such-task'));
    const error = await recording.done.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'TASK_NOT_FOUND', status: 404, retryable: false });
    expect(recording.events).toEqual([]);
    expect(peer.sse.length).toBeGreaterThanOrEqual(1);
    expect(peer.sse.length).toBeLessThanOrEqual(2);
  });

  it('forced SSE: 200-then-abort for an unknown task is confirmed by one poll and ends in TASK_NOT_FOUND', async () => {
    const { client } = peerClient({ forceTransport: 'sse' });
    const recording = recordEvents(client.task('no-such-task'));
    const error = await recording.done.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'TASK_NOT_FOUND', status: 404, retryable: false });
    expect(recording.events).toEqual([]);
    expect(peer.sse).toHaveLength(2);
    expect(peer.polls).toHaveLength(1);
  });

  it('a WebSocket 1008 for an unknown task is confirmed by one poll and ends in TASK_NOT_FOUND', async () => {
    const { client } = peerClient();
    const recording = recordEvents(client.task('no-such-task'));
    const error = await recording.done.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'TASK_NOT_FOUND', status: 404 });
    expect(peer.ws).toHaveLength(1);
    expect(peer.polls).toHaveLength(1);
  });

  it('long polling completes on the terminal event and never waits out a post-terminal long poll', async () => {
    const { client } = peerClient({ forceTransport: 'polling', polling: { waitTimeoutMs: 5_000 } });
    const taskId = peer.createTask();
    const stream = client.task(taskId);
    const recording = recordEvents(stream);
    // The first long poll is waiting: events arrive live.
    await vi.waitFor(() => expect(peer.polls.filter((p) => !p.ended)).toHaveLength(1), WAIT);
    appendBody(taskId);
    await vi.waitFor(() => expect(recording.events).toHaveLength(4), WAIT);
    const started = Date.now();
    const terminalId = peer.append(taskId, 'TASK_COMPLETED', { result: 'ok' });
    await recording.done;
    expect(Date.now() - started).toBeLessThan(2_000);
    // Every poll sent waitTimeoutMs explicitly (the peer's default is a short poll).
    expect(peer.polls.every((p) => p.waitTimeoutMs === '5000')).toBe(true);
    // Nothing asked for events after the terminal one, and nothing is left hanging.
    expect(peer.polls.some((p) => p.cursor === terminalId)).toBe(false);
    await vi.waitFor(() => expect(peer.polls.every((p) => p.ended)).toBe(true), WAIT);
  });
});
