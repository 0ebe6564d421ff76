/**
 * What the client trusts, over real sockets: a WebSocket is live only after its ack; answers that are
 * not the protocol (a login page on every route) end the stream with a typed error instead of retrying
 * for ever; a server that never comes back ends `events$` and `settled()` after the give-up deadline;
 * and a `resumeKey` start that the server answers with a second task says so.
 */
import { createMemoryCheckpointStore, type TaskBridgeClient } from '@taskbridge/client';
import { createReferenceServer } from '@taskbridge/server-reference';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type FrontServer, startFrontServer } from '../support/front-server';
import {
  createNodeClient,
  FAST_CONNECTION,
  recordEvents,
  serverEventIds,
  transportPath,
} from '../support/node-client';
import { startTestServer, type TestServer, testServerOptions } from '../support/reference-server';

const WAIT = { timeout: 8_000, interval: 20 };
const LOGIN_PAGE = '<!doctype html><title>Sign in</title><form action="/login"></form>';

let srv: TestServer | undefined;
let front: FrontServer | undefined;
let clients: TaskBridgeClient[] = [];

afterEach(async () => {
  for (const client of clients) client.close();
  clients = [];
  await front?.close();
  await srv?.close();
  front = undefined;
  srv = undefined;
});

async function throughFront(connection: object = FAST_CONNECTION) {
  srv = await startTestServer();
  front = await startFrontServer(srv);
  const made = createNodeClient(front.url, { connection });
  clients.push(made.client);
  return made;
}

describe('the WebSocket is live only after its ack', () => {
  it('a socket that answers the subscribe frame with garbage is not live: the client falls back to SSE', async () => {
    const { client, diagnostics } = await throughFront();
    (front as FrontServer).set('websocket', { kind: 'garbage', frame: '<html>502 Bad Gateway</html>' });
    const { taskId, stream } = await client.startTask({
      taskType: 'ticker',
      input: { count: 20, intervalMs: 5 },
    });
    const recording = recordEvents(stream);
    await vi.waitFor(() => expect(recording.completed).toBe(true), WAIT);
    expect(transportPath(diagnostics, taskId)).toEqual(['sse']);
    const retry = diagnostics.find((d) => d.type === 'retry');
    expect(retry?.type === 'retry' && retry.error).toMatchObject({
      code: 'PROTOCOL_ERROR',
      details: { phase: 'ack', notProtocol: true },
    });
    expect(recording.events.map((e) => e.eventId)).toEqual(await serverEventIds(srv as TestServer, taskId));
  });

  it('an event before the ack is not taken either', async () => {
    const { client, diagnostics } = await throughFront();
    const early = JSON.stringify({
      type: 'TASK_PROGRESS',
      taskId: 'whatever',
      eventId: '1-0',
      createdAt: new Date().toISOString(),
      payload: { progress: 50 },
    });
    (front as FrontServer).set('websocket', { kind: 'garbage', frame: early });
    const { taskId, stream } = await client.startTask({
      taskType: 'ticker',
      input: { count: 5, intervalMs: 5 },
    });
    const final = await stream.settled();
    expect(final.status).toBe('completed');
    expect(transportPath(diagnostics, taskId)).toEqual(['sse']);
  });
});

describe('answers that are not the protocol', () => {
  it('a login page on every route fails the stream with a typed error instead of retrying for ever', async () => {
    const { client } = await throughFront();
    const f = front as FrontServer;
    const { stream } = await client.startTask({ taskType: 'ticker', input: { count: 1000, intervalMs: 50 } });
    const page = { kind: 'status', status: 200, body: LOGIN_PAGE, contentType: 'text/html' } as const;
    for (const route of ['websocket', 'stream', 'events', 'capabilities'] as const) f.set(route, page);
    const recording = recordEvents(stream);
    await vi.waitFor(() => expect(recording.error).toBeDefined(), WAIT);
    expect(recording.error).toMatchObject({
      code: 'UNEXPECTED_RESPONSE',
      retryable: false,
      details: { notProtocol: true, transports: ['websocket', 'sse', 'polling'] },
    });
    await expect(stream.settled()).rejects.toMatchObject({ code: 'UNEXPECTED_RESPONSE' });
    expect(f.hitsOf('events').length).toBeGreaterThanOrEqual(1);
  });
});

describe('the give-up policy', () => {
  it('a server that never comes back ends events$ and settled() after giveUpAfterMs', async () => {
    const { client, diagnostics } = await throughFront({ ...FAST_CONNECTION, giveUpAfterMs: 1_500 });
    const f = front as FrontServer;
    const { stream } = await client.startTask({ taskType: 'ticker', input: { count: 1000, intervalMs: 20 } });
    const recording = recordEvents(stream);
    await vi.waitFor(() => expect(stream.getConnectionState().status).toBe('live'), WAIT);
    const down = { kind: 'status', status: 503 } as const;
    for (const route of ['websocket', 'stream', 'events'] as const) f.set(route, down);
    f.dropUpgraded();
    const since = Date.now();
    await vi.waitFor(() => expect(recording.error).toBeDefined(), WAIT);
    expect(Date.now() - since).toBeGreaterThanOrEqual(1_400);
    expect(recording.error).toMatchObject({
      code: 'TIMEOUT',
      details: { deadline: 'giveUp', timeoutMs: 1_500 },
    });
    await expect(stream.settled()).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(diagnostics.filter((d) => d.type === 'retry').length).toBeGreaterThan(2);
    expect(diagnostics.at(-1)).toMatchObject({
      type: 'stream-failed',
      error: { details: { deadline: 'giveUp' } },
    });
  });
});

describe('resumeKey after a server restart', () => {
  it('a start the server answers with a second task is reported as restarted', async () => {
    srv = await startTestServer();
    const port = srv.port;
    const store = createMemoryCheckpointStore();
    const first = createNodeClient(srv.url, { checkpointStore: store });
    clients.push(first.client);
    const request = { taskType: 'ticker', input: { count: 3, intervalMs: 5 }, resumeKey: 'report:42' };
    const a = await first.client.startTask(request);
    expect(a.restarted).toBe(false);
    const again = await first.client.startTask(request);
    expect(again).toMatchObject({ taskId: a.taskId, restarted: false });

    // The server restarts without persistence: it forgot the task and the clientRequestId.
    await srv.close();
    srv = undefined;
    const restartedServer = createReferenceServer(testServerOptions());
    await restartedServer.listen(port, '127.0.0.1');
    try {
      const second = createNodeClient(`http://127.0.0.1:${port}`, { checkpointStore: store });
      clients.push(second.client);
      const b = await second.client.startTask(request);
      expect(b.taskId).not.toBe(a.taskId);
      expect(b.clientRequestId).toBe(a.clientRequestId);
      expect(b).toMatchObject({ restarted: true, previousTaskId: a.taskId });
      expect(second.diagnostics).toContainEqual({
        type: 'task-restarted',
        resumeKey: 'report:42',
        previousTaskId: a.taskId,
        taskId: b.taskId,
      });
      // From now on the new task is the one this start names.
      const c = await second.client.startTask(request);
      expect(c).toMatchObject({ taskId: b.taskId, restarted: false });
    } finally {
      for (const client of clients) client.close();
      clients = [];
      await restartedServer.close();
    }
  });
});
