import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type ConnectionOptions, createTransportContext, type FetchFunction } from '../platform';
import { createPollingTransport, type PollingTransportOptions } from './polling';
import type { TransportMessage } from './transport';
import { errorOf } from './test-support';

const event = (eventId: string, type = 'TASK_MESSAGE', payload: object = { message: `m${eventId}` }) => ({
  type,
  taskId: 't1',
  eventId,
  createdAt: '2026-01-01T00:00:00Z',
  payload,
});
const completed = (eventId: string) => event(eventId, 'TASK_COMPLETED', { result: 'done' });
const page = (events: unknown[], extra: object = {}) => ({
  taskId: 't1',
  events,
  nextAfterEventId: null,
  hasMore: false,
  ...extra,
});

let server: Server;
let baseUrl: string;
let urls: URL[];
let closedRequests: number;
/** Per test: answers, one per request, in order; a request past the end is held open. */
let script: Array<(res: ServerResponse) => void>;

const json =
  (body: unknown, status = 200) =>
  (res: ServerResponse) =>
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

beforeEach(async () => {
  urls = [];
  closedRequests = 0;
  script = [];
  server = createServer((req, res) => {
    urls.push(new URL(req.url ?? '/', 'http://x'));
    res.on('close', () => {
      closedRequests += 1;
    });
    script.shift()?.(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  vi.useRealTimers();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function open(
  options: { connection?: Partial<ConnectionOptions>; polling?: PollingTransportOptions } = {},
  getCursor: () => string | null = () => null,
) {
  const context = createTransportContext({ baseUrl, ...options.connection });
  const controller = new AbortController();
  const messages: TransportMessage[] = [];
  createPollingTransport(context, options.polling).connect(
    { taskId: 't1', getCursor, signal: controller.signal },
    (message) => messages.push(message),
  );
  const ended = () => messages.some((m) => m.type === 'error' || m.type === 'closed');
  return { controller, messages, ended };
}

const query = (url: URL | undefined) => Object.fromEntries(url?.searchParams ?? []);

describe('polling transport', () => {
  it('long-polls with explicit waitTimeoutMs and maxEvents, advancing afterEventId, until the terminal event', async () => {
    script = [
      json(page([event('1-0'), event('2-0')])),
      json(page([])),
      json(page([event('3-0', 'SOMETHING_NEW', {}), completed('4-0')])),
    ];
    const { messages, ended } = open({ connection: { getAccessToken: () => 'tok' } });
    await vi.waitFor(() => expect(ended()).toBe(true));

    expect(messages.map((m) => m.type)).toEqual([
      'open',
      'event',
      'event',
      'heartbeat',
      'event',
      'event',
      'closed',
    ]);
    expect(messages[4]).toMatchObject({ conformance: 'unknown-type', event: { eventId: '3-0' } });
    expect(urls.map((u) => u.pathname)).toEqual(Array(3).fill('/api/v1/tasks/t1/events'));
    // The consumer's cursor never moved (getCursor() stays null): the transport's own id is used.
    expect(urls.map(query)).toEqual([
      { waitTimeoutMs: '25000', maxEvents: '500' },
      { afterEventId: '2-0', waitTimeoutMs: '25000', maxEvents: '500' },
      { afterEventId: '2-0', waitTimeoutMs: '25000', maxEvents: '500' },
    ]);
  });

  it('reports history trimmed (protocol/SPEC.md §11) before the retained events', async () => {
    const historyTrimmed = { requestedAfterEventId: '2-0', firstRetainedEventId: '9-0' };
    script = [json(page([event('9-0'), completed('10-0')], { historyTrimmed }))];
    const { messages, ended } = open({}, () => '2-0');
    await vi.waitFor(() => expect(ended()).toBe(true));
    expect(messages.map((m) => m.type)).toEqual(['open', 'history-trimmed', 'event', 'event', 'closed']);
    expect(messages[1]).toEqual({ type: 'history-trimmed', info: historyTrimmed });
  });

  it('sends the next request before delivering a response, and uses the caller cursor when it is newer', async () => {
    let cursor: string | null = '10-0';
    script = [json(page([event('11-0')])), json(page([event('12-0')])), json(page([completed('30-0')]))];
    let fetches = 0;
    const counting: FetchFunction = (input, init) => ((fetches += 1), fetch(input, init));
    const context = createTransportContext({ baseUrl, platform: { fetch: counting } });
    const messages: TransportMessage[] = [];
    const requestsWhenDelivered: number[] = [];
    createPollingTransport(context, { waitTimeoutMs: 1000, maxEvents: 10 }).connect(
      { taskId: 't1', getCursor: () => cursor, signal: new AbortController().signal },
      (message) => {
        messages.push(message);
        if (message.type !== 'event') return;
        requestsWhenDelivered.push(fetches);
        // Another transport (a climb-back probe) already delivered up to 20-0.
        cursor = '20-0';
      },
    );
    await vi.waitFor(() => expect(messages.at(-1)?.type).toBe('closed'));
    // Each response's request for more went out before its events were handed over.
    expect(requestsWhenDelivered).toEqual([2, 3, 3]);
    expect(urls.map(query)).toEqual([
      { afterEventId: '10-0', waitTimeoutMs: '1000', maxEvents: '10' },
      { afterEventId: '11-0', waitTimeoutMs: '1000', maxEvents: '10' },
      { afterEventId: '20-0', waitTimeoutMs: '1000', maxEvents: '10' },
    ]);
  });

  it('reports a malformed event, delivers the rest, and still moves past it', async () => {
    script = [
      json(page([event('1-0'), { type: 'TASK_MESSAGE', eventId: '2-0' }])),
      json(page([completed('3-0')])),
    ];
    const { messages, ended } = open();
    await vi.waitFor(() => expect(ended()).toBe(true));
    expect(messages.map((m) => m.type)).toEqual(['open', 'event', 'malformed', 'event', 'closed']);
    expect(messages[2]).toMatchObject({ error: { code: 'SCHEMA_VIOLATION' } });
    expect(query(urls[1]).afterEventId).toBe('2-0');
  });

  it('closes when an empty response says the task is already terminal (server extension)', async () => {
    script = [json(page([], { taskStatus: 'COMPLETED' }))];
    const { messages, ended } = open({}, () => '9-0');
    await vi.waitFor(() => expect(ended()).toBe(true));
    expect(messages.map((m) => m.type)).toEqual(['open', 'closed']);
    expect(urls).toHaveLength(1);
  });

  it.each([
    [401, 'AUTHENTICATION_ERROR', false],
    [403, 'TASK_OWNERSHIP_ERROR', false],
    [404, 'TASK_NOT_FOUND', false],
    [409, 'IDEMPOTENCY_CONFLICT', false],
    [422, 'REQUEST_VALIDATION_ERROR', false],
    [429, 'RATE_LIMITED', true],
    [500, 'SERVER_ERROR', true],
    [503, 'SERVER_ERROR', true],
  ] as const)('H5: HTTP %i is reported as %s', async (status, code, retryable) => {
    script = [
      (res) => res.writeHead(status, { 'content-type': 'text/plain', 'retry-after': '2' }).end('nope'),
    ];
    const { messages, ended } = open();
    await vi.waitFor(() => expect(ended()).toBe(true));
    expect(messages).toHaveLength(1);
    const error = errorOf(messages);
    expect(error).toMatchObject({ code, status, retryable, retryAfterMs: 2000 });
    expect(urls).toHaveLength(1);
  });

  it('H5: an error envelope after events were delivered ends the loop with its code', async () => {
    script = [
      json(page([event('1-0')])),
      json({ code: 'TASK_NOT_FOUND', message: 'gone', details: {}, timestamp: '2026-01-01T00:00:00Z' }, 404),
    ];
    const { messages, ended } = open();
    await vi.waitFor(() => expect(ended()).toBe(true));
    expect(messages.map((m) => m.type)).toEqual(['open', 'event', 'error']);
    expect(errorOf(messages)).toMatchObject({ code: 'TASK_NOT_FOUND', message: 'gone', retryable: false });
  });

  it('H5: a 200 HTML page is UNEXPECTED_RESPONSE and an off-schema body is PROTOCOL_ERROR', async () => {
    script = [(res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html></html>')];
    const html = open();
    await vi.waitFor(() => expect(html.ended()).toBe(true));
    expect(errorOf(html.messages)).toMatchObject({ code: 'UNEXPECTED_RESPONSE', retryable: true });

    script = [json({ events: 'nope' })];
    const bad = open();
    await vi.waitFor(() => expect(bad.ended()).toBe(true));
    expect(errorOf(bad.messages)).toMatchObject({ code: 'PROTOCOL_ERROR', retryable: false });
  });

  it('reports a dropped connection as NETWORK_ERROR, retryable', async () => {
    script = [(res) => res.socket?.destroy()];
    const { messages, ended } = open();
    await vi.waitFor(() => expect(ended()).toBe(true));
    expect(errorOf(messages)).toMatchObject({ code: 'NETWORK_ERROR', retryable: true });
  });

  it('aborts the pending long poll and reports nothing more', async () => {
    const { controller, messages } = open();
    await vi.waitFor(() => expect(urls).toHaveLength(1));
    controller.abort();
    await vi.waitFor(() => expect(closedRequests).toBe(1));
    expect(messages).toEqual([]);
    expect(urls).toHaveLength(1);
  });

  it('gives up on a request after waitTimeoutMs + 10 s with TIMEOUT', async () => {
    vi.useFakeTimers();
    const signals: AbortSignal[] = [];
    // A fetch that never answers, like a proxy holding the request; it only settles on abort.
    const hangingFetch: FetchFunction = (_url, init) =>
      new Promise((_resolve, reject) => {
        const signal = init?.signal as AbortSignal;
        signals.push(signal);
        signal.addEventListener('abort', () => reject(signal.reason));
      });
    const { messages } = open({
      connection: { platform: { fetch: hangingFetch } },
      polling: { waitTimeoutMs: 1000 },
    });
    await vi.advanceTimersByTimeAsync(10_999);
    expect(messages).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(errorOf(messages)).toMatchObject({ code: 'TIMEOUT', retryable: true });
    expect(signals).toHaveLength(1);
    expect(signals[0]?.aborted).toBe(true);
  });

  it('is unsupported without fetch', () => {
    const missing = createPollingTransport(createTransportContext({ baseUrl }));
    expect(missing.name).toBe('polling');
    expect(missing.isSupported()).toBe(true);
    vi.stubGlobal('fetch', undefined);
    try {
      expect(missing.isSupported()).toBe(false);
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
