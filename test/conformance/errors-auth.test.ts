/**
 * protocol/SPEC.md §8 and §9 — the JSON error envelope on every HTTP error (including 401/403/429/500 raised by
 * the auth hook), and ownership: another owner's task is a 404 (never 403) on every route and
 * transport, and the hook sees the request's headers, query and extra path params.
 */
import { CloseCode, TaskBridgeError } from '@taskbridge/protocol';
import { type AuthRequest, type AuthResolver, createDemoAuthResolver } from '@taskbridge/server-reference';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { expectErrorEnvelope, postJson, taskPaths, uniqueId, waitForEvent } from '../support/protocol-calls';
import { startTestServer, type TestServer } from '../support/reference-server';
import { WsSessions } from '../support/ws-client';

const paths = taskPaths();
const sessions = new WsSessions();
const seen: AuthRequest[] = [];
let ts: TestServer;

/**
 * The demo resolver, plus failures on demand through `x-test-fail` so one server can produce every
 * status the hook may cause.
 */
const demo = createDemoAuthResolver();
const auth: AuthResolver = (request) => {
  seen.push(request);
  switch (request.headers['x-test-fail']) {
    case 'forbidden':
      throw new TaskBridgeError({ code: 'TASK_OWNERSHIP_ERROR', message: 'not in this project' });
    case 'rate':
      throw new TaskBridgeError({ code: 'RATE_LIMITED', message: 'slow down', retryAfterMs: 1500 });
    case 'crash':
      throw new Error('secret connection string postgres://admin:hunter2@db');
    default:
      return demo(request);
  }
};

beforeAll(async () => {
  ts = await startTestServer({ auth });
});
afterEach(() => sessions.closeAll());
afterAll(() => ts.close());

const create = (headers: Record<string, string>, subject?: string) =>
  ts.request(paths.create, {
    method: 'POST',
    ...(subject === undefined ? {} : { subject }),
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ clientRequestId: uniqueId(), taskType: 'greet', input: {} }),
  });

describe('error envelope (§8)', () => {
  it('401 AUTHENTICATION_ERROR for credentials the resolver rejects', async () => {
    await expectErrorEnvelope(
      await create({ authorization: 'Basic YWxpY2U6eA==' }),
      401,
      'AUTHENTICATION_ERROR',
    );
  });

  it('403 TASK_OWNERSHIP_ERROR when the hook denies a create', async () => {
    await expectErrorEnvelope(
      await create({ 'x-test-fail': 'forbidden' }, 'alice'),
      403,
      'TASK_OWNERSHIP_ERROR',
    );
  });

  it('429 RATE_LIMITED with Retry-After in whole seconds', async () => {
    const res = await create({ 'x-test-fail': 'rate' }, 'alice');
    expect(res.headers.get('retry-after')).toBe('2');
    await expectErrorEnvelope(res, 429, 'RATE_LIMITED');
  });

  it('500 INTERNAL_ERROR as an envelope that leaks neither the message nor a stack', async () => {
    const res = await create({ 'x-test-fail': 'crash' }, 'alice');
    const text = await res.clone().text();
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('postgres');
    await expectErrorEnvelope(res, 500, 'INTERNAL_ERROR');
  });

  it('404 TASK_NOT_FOUND for an unknown route', async () => {
    const body = await expectErrorEnvelope(
      await ts.request('/api/v2/nothing', { subject: 'alice' }),
      404,
      'TASK_NOT_FOUND',
    );
    expect(body.details).toEqual({ reason: 'route_not_found' });
  });

  it('the same envelope on every route when the hook fails', async () => {
    const taskId = await ts.createTask('greet');
    const headers = { 'x-test-fail': 'rate' };
    const calls: [string, RequestInit][] = [
      [`${paths.events(taskId)}?waitTimeoutMs=0`, {}],
      [paths.stream(taskId), {}],
      [paths.status(taskId), {}],
      [paths.cancel(taskId), { method: 'POST' }],
      [
        paths.actions(taskId),
        { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } },
      ],
    ];
    for (const [path, init] of calls) {
      const res = await ts.request(path, {
        ...init,
        subject: 'alice',
        headers: { ...headers, ...(init.headers as Record<string, string> | undefined) },
      });
      await expectErrorEnvelope(res, 429, 'RATE_LIMITED');
    }
  });
});

