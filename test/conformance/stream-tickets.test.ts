/**
 * protocol/SPEC.md §12 — single-use stream tickets: minted over an authenticated POST for one of the
 * caller's tasks, redeemed once with `?ticket=` on the SSE URL and the WebSocket upgrade, refused
 * when used, expired (an injected clock, no sleeping) or for another task; advertised by
 * capabilities; absent when turned off. Against the Express server and the MSW kit.
 */
import { CloseCode, type CapabilitiesResponse, type StreamTicketResponse } from '@taskbridge/protocol';
import { createMemoryTicketStore } from '@taskbridge/server-reference';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openSse } from '../support/hazard-streams';
import { expectErrorEnvelope, postJson, taskPaths } from '../support/protocol-calls';
import { startTestServer, type TestServer } from '../support/reference-server';
import { WsSessions } from '../support/ws-client';

const paths = taskPaths();
const TICKETS = '/api/v1/stream-tickets';
const TTL_MS = 30_000;
const sessions = new WsSessions();
let now = Date.UTC(2030, 0, 1);
let ts: TestServer;

beforeAll(async () => {
  ts = await startTestServer({
    streamTickets: { ttlMs: TTL_MS, now: () => now, store: createMemoryTicketStore({ now: () => now }) },
    heartbeatIntervalMs: { websocket: 60_000, sse: 60_000 },
  });
});
afterEach(() => sessions.closeAll());
afterAll(() => ts.close());

async function mint(taskId: string, subject = 'alice'): Promise<StreamTicketResponse> {
  const res = await postJson(ts, TICKETS, { taskId }, subject);
  expect(res.status).toBe(201);
  return (await res.json()) as StreamTicketResponse;
}

/** Reads an SSE response with no credentials but the URL's. */
function sseWithTicket(taskId: string, ticket: string) {
  return ts.request(`${paths.stream(taskId)}?ticket=${encodeURIComponent(ticket)}`);
}

describe('minting (POST /api/v1/stream-tickets)', () => {
  it('201 with a 256-bit base64url ticket, the taskId and expiresAt = now + TTL', async () => {
    const taskId = await ts.createTask('greet');
    const body = await mint(taskId);
    expect(body).toEqual({
      ticket: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      taskId,
      expiresAt: new Date(now + TTL_MS).toISOString(),
    });
  });

  it('404 for an unknown or a foreign task (same masking as every route), 401 without credentials', async () => {
    const taskId = await ts.createTask('greet', {}, 'alice');
    await expectErrorEnvelope(await postJson(ts, TICKETS, { taskId }, 'mallory'), 404, 'TASK_NOT_FOUND');
    await expectErrorEnvelope(
      await postJson(ts, TICKETS, { taskId: 'nope' }, 'alice'),
      404,
      'TASK_NOT_FOUND',
    );
    const anonymous = await ts.request(TICKETS, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ taskId }),
    });
    await expectErrorEnvelope(anonymous, 401, 'AUTHENTICATION_ERROR');
  });

  it.each([[{}], [{ taskId: 42 }], [{ taskId: '' }], [undefined]])('400 for the body %j', async (body) => {
    await expectErrorEnvelope(await postJson(ts, TICKETS, body, 'alice'), 400, 'INVALID_REQUEST');
  });

  it('is advertised by capabilities with its route', async () => {
    const caps = (await (await ts.request(paths.capabilities)).json()) as CapabilitiesResponse;
    expect(caps.streamTickets).toBe(true);
    expect(caps.routes.streamTickets).toBe(TICKETS);
  });
});

