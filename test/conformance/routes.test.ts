/**
 * protocol/SPEC.md §1 — routes: the whole protocol under a custom template with extra path params passed to the
 * auth hook (default routes then 404), E1 task status, E2 capabilities derived from configuration
 * (hazard H7), `/health`, `/ready` (503 once shutdown has begun) and graceful shutdown.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type CapabilitiesResponse,
  CloseCode,
  PROTOCOL_VERSION,
  type TaskStatusResponse,
} from '@taskbridge/protocol';
import { type AuthRequest, createDemoAuthResolver } from '@taskbridge/server-reference';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  collectUntilTerminal,
  expectErrorEnvelope,
  postJson,
  taskPaths,
  uniqueId,
  waitForEvent,
} from '../support/protocol-calls';
import { startTestServer, type TestServer } from '../support/reference-server';
import { openSse, type SseStream } from '../support/sse-reader';
import { WsSessions } from '../support/ws-client';

const sessions = new WsSessions();
const streams: SseStream[] = [];
afterEach(async () => {
  for (const s of streams.splice(0)) s.close();
  await sessions.closeAll();
});

describe('custom route template /api/v1/projects/{projectId}', () => {
  const project = taskPaths('/api/v1/projects/p-42');
  const defaults = taskPaths();
  const seen: AuthRequest[] = [];
  const demo = createDemoAuthResolver();
  let ts: TestServer;

  beforeAll(async () => {
    ts = await startTestServer({
      routes: '/api/v1/projects/{projectId}',
      auth: (request) => {
        seen.push(request);
        return demo(request);
      },
    });
  });
  afterAll(() => ts.close());

  it('serves create, poll, SSE, WebSocket, status, actions and cancel; the hook sees projectId', async () => {
    // Create
    seen.length = 0;
    const created = await postJson(ts, project.create, {
      clientRequestId: uniqueId(),
      taskType: 'approval',
      input: {},
    });
    expect(created.status).toBe(201);
    const { taskId } = (await created.json()) as { taskId: string };
    expect(seen.at(-1)?.pathParams).toEqual({ projectId: 'p-42' });

    // Poll (through the helper, on the custom base)
    const { event } = await waitForEvent(ts, taskId, (e) => e.type === 'TASK_SUSPENDED', {
      base: '/api/v1/projects/p-42',
    });
    const suspendId = (event.payload as { suspendId: string }).suspendId;
    expect(seen.at(-1)?.pathParams).toEqual({ projectId: 'p-42' });

    // Status (E1)
    const status = await ts.request(project.status(taskId), { subject: 'alice' });
    expect(status.status).toBe(200);
    expect(((await status.json()) as TaskStatusResponse).status).toBe('RUNNING');

    // SSE and WebSocket, both live until the task ends
    const sse = await openSse(`${ts.url}${project.stream(taskId)}`, {
      headers: { authorization: 'Bearer alice' },
    });
    streams.push(sse);
    expect(seen.at(-1)?.pathParams).toEqual({ projectId: 'p-42' });
    seen.length = 0;
    const ws = sessions.connect(`${ts.wsUrl}${project.websocket}`, { subject: 'alice' });
    await ws.subscribe(taskId);
    await vi.waitFor(() => expect(ws.messages.length).toBeGreaterThanOrEqual(2));
    expect(ws.messages[0]).toMatchObject({ type: 'SUBSCRIPTION_CONFIRMED', taskId });
    expect(seen.at(-1)?.pathParams).toEqual({ projectId: 'p-42' });

    // Actions
    const act = await postJson(ts, project.actions(taskId), {
      clientActionId: uniqueId(),
      suspendId,
      actionType: 'approve',
    });
    expect(act.status).toBe(202);
    expect(seen.at(-1)?.pathParams).toEqual({ projectId: 'p-42' });

    const events = await collectUntilTerminal(ts, taskId, { base: '/api/v1/projects/p-42' });
    expect(events.at(-1)?.type).toBe('TASK_COMPLETED');
    expect((await ws.closed).code).toBe(CloseCode.NORMAL);
    await vi.waitFor(() => expect(sse.ended).toBe(true));
    expect(sse.frames.filter((f) => f.id !== undefined).map((f) => JSON.parse(f.data ?? '{}'))).toEqual(
      events,
    );

    // Cancel (on a finished task: ALREADY_TERMINAL, still routed)
    const cancel = await postJson(ts, project.cancel(taskId), {});
    expect(cancel.status).toBe(202);
    expect(await cancel.json()).toEqual({ taskId, status: 'ALREADY_TERMINAL' });
    expect(seen.at(-1)?.pathParams).toEqual({ projectId: 'p-42' });
  });

  it('cancels a running task under the template', async () => {
    const created = await postJson(ts, project.create, {
      clientRequestId: uniqueId(),
      taskType: 'ticker',
      input: { count: 100_000, intervalMs: 5 },
    });
    const { taskId } = (await created.json()) as { taskId: string };
    const cancel = await postJson(ts, project.cancel(taskId), { reason: 'routes' });
    expect(await cancel.json()).toEqual({ taskId, status: 'CANCELLATION_REQUESTED' });
    const events = await collectUntilTerminal(ts, taskId, { base: '/api/v1/projects/p-42' });
    expect(events.at(-1)).toMatchObject({ type: 'TASK_CANCELLED', payload: { reason: 'routes' } });
  });

  it('decodes path params before handing them to the hook', async () => {
    seen.length = 0;
    const res = await ts.request(`/api/v1/projects/${encodeURIComponent('a b é')}/tasks/none`, {
      subject: 'alice',
    });
    await expectErrorEnvelope(res, 404, 'TASK_NOT_FOUND');
    expect(seen.at(-1)?.pathParams).toEqual({ projectId: 'a b é' });
    seen.length = 0;
    const ws = sessions.connect(`${ts.wsUrl}/api/v1/projects/${encodeURIComponent('a b é')}/tasks/ws`, {
      subject: 'alice',
    });
    await ws.opened;
    await vi.waitFor(() => expect(seen.at(-1)?.pathParams).toEqual({ projectId: 'a b é' }));
  });

  it('publishes the templates in capabilities', async () => {
    const res = await ts.request('/api/v1/projects/p-42/capabilities');
    const caps = (await res.json()) as CapabilitiesResponse;
    expect(caps.routes).toMatchObject({
      create: '/api/v1/projects/{projectId}/tasks',
      events: '/api/v1/projects/{projectId}/tasks/{taskId}/events',
      stream: '/api/v1/projects/{projectId}/tasks/{taskId}/events/stream',
      websocket: '/api/v1/projects/{projectId}/tasks/ws',
    });
  });

  it('answers 404 on the default routes', async () => {
    const taskId = await (async () => {
      const res = await postJson(ts, project.create, { clientRequestId: uniqueId(), taskType: 'greet' });
      return ((await res.json()) as { taskId: string }).taskId;
    })();
    await expectErrorEnvelope(
      await postJson(ts, defaults.create, { clientRequestId: uniqueId(), taskType: 'greet' }),
      404,
      'TASK_NOT_FOUND',
    );
    for (const path of [
      `${defaults.events(taskId)}?waitTimeoutMs=0`,
      defaults.stream(taskId),
      defaults.status(taskId),
    ]) {
      await expectErrorEnvelope(await ts.request(path, { subject: 'alice' }), 404, 'TASK_NOT_FOUND');
    }
    await expectErrorEnvelope(await postJson(ts, defaults.cancel(taskId), {}), 404, 'TASK_NOT_FOUND');
    const ws = sessions.connect(`${ts.wsUrl}${defaults.websocket}`, { subject: 'alice' });
    await ws.closed;
    expect(ws.refusedStatus).toBe(404);
  });
});

describe('E1 task status', () => {
  let ts: TestServer;
  beforeAll(async () => {
    ts = await startTestServer();
  });
  afterAll(() => ts.close());

  it('reports taskType, status, timestamps, lastEventId and the terminal event', async () => {
    const paths = taskPaths();
    const taskId = await ts.createTask('greet', { name: 'E1' });
    const events = await collectUntilTerminal(ts, taskId);
    const res = await ts.request(paths.status(taskId), { subject: 'alice' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as TaskStatusResponse;
    expect(body).toEqual({
      taskId,
      taskType: 'greet',
      status: 'COMPLETED',
      createdAt: expect.stringMatching(/Z$/),
      updatedAt: expect.stringMatching(/Z$/),
      lastEventId: events.at(-1)?.eventId,
      terminalEvent: events.at(-1),
    });
    expect(Date.parse(body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(body.createdAt));
  });

  it('reports terminalEvent null while running', async () => {
    const paths = taskPaths();
    const taskId = await ts.createTask('approval', {});
    const { event } = await waitForEvent(ts, taskId, (e) => e.type === 'TASK_SUSPENDED');
    const body = (await (
      await ts.request(paths.status(taskId), { subject: 'alice' })
    ).json()) as TaskStatusResponse;
    expect(body).toMatchObject({ status: 'RUNNING', lastEventId: event.eventId, terminalEvent: null });
    await postJson(ts, paths.cancel(taskId), {});
  });
});

describe('E2 capabilities reflect the configuration (H7)', () => {
  it('lists every transport and the configured heartbeat intervals by default', async () => {
    const ts = await startTestServer({ heartbeatIntervalMs: { websocket: 7000, sse: 3000 } });
    try {
      const res = await ts.request('/api/v1/capabilities');
      expect(res.status).toBe(200);
      const caps = (await res.json()) as CapabilitiesResponse;
      expect(caps.protocolVersion).toBe(PROTOCOL_VERSION);
      expect(caps.transports).toEqual(['websocket', 'sse', 'polling']);
      expect(caps.heartbeatIntervalMs).toEqual({ websocket: 7000, sse: 3000 });
      // The backend's retention, whatever its defaults (protocol/SPEC.md §11), and the extension.
      expect(caps.retention).toEqual(ts.server.engine.backend.retention);
      expect(caps.retention.maxEventsPerTask).not.toBeUndefined();
      expect(caps.extensions).toContain('history-trimmed');
      expect(caps.limits).toEqual({
        maxEventsPerPoll: 500,
        maxWaitTimeoutMs: 60000,
        maxUploadBytes: 10 * 1024 * 1024,
      });
      expect(caps.routes).toMatchObject({
        create: '/api/v1/tasks',
        events: '/api/v1/tasks/{taskId}/events',
        stream: '/api/v1/tasks/{taskId}/events/stream',
        websocket: '/api/v1/tasks/ws',
        status: '/api/v1/tasks/{taskId}',
      });
    } finally {
      await ts.close();
    }
  });

  it('drops a disabled SSE transport from capabilities and 404s its route', async () => {
    const ts = await startTestServer({ transports: { sse: false } });
    try {
      const caps = (await (await ts.request('/api/v1/capabilities')).json()) as CapabilitiesResponse;
      expect(caps.transports).toEqual(['websocket', 'polling']);
      expect(caps.routes.stream).toBeUndefined();
      const taskId = await ts.createTask('greet');
      await expectErrorEnvelope(
        await ts.request(taskPaths().stream(taskId), { subject: 'alice' }),
        404,
        'TASK_NOT_FOUND',
      );
      // The other transports still work.
      expect((await collectUntilTerminal(ts, taskId)).at(-1)?.type).toBe('TASK_COMPLETED');
    } finally {
      await ts.close();
    }
  });

  it('drops disabled WebSocket and polling transports and refuses their routes', async () => {
    const ts = await startTestServer({ transports: { websocket: false, polling: false } });
    try {
      const caps = (await (await ts.request('/api/v1/capabilities')).json()) as CapabilitiesResponse;
      expect(caps.transports).toEqual(['sse']);
      expect(caps.routes.websocket).toBeUndefined();
      expect(caps.routes.events).toBeUndefined();
      const taskId = await ts.createTask('greet');
      await expectErrorEnvelope(
        await ts.request(`${taskPaths().events(taskId)}?waitTimeoutMs=0`, { subject: 'alice' }),
        404,
        'TASK_NOT_FOUND',
      );
      const ws = sessions.connect(`${ts.wsUrl}${taskPaths().websocket}`, { subject: 'alice' });
      await ws.closed;
      expect(ws.refusedStatus).toBe(404);
    } finally {
      await ts.close();
    }
  });
});

describe('health, readiness and shutdown', () => {
  it('/health answers {status:"ok"} and /ready 200 {status:"ready"}', async () => {
    const ts = await startTestServer();
    try {
      const health = await ts.request('/health');
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok' });
      const ready = await ts.request('/ready');
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ready', details: {} });
    } finally {
      await ts.close();
    }
  });

  it('/ready answers 503 not_ready once close() has begun', async () => {
    const ts = await startTestServer();
    // The closing server refuses new connections, so read /ready through a second listener on the
    // same Express app (whose readiness flag close() clears).
    const mirror: Server = createServer(ts.server.app);
    await new Promise<void>((resolve) => mirror.listen(0, '127.0.0.1', resolve));
    const mirrorUrl = `http://127.0.0.1:${(mirror.address() as AddressInfo).port}`;
    try {
      expect((await fetch(`${mirrorUrl}/ready`)).status).toBe(200);
      const closing = ts.close();
      const res = await fetch(`${mirrorUrl}/ready`);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ status: 'not_ready', details: {} });
      await closing;
    } finally {
      await new Promise<void>((resolve) => {
        mirror.close(() => resolve());
        mirror.closeAllConnections();
      });
    }
  });

  it('close() ends long polls, SSE responses and WebSockets (1001)', async () => {
    const ts = await startTestServer();
    const paths = taskPaths();
    const taskId = await ts.createTask('approval', {});
    const { event } = await waitForEvent(ts, taskId, (e) => e.type === 'TASK_SUSPENDED');
    const longPoll = ts.request(`${paths.events(taskId)}?afterEventId=${event.eventId}&waitTimeoutMs=60000`, {
      subject: 'alice',
    });
    const sse = await openSse(`${ts.url}${paths.stream(taskId)}`, {
      headers: { authorization: 'Bearer alice' },
    });
    streams.push(sse);
    const ws = sessions.connect(`${ts.wsUrl}${paths.websocket}`, { subject: 'alice' });
    await ws.subscribe(taskId);
    await vi.waitFor(() => expect(ws.messages.length).toBeGreaterThanOrEqual(2));
    await vi.waitFor(() => expect(ts.server.engine.subscriptionCount).toBe(2));

    const t0 = Date.now();
    await ts.close();
    const polled = await longPoll;
    expect(polled.status).toBe(200);
    expect(((await polled.json()) as { events: unknown[] }).events).toEqual([]);
    expect((await ws.closed).code).toBe(CloseCode.GOING_AWAY);
    await vi.waitFor(() => expect(sse.ended).toBe(true));
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});