describe('credentials (§9)', () => {
  let strict: TestServer;
  beforeAll(async () => {
    strict = await startTestServer({
      auth: createDemoAuthResolver({ anonymousSubject: null }),
      allowAccessTokenQuery: true,
    });
  });
  afterAll(() => strict.close());

  it('answers 401 when credentials are required and none are sent', async () => {
    const res = await strict.request(paths.create, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ clientRequestId: uniqueId(), taskType: 'greet' }),
    });
    await expectErrorEnvelope(res, 401, 'AUTHENTICATION_ERROR');
  });

  it('accepts the access_token query parameter on HTTP routes where the server allows it (E)', async () => {
    const taskId = await strict.createTask('greet', {}, 'dora');
    const res = await strict.request(`${paths.status(taskId)}?access_token=dora`);
    expect(res.status).toBe(200);
  });

  it('closes a WebSocket without credentials with 1008', async () => {
    const ws = sessions.connect(`${strict.wsUrl}${paths.websocket}`);
    await ws.subscribe('any');
    expect((await ws.closed).code).toBe(CloseCode.POLICY_VIOLATION);
  });
});

describe("another owner's task is 404 on every route and transport (§9)", () => {
  let taskId: string;
  let suspendId: string;
  beforeAll(async () => {
    taskId = await ts.createTask('approval', {}, 'alice');
    const { event } = await waitForEvent(ts, taskId, (e) => e.type === 'TASK_SUSPENDED');
    suspendId = (event.payload as { suspendId: string }).suspendId;
  });
  afterAll(async () => {
    await postJson(ts, paths.cancel(taskId), {}, 'alice');
  });

  it.each([
    ['E1 status', () => ts.request(paths.status(taskId), { subject: 'mallory' })],
    ['poll', () => ts.request(`${paths.events(taskId)}?waitTimeoutMs=0`, { subject: 'mallory' })],
    ['long poll', () => ts.request(`${paths.events(taskId)}?waitTimeoutMs=5000`, { subject: 'mallory' })],
    ['SSE', () => ts.request(paths.stream(taskId), { subject: 'mallory' })],
    ['cancel', () => postJson(ts, paths.cancel(taskId), { reason: 'x' }, 'mallory')],
    [
      'actions',
      () =>
        postJson(
          ts,
          paths.actions(taskId),
          { clientActionId: uniqueId(), suspendId, actionType: 'approve' },
          'mallory',
        ),
    ],
  ])('%s', async (_name, call) => {
    await expectErrorEnvelope(await call(), 404, 'TASK_NOT_FOUND');
    // The owner still sees the task, unchanged: the 404 is masking, not absence.
    const own = await ts.request(paths.status(taskId), { subject: 'alice' });
    expect(own.status).toBe(200);
    expect(((await own.json()) as { status: string }).status).toBe('RUNNING');
  });

  it('WebSocket: 1008 for the foreign subscriber, events for the owner', async () => {
    const foreign = sessions.connect(`${ts.wsUrl}${paths.websocket}`, { subject: 'mallory' });
    await foreign.subscribe(taskId);
    expect((await foreign.closed).code).toBe(CloseCode.POLICY_VIOLATION);
    expect(foreign.messages).toEqual([]);

    const owner = sessions.connect(`${ts.wsUrl}${paths.websocket}`, { subject: 'alice' });
    await owner.subscribe(taskId);
    await owner.opened;
    await expectEventually(() => owner.messages.length >= 2);
    expect(owner.messages[0]).toMatchObject({ type: 'SUBSCRIPTION_CONFIRMED', taskId });
  });
});

describe('what the auth hook receives (§9)', () => {
  it('headers, query and path params other than taskId', async () => {
    const taskId = await ts.createTask('greet');
    seen.length = 0;
    await ts.request(`${paths.status(taskId)}?tenant=t1`, {
      subject: 'alice',
      headers: { 'x-client': 'conf' },
    });
    const request = seen.at(-1) as AuthRequest;
    expect(request.method).toBe('GET');
    expect(request.headers.authorization).toBe('Bearer alice');
    expect(request.headers['x-client']).toBe('conf');
    expect(request.query).toEqual({ tenant: 't1' });
    expect(request.pathParams).toEqual({});
    expect(request.url).toBe(`${paths.status(taskId)}?tenant=t1`);
  });

  it('the WebSocket upgrade request', async () => {
    seen.length = 0;
    const ws = sessions.connect(`${ts.wsUrl}${paths.websocket}?tenant=t1`, { subject: 'alice' });
    await ws.opened;
    await expectEventually(() => seen.length > 0);
    expect(seen.at(-1)?.query).toEqual({ tenant: 't1' });
    expect(seen.at(-1)?.headers.authorization).toBe('Bearer alice');
  });
});

/** Polls a condition on the event loop (real sockets) until it holds, up to 3 s. */
async function expectEventually(condition: () => boolean): Promise<void> {
  await vi.waitFor(() => expect(condition()).toBe(true), { timeout: 3000, interval: 10 });
}
