import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventSource } from 'eventsource';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type ConnectionOptions, createTransportContext, EVENT_SOURCE_SENDS_HEADERS } from '../platform';
import { createSseTransport } from './sse';
import type { TransportMessage } from './transport';
import { errorOf } from './test-support';

const event = (eventId: string, type = 'TASK_MESSAGE', payload: object = { message: `m${eventId}` }) => ({
  type,
  taskId: 't1',
  eventId,
  createdAt: '2026-01-01T00:00:00Z',
  payload,
});
const frame = (value: object, id?: string) => `${id ? `id: ${id}\n` : ''}data: ${JSON.stringify(value)}\n\n`;
const completed = (eventId: string) => frame(event(eventId, 'TASK_COMPLETED', { result: 'done' }), eventId);

let server: Server;
let baseUrl: string;
let requests: IncomingMessage[];
let closedRequests: number;
/** Per test: how the server answers the SSE request. */
let respond: (res: ServerResponse) => void;

const streamHeaders = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
};

beforeEach(async () => {
  requests = [];
  closedRequests = 0;
  respond = (res) => res.writeHead(200, streamHeaders).end();
  server = createServer((req, res) => {
    requests.push(req);
    res.on('close', () => {
      closedRequests += 1;
    });
    respond(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function open(options: Partial<ConnectionOptions> = {}, cursor: string | null = null) {
  const context = createTransportContext({ baseUrl, platform: { EventSource }, ...options });
  const controller = new AbortController();
  const messages: TransportMessage[] = [];
  createSseTransport(context).connect(
    { taskId: 't1', getCursor: () => cursor, signal: controller.signal },
    (message) => messages.push(message),
  );
  const ended = () => messages.some((m) => m.type === 'error' || m.type === 'closed');
  return { controller, messages, ended };
}

describe('SSE transport', () => {
  it('streams events with Last-Event-ID and credentials, filters heartbeats, and closes after the terminal event', async () => {
    respond = (res) => {
      res.writeHead(200, streamHeaders);
      res.write(': padding\n\n');
      res.write(frame(event('5-0'), '5-0'));
      res.write(': heartbeat\n\n');
      res.write(frame({ type: 'HEARTBEAT', eventId: 'hb-1', taskId: 't1', live: true }));
      res.write(frame(event('6-0', 'TASK_COMPLETED', { message: 'peer quirk: no result' }), '6-0'));
      res.end();
    };
    const { messages, ended } = open({ getAccessToken: () => 'tok', headers: { 'x-tenant': 'a' } }, '4-0');
    await vi.waitFor(() => expect(ended()).toBe(true));

    expect(messages.map((m) => m.type)).toEqual(['open', 'event', 'heartbeat', 'event', 'closed']);
    expect(messages[1]).toMatchObject({ conformance: 'valid', event: { eventId: '5-0' } });
    expect(messages[3]).toMatchObject({
      conformance: 'off-schema-payload',
      event: { type: 'TASK_COMPLETED' },
    });
    expect(requests).toHaveLength(1);
    const headers = requests[0]?.headers;
    expect(requests[0]?.url).toBe('/api/v1/tasks/t1/events/stream');
    expect(headers?.['last-event-id']).toBe('4-0');
    expect(headers?.authorization).toBe('Bearer tok');
    expect(headers?.['x-tenant']).toBe('a');
    expect(headers?.accept).toBe('text/event-stream');
  });

  it('reports the named history-trimmed event (protocol/SPEC.md §11) before the replay', async () => {
    const historyTrimmed = { requestedAfterEventId: '2-0', firstRetainedEventId: '9-0' };
    respond = (res) => {
      res.writeHead(200, streamHeaders);
      res.write(`event: history-trimmed\ndata: ${JSON.stringify({ taskId: 't1', ...historyTrimmed })}\n\n`);
      res.write('event: history-trimmed\ndata: {"taskId":"t1"}\n\n');
      res.write(frame(event('9-0'), '9-0'));
      res.end(completed('10-0'));
    };
    const { messages, ended } = open({}, '2-0');
    await vi.waitFor(() => expect(ended()).toBe(true));
    expect(messages.map((m) => m.type)).toEqual([
      'open',
      'history-trimmed',
      'malformed',
      'event',
      'event',
      'closed',
    ]);
    expect(messages[1]).toEqual({ type: 'history-trimmed', info: historyTrimmed });
  });

  it('sends no Last-Event-ID without a cursor', async () => {
    respond = (res) => res.writeHead(200, streamHeaders).end(completed('1-0'));
    const { ended } = open();
    await vi.waitFor(() => expect(ended()).toBe(true));
    expect(requests[0]?.headers['last-event-id']).toBeUndefined();
  });

  it.each([
    [401, 'AUTHENTICATION_ERROR', false],
    [403, 'TASK_OWNERSHIP_ERROR', false],
    [404, 'TASK_NOT_FOUND', false],
    [409, 'IDEMPOTENCY_CONFLICT', false],
    [429, 'RATE_LIMITED', true],
    [500, 'SERVER_ERROR', true],
    [503, 'SERVER_ERROR', true],
  ] as const)(
    'H5: HTTP %i is reported as %s before any body is read as a stream',
    async (status, code, retryable) => {
      respond = (res) => {
        res.writeHead(status, { 'content-type': 'text/plain', 'retry-after': '3' });
        res.end(`data: ${JSON.stringify(event('1-0'))}\n\n`);
      };
      const { messages, ended } = open();
      await vi.waitFor(() => expect(ended()).toBe(true));
      expect(messages).toHaveLength(1);
      const error = errorOf(messages);
      expect(error.code).toBe(code);
      expect(error.status).toBe(status);
      expect(error.retryable).toBe(retryable);
      expect(error.retryAfterMs).toBe(3000);
      expect(requests).toHaveLength(1);
    },
  );

  it('H5: takes code, message and details from a JSON error envelope', async () => {
    respond = (res) => {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          code: 'TASK_NOT_FOUND',
          message: 'no such task',
          details: { taskId: 't1' },
          timestamp: 'x',
        }),
      );
    };
    const { messages, ended } = open();
    await vi.waitFor(() => expect(ended()).toBe(true));
    const error = errorOf(messages);
    expect(error).toMatchObject({
      code: 'TASK_NOT_FOUND',
      message: 'no such task',
      details: { taskId: 't1' },
    });
  });

  it('H5: a 200 that is not text/event-stream (a proxy page) is UNEXPECTED_RESPONSE, retryable', async () => {
    respond = (res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>login</html>');
    const { messages, ended } = open();
    await vi.waitFor(() => expect(ended()).toBe(true));
    expect(messages).toHaveLength(1);
    const error = errorOf(messages);
    expect(error.code).toBe('UNEXPECTED_RESPONSE');
    expect(error.retryable).toBe(true);
    expect(error.details.contentType).toBe('text/html');
  });

  it('reports malformed data frames and keeps reading', async () => {
    respond = (res) => {
      res.writeHead(200, streamHeaders);
      res.write('data: not json\n\n');
      res.write(frame({ type: 'TASK_PROGRESS', eventId: '1-0' }, '1-0'));
      res.write(frame(event('2-0'), '2-0'));
      res.end(completed('3-0'));
    };
    const { messages, ended } = open();
    await vi.waitFor(() => expect(ended()).toBe(true));
    expect(messages.map((m) => m.type)).toEqual([
      'open',
      'malformed',
      'malformed',
      'event',
      'event',
      'closed',
    ]);
    expect(messages[1]).toMatchObject({ raw: 'not json', error: { code: 'MALFORMED_JSON' } });
  });

  it('reports a stream that ends before the terminal event as CONNECTION_CLOSED and does not reconnect', async () => {
    respond = (res) => res.writeHead(200, streamHeaders).end(frame(event('1-0'), '1-0'));
    const { messages, ended } = open();
    await vi.waitFor(() => expect(ended()).toBe(true));
    expect(messages.map((m) => m.type)).toEqual(['open', 'event', 'error']);
    const error = errorOf(messages);
    expect(error.code).toBe('CONNECTION_CLOSED');
    expect(error.retryable).toBe(true);
    expect(requests).toHaveLength(1);
  });

  it('reports a refused connection as NETWORK_ERROR in the open phase', async () => {
    const spare = createServer();
    await new Promise<void>((resolve) => spare.listen(0, '127.0.0.1', resolve));
    const port = (spare.address() as AddressInfo).port;
    await new Promise<void>((resolve) => spare.close(() => resolve()));
    const { messages, ended } = open({ baseUrl: `http://127.0.0.1:${port}` });
    await vi.waitFor(() => expect(ended()).toBe(true));
    const error = errorOf(messages);
    expect(error.code).toBe('NETWORK_ERROR');
    expect(error.retryable).toBe(true);
    expect(error.details.phase).toBe('open');
  });

  it('stops at abort: a peer stream that never ends is closed and frames in flight are dropped', async () => {
    respond = (res) => {
      res.writeHead(200, streamHeaders);
      // One chunk: the client sees all three before it can react to the first.
      res.write(frame(event('1-0'), '1-0') + frame(event('2-0'), '2-0') + completed('3-0'));
    };
    const context = createTransportContext({ baseUrl, platform: { EventSource } });
    const controller = new AbortController();
    const messages: TransportMessage[] = [];
    createSseTransport(context).connect(
      { taskId: 't1', getCursor: () => null, signal: controller.signal },
      (m) => {
        messages.push(m);
        if (m.type === 'event') controller.abort();
      },
    );
    await vi.waitFor(() => expect(closedRequests).toBe(1));
    expect(messages.map((m) => m.type)).toEqual(['open', 'event']);
  });

  it('puts cursor and token in the query for an EventSource that ignores { fetch } (native)', async () => {
    const created: Array<{ url: string; init: unknown }> = [];
    class NativeLike {
      constructor(url: string, init?: unknown) {
        created.push({ url, init });
      }
      addEventListener() {}
      close() {}
    }
    const context = createTransportContext({
      baseUrl,
      getAccessToken: () => 'tok',
      platform: { EventSource: NativeLike },
    });
    createSseTransport(context).connect(
      { taskId: 't1', getCursor: () => '4-0', signal: new AbortController().signal },
      () => undefined,
    );
    await vi.waitFor(() => expect(created).toHaveLength(1));
    expect(created[0]).toEqual({
      url: `${baseUrl}/api/v1/tasks/t1/events/stream?lastEventId=4-0&access_token=tok`,
      init: undefined,
    });
  });

  it('sends cursor and credentials as headers, not in the URL, through an EventSource marked EVENT_SOURCE_SENDS_HEADERS', async () => {
    const created: Array<{ url: string; init: unknown }> = [];
    class HeaderSending {
      static readonly [EVENT_SOURCE_SENDS_HEADERS] = true;
      constructor(url: string, init?: unknown) {
        created.push({ url, init });
      }
      addEventListener() {}
      close() {}
    }
    const context = createTransportContext({
      baseUrl,
      getAccessToken: () => 'tok',
      headers: { 'X-App': 'demo' },
      platform: { EventSource: HeaderSending },
    });
    const getStreamTicket = vi.fn(async () => 'ticket');
    createSseTransport({ ...context, getStreamTicket }).connect(
      { taskId: 't1', getCursor: () => '4-0', signal: new AbortController().signal },
      () => undefined,
    );
    await vi.waitFor(() => expect(created).toHaveLength(1));
    expect(created[0]).toEqual({
      url: `${baseUrl}/api/v1/tasks/t1/events/stream`,
      init: { headers: { 'X-App': 'demo', Authorization: 'Bearer tok', 'Last-Event-ID': '4-0' } },
    });
    expect(getStreamTicket).not.toHaveBeenCalled();
  });

  it('is supported wherever fetch exists', () => {
    const transport = createSseTransport(createTransportContext({ baseUrl }));
    expect(transport.name).toBe('sse');
    expect(transport.isSupported()).toBe(true);
  });
});
