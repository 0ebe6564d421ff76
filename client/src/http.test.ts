import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TaskBridgeError } from '@taskbridge/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createHttpApi } from './http';
import { errorFromResponse, parseRetryAfter } from './errors';
import { type ConnectionOptions, createTransportContext } from './platform';
import { createRouteResolver } from './routes';

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

let server: Server;
let baseUrl: string;
let received: Received[];
/** Per test: answers, one per request, in order; a request past the end is held open. */
let script: Array<(res: ServerResponse, request: Received) => void>;

const json =
  (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  (res: ServerResponse) =>
    res
      .writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers })
      .end(JSON.stringify(body));
const envelope = (code: string, message = 'failed', details: object = {}) => ({
  code,
  message,
  details,
  timestamp: '2026-01-01T00:00:00Z',
});
const created = { taskId: 't1', status: 'ACCEPTED', clientRequestId: 'r1', deduplicated: false };

beforeEach(async () => {
  received = [];
  script = [];
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
      };
      received.push(request);
      script.shift()?.(res, request);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const api = (options: Partial<ConnectionOptions> = {}) =>
  createHttpApi(createTransportContext({ baseUrl, ...options }));
const bodyOf = (request: Received | undefined) => JSON.parse(String(request?.body)) as unknown;

async function rejection(promise: Promise<unknown>): Promise<TaskBridgeError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof TaskBridgeError))
    throw new Error(`expected a TaskBridgeError, got ${String(error)}`);
  return error;
}

describe('createTask', () => {
  it('posts JSON with credentials and always sends input', async () => {
    script = [json(created, 201)];
    const result = await api({ getAccessToken: async () => 'tok', headers: { 'x-tenant': 'a' } }).createTask({
      clientRequestId: 'r1',
      taskType: 'greet',
    });
    expect(result).toEqual(created);
    const [request] = received;
    expect(request).toMatchObject({ method: 'POST', url: '/api/v1/tasks' });
    expect(request?.headers).toMatchObject({
      authorization: 'Bearer tok',
      'x-tenant': 'a',
      'content-type': 'application/json',
      accept: 'application/json',
    });
    expect(bodyOf(request)).toStrictEqual({ clientRequestId: 'r1', taskType: 'greet', input: {} });
  });

  it('posts multipart with JSON text parts and attachments parts when files are given', async () => {
    script = [json({ ...created, deduplicated: true })];
    const result = await api().createTask({
      clientRequestId: 'r1',
      taskType: 'summarize',
      input: { lang: 'en' },
      metadata: { source: 'test' },
      files: [
        new File(['hello'], 'a.txt', { type: 'text/plain' }),
        { blob: new Blob(['world']), filename: 'b.md' },
      ],
    });
    expect(result.deduplicated).toBe(true);
    const [request] = received;
    const contentType = String(request?.headers['content-type']);
    expect(contentType).toMatch(/^multipart\/form-data; boundary=/);
    const form = await new Response(new Uint8Array(request?.body ?? []), {
      headers: { 'content-type': contentType },
    }).formData();
    expect(form.get('clientRequestId')).toBe('r1');
    expect(form.get('taskType')).toBe('summarize');
    expect(JSON.parse(String(form.get('input')))).toEqual({ lang: 'en' });
    expect(JSON.parse(String(form.get('metadata')))).toEqual({ source: 'test' });
    const files = form.getAll('attachments') as File[];
    expect(files.map((f) => f.name)).toEqual(['a.txt', 'b.md']);
    expect(await Promise.all(files.map((f) => f.text()))).toEqual(['hello', 'world']);
  });
});