describe('redeeming on SSE', () => {
  it('streams the task with only the ticket in the URL, then refuses the same ticket (single use)', async () => {
    const taskId = await ts.createTask('ticker', { count: 5 });
    const { ticket } = await mint(taskId);
    const res = await sseWithTicket(taskId, ticket);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text.match(/^id: /gm)).toHaveLength(7);
    const again = await sseWithTicket(taskId, ticket);
    const body = await expectErrorEnvelope(again, 401, 'AUTHENTICATION_ERROR');
    expect(JSON.stringify(body)).not.toContain(ticket);
  });

  it('refuses an expired ticket and a ticket minted for another task', async () => {
    const taskId = await ts.createTask('greet');
    const other = await ts.createTask('greet');
    const expiring = await mint(taskId);
    now += TTL_MS;
    await expectErrorEnvelope(await sseWithTicket(taskId, expiring.ticket), 401, 'AUTHENTICATION_ERROR');
    const foreign = await mint(other);
    await expectErrorEnvelope(await sseWithTicket(taskId, foreign.ticket), 401, 'AUTHENTICATION_ERROR');
    await expectErrorEnvelope(await sseWithTicket(taskId, 'made-up'), 401, 'AUTHENTICATION_ERROR');
  });

  it('keeps the minting caller: the ticket carries alice, whoever presents it', async () => {
    const taskId = await ts.createTask('ticker', { count: 2 }, 'alice');
    const { ticket } = await mint(taskId, 'alice');
    // A foreign bearer next to the ticket changes nothing: the ticket decides.
    const sse = openSse(ts.url, `${paths.stream(taskId)}?ticket=${ticket}`, { subject: 'mallory' });
    expect(await sse.opened).toBe(200);
    await sse.done;
    expect(sse.events).toHaveLength(4);
  });
});

describe('redeeming on the WebSocket upgrade', () => {
  it('subscribes with only the ticket in the URL; the same ticket again is closed 1008', async () => {
    const taskId = await ts.createTask('ticker', { count: 3 });
    const { ticket } = await mint(taskId);
    const ws = sessions.connect(`${ts.wsUrl}${paths.websocket}?ticket=${ticket}`, {});
    await ws.subscribe(taskId);
    expect((await ws.closed).code).toBe(CloseCode.NORMAL);
    expect(ws.messages.filter((m) => (m as { eventId?: string }).eventId !== undefined)).toHaveLength(5);
    const reused = sessions.connect(`${ts.wsUrl}${paths.websocket}?ticket=${ticket}`, {});
    await reused.subscribe(taskId);
    expect(await reused.closed).toEqual({
      code: CloseCode.POLICY_VIOLATION,
      reason: 'authentication failed',
    });
  });

  it('closes 1008 for a subscribe to another task than the ticket names, and for an expired ticket', async () => {
    const taskId = await ts.createTask('greet');
    const other = await ts.createTask('greet');
    const { ticket } = await mint(taskId);
    const wrongTask = sessions.connect(`${ts.wsUrl}${paths.websocket}?ticket=${ticket}`, {});
    await wrongTask.subscribe(other);
    expect(await wrongTask.closed).toEqual({
      code: CloseCode.POLICY_VIOLATION,
      reason: 'stream ticket not valid for this task',
    });
    const expiring = await mint(taskId);
    now += TTL_MS + 1;
    const expired = sessions.connect(`${ts.wsUrl}${paths.websocket}?ticket=${expiring.ticket}`, {});
    await expired.subscribe(taskId);
    expect((await expired.closed).code).toBe(CloseCode.POLICY_VIOLATION);
  });

  it('is never accepted on other routes', async () => {
    const taskId = await ts.createTask('greet');
    const { ticket } = await mint(taskId);
    await expectErrorEnvelope(
      await ts.request(`${paths.status(taskId)}?ticket=${ticket}`),
      401,
      'AUTHENTICATION_ERROR',
    );
  });
});

describe('turned off', () => {
  it('no route, not advertised, and a ticket in a stream URL is refused', async () => {
    const off = await startTestServer({ streamTickets: false });
    try {
      const caps = (await (await off.request(paths.capabilities)).json()) as CapabilitiesResponse;
      expect(caps.streamTickets).toBeUndefined();
      expect(caps.routes.streamTickets).toBeUndefined();
      await expectErrorEnvelope(
        await postJson(off, TICKETS, { taskId: 'x' }, 'alice'),
        404,
        'TASK_NOT_FOUND',
      );
      const taskId = await off.createTask('greet');
      const res = await off.request(`${paths.stream(taskId)}?ticket=${'A'.repeat(43)}`);
      const body = await expectErrorEnvelope(res, 401, 'AUTHENTICATION_ERROR');
      expect(body.message).toContain('not enabled');
    } finally {
      await off.close();
    }
  });
});
