/**
 * H7 — hard-coded capability claims. `GET /api/v1/capabilities` must describe the server as
 * configured: a disabled transport is neither advertised nor served, and the heartbeat intervals and
 * retention are the configured ones.
 */
import { type CapabilitiesResponse, parseErrorEnvelope, type TransportName } from '@taskbridge/protocol';
import type { ReferenceServerOptions } from '@taskbridge/server-reference';
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { testBackend } from '../support/backend-fixture';
import { settleWithin } from '../support/hazard-deferred';
import { openSse, openWs, pollOnce, terminalLog } from '../support/hazard-streams';
import { startTestServer, type TestServer } from '../support/reference-server';

const PROMPT_MS = 3_000;
const HEARTBEATS = { websocket: 12_345, sse: 6_789 };
const ALL: TransportName[] = ['websocket', 'sse', 'polling'];
// Every retention setting differs from the defaults, so each must come from the configuration.
const RETENTION = { maxEventsPerTask: 77, finishedTaskTtlMs: 123_000, idempotencyTtlMs: 456_000 };

let server: TestServer | undefined;
const cleanups: (() => void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  await server?.close();
  server = undefined;
});

async function start(options: ReferenceServerOptions): Promise<TestServer> {
  server = await startTestServer(options);
  return server;
}

async function capabilities(s: TestServer): Promise<CapabilitiesResponse> {
  const res = await s.request('/api/v1/capabilities', { subject: 'alice' });
  expect(res.status).toBe(200);
  return (await res.json()) as CapabilitiesResponse;
}

/** The WebSocket upgrade's outcome: the HTTP status if refused, or 'open'. */
function upgrade(s: TestServer): Promise<number | 'open'> {
  return new Promise((resolve) => {
    const socket = new WebSocket(`${s.wsUrl}/api/v1/tasks/ws`);
    cleanups.push(() => socket.terminate());
    socket.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    socket.on('open', () => resolve('open'));
    socket.on('error', () => undefined);
  });
}

/** Expects a 404 JSON error envelope. */
async function expectNotFoundEnvelope(res: Response): Promise<void> {
  expect(res.status).toBe(404);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const envelope = parseErrorEnvelope(await res.json());
  expect(envelope.ok).toBe(true);
}

describe('H7: capabilities come from the configuration', () => {
  it('all transports enabled: all advertised with the configured heartbeats and retention', async () => {
    const s = await start({
      heartbeatIntervalMs: HEARTBEATS,
      backend: await testBackend(RETENTION),
    });
    const caps = await capabilities(s);
    expect(caps.transports).toEqual(ALL);
    expect(caps.heartbeatIntervalMs).toEqual(HEARTBEATS);
    expect(caps.retention).toEqual(RETENTION);
    expect(caps.extensions).toEqual(['history-trimmed']);
    expect(await upgrade(s)).toBe('open');
  });

  it.each(ALL)('%s disabled: omitted from capabilities and not served', async (disabled) => {
    const s = await start({ transports: { [disabled]: false }, heartbeatIntervalMs: HEARTBEATS });
    const caps = await capabilities(s);
    expect(caps.transports).toEqual(ALL.filter((t) => t !== disabled));
    expect(caps.heartbeatIntervalMs).toEqual(HEARTBEATS);
    const routeKey = { websocket: 'websocket', sse: 'stream', polling: 'events' }[disabled];
    expect(Object.keys(caps.routes)).not.toContain(routeKey);

    // A real, finished task, so a 404 can only mean "no such route".
    const taskId = await s.createTask('greet');
    await vi.waitFor(async () => {
      const res = await s.request(`/api/v1/tasks/${taskId}`, { subject: 'alice' });
      expect(((await res.json()) as { status: string }).status).toBe('COMPLETED');
    });

    const sse = await s.request(`/api/v1/tasks/${taskId}/events/stream`, { subject: 'alice' });
    const poll = await s.request(`/api/v1/tasks/${taskId}/events?waitTimeoutMs=0`, { subject: 'alice' });
    if (disabled === 'sse') await expectNotFoundEnvelope(sse);
    else {
      expect(sse.status).toBe(200);
      expect(sse.headers.get('content-type')).toMatch(/^text\/event-stream/);
      await sse.body?.cancel();
    }
    if (disabled === 'polling') await expectNotFoundEnvelope(poll);
    else expect(poll.status).toBe(200);

    const outcome = await settleWithin(upgrade(s), PROMPT_MS, 'websocket upgrade');
    if (disabled === 'websocket') expect(outcome).toBe(404);
    else expect(outcome).toBe('open');
  });

  it('the advertised heartbeat interval is the one the streams use', async () => {
    const s = await start({ heartbeatIntervalMs: { websocket: 150, sse: 150 } });
    const caps = await capabilities(s);
    expect(caps.heartbeatIntervalMs).toEqual({ websocket: 150, sse: 150 });
    const taskId = await s.createTask('ticker', { count: 1_000, intervalMs: 60_000 });
    await vi.waitFor(() => pollOnce(s.request, taskId).then((p) => expect(p.events).toHaveLength(1)));

    const sse = openSse(s.url, `/api/v1/tasks/${taskId}/events/stream`);
    const ws = openWs(s.wsUrl, taskId);
    cleanups.push(
      () => sse.close(),
      () => ws.close(),
    );
    await settleWithin(ws.acked, PROMPT_MS, 'websocket ack');
    // Each sends one heartbeat right after replay; more only come from the configured interval.
    await vi.waitFor(
      () => {
        expect(sse.heartbeats).toBeGreaterThanOrEqual(2 * 3);
        expect(ws.heartbeats).toBeGreaterThanOrEqual(3);
      },
      { timeout: 2_000, interval: 20 },
    );
    expect(sse.ended).toBe(false);
    await s.request(`/api/v1/tasks/${taskId}/cancel`, { method: 'POST', subject: 'alice' });
    await vi.waitFor(() => terminalLog(s.request, taskId));
  });
});