describe('H5: status first, then content type, then schema', () => {
  it.each([
    [400, 'INVALID_REQUEST', false],
    [401, 'AUTHENTICATION_ERROR', false],
    [403, 'TASK_OWNERSHIP_ERROR', false],
    [404, 'TASK_NOT_FOUND', false],
    [409, 'IDEMPOTENCY_CONFLICT', false],
    [413, 'PAYLOAD_TOO_LARGE', false],
    [422, 'REQUEST_VALIDATION_ERROR', false],
    [429, 'RATE_LIMITED', true],
    [500, 'SERVER_ERROR', true],
    [503, 'SERVER_ERROR', true],
  ] as const)('maps HTTP %i without an envelope to %s', async (status, code, retryable) => {
    // The peer's plain-text 500 bodies (protocol/SPEC.md §2) included.
    script = [(res) => res.writeHead(status, { 'content-type': 'text/plain' }).end('Internal Server Error')];
    const error = await rejection(api().createTask({ clientRequestId: 'r1', taskType: 'greet' }));
    expect(error).toMatchObject({ code, status, retryable });
  });

  it('takes code, message and details from the envelope', async () => {
    script = [json(envelope('IDEMPOTENCY_CONFLICT', 'input differs', { clientRequestId: 'r1' }), 409)];
    const error = await rejection(api().createTask({ clientRequestId: 'r1', taskType: 'greet' }));
    expect(error).toMatchObject({
      code: 'IDEMPOTENCY_CONFLICT',
      message: 'input differs',
      status: 409,
      retryable: false,
      details: { clientRequestId: 'r1' },
    });
  });

  it('keeps the status classification for an unknown envelope code and a 503 submission error', async () => {
    script = [json(envelope('SOMETHING_ELSE'), 418), json(envelope('TASK_SUBMISSION_ERROR'), 503)];
    const unknown = await rejection(api().createTask({ clientRequestId: 'r1', taskType: 'greet' }));
    expect(unknown).toMatchObject({
      code: 'UNEXPECTED_RESPONSE',
      status: 418,
      details: { serverCode: 'SOMETHING_ELSE' },
    });
    const busy = await rejection(api().createTask({ clientRequestId: 'r1', taskType: 'greet' }));
    expect(busy).toMatchObject({ code: 'TASK_SUBMISSION_ERROR', status: 503, retryable: true });
  });

  it('reads Retry-After on 429', async () => {
    script = [json(envelope('RATE_LIMITED'), 429, { 'retry-after': '7' })];
    const error = await rejection(api().cancelTask('t1'));
    expect(error).toMatchObject({ code: 'RATE_LIMITED', retryable: true, retryAfterMs: 7000 });
  });

  it('rejects a 2xx HTML page as UNEXPECTED_RESPONSE (retryable)', async () => {
    script = [(res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>proxy</html>')];
    const error = await rejection(api().createTask({ clientRequestId: 'r1', taskType: 'greet' }));
    expect(error).toMatchObject({ code: 'UNEXPECTED_RESPONSE', retryable: true, status: 200 });
  });

  it('rejects a JSON body that breaks the schema as PROTOCOL_ERROR', async () => {
    script = [json({ taskId: 't1', status: 'WHATEVER' }, 201)];
    const error = await rejection(api().createTask({ clientRequestId: 'r1', taskType: 'greet' }));
    expect(error).toMatchObject({ code: 'PROTOCOL_ERROR', retryable: false });
  });
});

describe('credentials refresh on 401', () => {
  it('refreshes once and retries with the new token', async () => {
    let token = 'old';
    const refreshAccessToken = vi.fn(async () => {
      token = 'new';
    });
    script = [json(envelope('AUTHENTICATION_ERROR'), 401), json(created, 201)];
    const result = await api({ getAccessToken: () => token, refreshAccessToken }).createTask({
      clientRequestId: 'r1',
      taskType: 'greet',
    });
    expect(result).toEqual(created);
    expect(refreshAccessToken).toHaveBeenCalledTimes(1);
    expect(received.map((r) => r.headers.authorization)).toEqual(['Bearer old', 'Bearer new']);
    expect(bodyOf(received[1])).toEqual(bodyOf(received[0]));
  });

  it('gives up after one retry', async () => {
    const refreshAccessToken = vi.fn(async () => undefined);
    script = [json(envelope('AUTHENTICATION_ERROR'), 401), json(envelope('AUTHENTICATION_ERROR'), 401)];
    const error = await rejection(api({ refreshAccessToken }).getTaskStatus('t1'));
    expect(error).toMatchObject({ code: 'AUTHENTICATION_ERROR', status: 401, retryable: false });
    expect(refreshAccessToken).toHaveBeenCalledTimes(1);
    expect(received).toHaveLength(2);
  });
});

describe('failures before a response', () => {
  it('reports a dropped connection as NETWORK_ERROR, retryable', async () => {
    script = [(res) => res.socket?.destroy()];
    const error = await rejection(api().createTask({ clientRequestId: 'r1', taskType: 'greet' }));
    expect(error).toMatchObject({ code: 'NETWORK_ERROR', retryable: true });
  });

  it('reports an abort as ABORTED', async () => {
    const controller = new AbortController();
    const pending = api().cancelTask('t1', undefined, { signal: controller.signal });
    await vi.waitFor(() => expect(received).toHaveLength(1));
    controller.abort();
    expect(await rejection(pending)).toMatchObject({ code: 'ABORTED', retryable: false });
  });
});

describe('other routes', () => {
  it('cancels with an optional reason', async () => {
    script = [
      json({ taskId: 't 1', status: 'CANCELLATION_REQUESTED' }, 202),
      json({ taskId: 't 1', status: 'ALREADY_TERMINAL' }, 202),
    ];
    expect(await api().cancelTask('t 1', 'user')).toEqual({
      taskId: 't 1',
      status: 'CANCELLATION_REQUESTED',
    });
    expect(await api().cancelTask('t 1')).toMatchObject({ status: 'ALREADY_TERMINAL' });
    expect(received.map((r) => r.url)).toEqual(['/api/v1/tasks/t%201/cancel', '/api/v1/tasks/t%201/cancel']);
    expect(received.map(bodyOf)).toEqual([{ reason: 'user' }, {}]);
  });

  it('submits an action on custom project routes', async () => {
    const action = { clientActionId: 'a1', suspendId: 's1', actionType: 'approve' };
    script = [json({ taskId: 't1', suspendId: 's1', clientActionId: 'a1', status: 'ACCEPTED' }, 202)];
    const http = api({
      routes: { actions: '/api/v1/projects/{projectId}/tasks/{taskId}/actions' },
      routeParams: { projectId: 'p1' },
    });
    expect(await http.submitAction('t1', { ...action, payload: { ok: true } })).toMatchObject({
      status: 'ACCEPTED',
    });
    expect(received[0]?.url).toBe('/api/v1/projects/p1/tasks/t1/actions');
    expect(bodyOf(received[0])).toStrictEqual({ ...action, payload: { ok: true } });
  });

  it('reads the task status (E1) with its terminal event', async () => {
    const terminalEvent = {
      type: 'TASK_COMPLETED',
      taskId: 't1',
      eventId: '5-0',
      createdAt: '2026-01-01T00:00:00Z',
      payload: { result: 1 },
    };
    const status = {
      taskId: 't1',
      taskType: 'greet',
      status: 'COMPLETED',
      createdAt: '2026-01-01T00:00:00Z',
      updatedAt: '2026-01-01T00:00:01Z',
      lastEventId: '5-0',
      terminalEvent,
    };
    script = [json(status), json({ ...status, terminalEvent: { type: 'TASK_COMPLETED' } })];
    expect(await api().getTaskStatus('t1')).toEqual(status);
    expect(received[0]).toMatchObject({ method: 'GET', url: '/api/v1/tasks/t1' });
    expect(await rejection(api().getTaskStatus('t1'))).toMatchObject({ code: 'PROTOCOL_ERROR' });
  });

  it('reads capabilities (E2), and resolves undefined on 404 (a peer)', async () => {
    const capabilities = { protocolVersion: 'taskbridge-v1', transports: ['websocket', 'sse', 'polling'] };
    script = [
      json(capabilities),
      json(envelope('TASK_NOT_FOUND'), 404),
      json(envelope('INTERNAL_ERROR'), 500),
    ];
    expect(await api().getCapabilities()).toEqual(capabilities);
    expect(await api().getCapabilities()).toBeUndefined();
    expect(await rejection(api().getCapabilities())).toMatchObject({
      code: 'INTERNAL_ERROR',
      retryable: true,
    });
    expect(received[0]?.url).toBe('/api/v1/capabilities');
  });
});

describe('errorFromResponse and parseRetryAfter', () => {
  it('parses Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it('uses an HTTP-date Retry-After on a 503 without a body', async () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    const response = new Response(null, {
      status: 503,
      headers: { 'retry-after': 'Thu, 01 Jan 2026 00:00:02 GMT' },
    });
    expect(await errorFromResponse(response, now)).toMatchObject({
      code: 'SERVER_ERROR',
      status: 503,
      retryable: true,
      retryAfterMs: 2000,
    });
  });
});

describe('route resolver', () => {
  it('keeps a base path prefix, fills extra params and accepts a function', () => {
    const templates = createRouteResolver({
      baseUrl: 'https://h.example/app/',
      routeParams: { projectId: 'p/1' },
    });
    expect(templates('events', { taskId: 't1' })).toBe('https://h.example/app/api/v1/tasks/t1/events');
    const projects = createRouteResolver({
      baseUrl: 'https://h.example',
      routes: { stream: '/p/{projectId}/t/{taskId}/s' },
      routeParams: { projectId: 'p/1' },
    });
    expect(projects('stream', { taskId: 't1' })).toBe('https://h.example/p/p%2F1/t/t1/s');
    expect(() => projects('events')).toThrow(RangeError);
    const fn = createRouteResolver({
      baseUrl: 'https://h.example',
      routes: (name, params) =>
        name === 'websocket' ? 'wss://rt.example/ws' : `/x/${name}/${params.taskId}`,
    });
    expect(fn('cancel', { taskId: 't1' })).toBe('https://h.example/x/cancel/t1');
    expect(fn('websocket')).toBe('wss://rt.example/ws');
  });
});
