/**
 * Safe by default (protocol/SPEC.md §8, §9): a server without configured auth refuses to start; the
 * demo resolver only by name, with a startup warning and no anonymous fallback unless configured;
 * the `access_token` query parameter only when configured; the access log with credentials
 * redacted; error envelopes that do not tell a caller what the server runs.
 */
import {
  createDemoAuthResolver,
  createReferenceServer,
  type LogEntry,
  type ReferenceServerOptions,
} from '@taskbridge/server-reference';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { expectErrorEnvelope, taskPaths, uniqueId } from '../support/protocol-calls';
import { startTestServer, type TestServer } from '../support/reference-server';
import { WsSessions } from '../support/ws-client';

const paths = taskPaths();
const sessions = new WsSessions();
const servers: TestServer[] = [];

afterEach(async () => {
  sessions.closeAll();
  vi.restoreAllMocks();
  for (const ts of servers.splice(0)) await ts.close();
});

async function start(options: ReferenceServerOptions = {}): Promise<TestServer> {
  const ts = await startTestServer(options);
  servers.push(ts);
  return ts;
}

const createBody = () => JSON.stringify({ clientRequestId: uniqueId(), taskType: 'greet', input: {} });

describe('no auth configured', () => {
  it('createReferenceServer refuses to start, and says what to configure', () => {
    expect(() => createReferenceServer({})).toThrow(TypeError);
    expect(() => createReferenceServer({ handlers: {} })).toThrow(
      /createJwtAuthResolver.*createDemoAuthResolver/s,
    );
    expect(() => (createReferenceServer as (options?: ReferenceServerOptions) => unknown)()).toThrow(
      TypeError,
    );
  });
});

describe('the demo resolver, by name', () => {
  it('warns at startup through the logger', async () => {
    const logs: LogEntry[] = [];
    await start({ logger: (entry) => logs.push(entry) });
    expect(logs).toContainEqual(
      expect.objectContaining({ level: 'warn', msg: expect.stringContaining('demo auth') }),
    );
  });

  it('warns once per process when no logger is set', async () => {
    const emit = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const first = createReferenceServer({ auth: createDemoAuthResolver() });
    const second = createReferenceServer({ auth: createDemoAuthResolver() });
    try {
      await first.listen(0);
      await second.listen(0);
    } finally {
      await first.close();
      await second.close();
    }
    // Each test file runs in its own process, and every other server here has a logger.
    expect(emit.mock.calls).toHaveLength(1);
    for (const [message, options] of emit.mock.calls) {
      expect(String(message)).toContain('demo auth');
      expect(options).toMatchObject({ code: 'TASKBRIDGE_DEMO_AUTH' });
    }
  });

  it('has no anonymous fallback unless configured', async () => {
    const strict = await start();
    const res = await strict.request(paths.create, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: createBody(),
    });
    await expectErrorEnvelope(res, 401, 'AUTHENTICATION_ERROR');
    const open = await start({ auth: createDemoAuthResolver({ anonymousSubject: 'guest' }) });
    const ok = await open.request(paths.create, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: createBody(),
    });
    expect(ok.status).toBe(201);
  });
});

describe('the access_token query parameter (protocol/SPEC.md §9)', () => {
  it('is refused by default on HTTP, SSE and the WebSocket, with a hint', async () => {
    const ts = await start();
    const taskId = await ts.createTask('greet', {}, 'alice');
    const poll = await ts.request(`${paths.events(taskId)}?access_token=alice`);
    const body = await expectErrorEnvelope(poll, 401, 'AUTHENTICATION_ERROR');
    expect(body.message).toContain('stream ticket');
    const sse = await ts.request(`${paths.stream(taskId)}?access_token=alice`);
    await expectErrorEnvelope(sse, 401, 'AUTHENTICATION_ERROR');
    const ws = sessions.connect(`${ts.wsUrl}${paths.websocket}?access_token=alice`, {});
    await ws.subscribe(taskId);
    expect((await ws.closed).code).toBe(1008);
  });

  it('is ignored (not refused) next to an Authorization header, and never reaches the resolver', async () => {
    const ts = await start();
    const taskId = await ts.createTask('greet', {}, 'alice');
    const res = await ts.request(`${paths.status(taskId)}?access_token=mallory`, { subject: 'alice' });
    expect(res.status).toBe(200);
  });
});

describe('error envelopes tell a caller nothing about the server or other users', () => {
  it('an unknown taskType does not list the task types the server runs', async () => {
    const ts = await start();
    const res = await ts.request(paths.create, {
      method: 'POST',
      subject: 'alice',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ clientRequestId: uniqueId(), taskType: 'nope' }),
    });
    const body = await expectErrorEnvelope(res, 400, 'INVALID_REQUEST');
    expect(body.details).toEqual({ taskType: 'nope' });
    for (const taskType of ['greet', 'summarize', 'approval', 'ticker'])
      expect(JSON.stringify(body)).not.toContain(taskType);
  });

  it('a foreign task answers exactly as an unknown one', async () => {
    const ts = await start();
    const taskId = await ts.createTask('greet', {}, 'alice');
    const strip = (body: Record<string, unknown>, id: string) =>
      JSON.stringify({ ...body, timestamp: undefined }).replaceAll(id, '<id>');
    for (const path of [paths.status, paths.events, paths.stream]) {
      const foreign = (await (await ts.request(path(taskId), { subject: 'mallory' })).json()) as Record<
        string,
        unknown
      >;
      const unknown = (await (
        await ts.request(path('no-such-task'), { subject: 'mallory' })
      ).json()) as Record<string, unknown>;
      expect(strip(foreign, taskId)).toBe(strip(unknown, 'no-such-task'));
    }
  });
});

describe('access log', () => {
  it('one entry per request and per WebSocket, credentials redacted, no headers', async () => {
    const logs: LogEntry[] = [];
    const ts = await start({ logger: (entry) => logs.push(entry), allowAccessTokenQuery: true });
    // The demo resolver: the token is the subject.
    const taskId = await ts.createTask('greet', {}, 'sekrit-token');
    await (await ts.request(`${paths.status(taskId)}?access_token=sekrit-token&x=1`)).text();
    await (await ts.request(`${paths.stream(taskId)}?ticket=sekrit-ticket`)).text();
    const ws = sessions.connect(`${ts.wsUrl}${paths.websocket}?access_token=sekrit-token`, {});
    await ws.subscribe(taskId);
    await ws.closed;
    await vi.waitFor(() => expect(logs.filter((e) => e.msg === 'access')).toHaveLength(4));
    const access = logs.filter((e) => e.msg === 'access');
    expect(access.map((e) => [e.method, e.url, e.status])).toEqual([
      ['POST', paths.create, 201],
      ['GET', `${paths.status(taskId)}?access_token=REDACTED&x=1`, 200],
      ['GET', `${paths.stream(taskId)}?ticket=REDACTED`, 401],
      ['GET', `${paths.websocket}?access_token=REDACTED`, 101],
    ]);
    expect(access[3]).toMatchObject({ closeCode: 1000 });
    for (const entry of access) expect(typeof entry.durationMs).toBe('number');
    const text = JSON.stringify(logs);
    expect(text).not.toContain('sekrit');
    expect(text).not.toContain('Bearer');
  });

  it('is off with accessLog: false', async () => {
    const logs: LogEntry[] = [];
    const ts = await start({ logger: (entry) => logs.push(entry), accessLog: false });
    await ts.createTask('greet', {}, 'alice');
    expect(logs.filter((e) => e.msg === 'access')).toEqual([]);
  });
});
