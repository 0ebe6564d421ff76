import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { TaskBridgeError } from '@taskbridge/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WebSocket, WebSocketServer, type WebSocket as WsSocket } from 'ws';
import { type ConnectionOptions, createTransportContext } from '../platform';
import type { TransportMessage } from './transport';
import { errorOf } from './test-support';
import { createWebSocketTransport } from './websocket';

const event = (eventId: string, type = 'TASK_MESSAGE', payload: object = { message: `m${eventId}` }) => ({
  type,
  taskId: 't1',
  eventId,
  createdAt: '2026-01-01T00:00:00Z',
  payload,
});
const ack = (after: string | null = null) => ({
  type: 'SUBSCRIPTION_CONFIRMED',
  taskId: 't1',
  replayStartedAfterEventId: after,
  live: true,
});
const completed = (eventId: string) => event(eventId, 'TASK_COMPLETED', { result: 'done' });

let server: Server;
let wss: WebSocketServer;
let baseUrl: string;
/** Per test: what the server does with a connection once the client's first frame arrived. */
let onSubscribe: (ws: WsSocket, frame: unknown) => void;
/** Per test: whether to refuse the upgrade (writes a raw HTTP response instead). */
let refuseUpgrade: string | undefined;
let upgrades: IncomingMessage[];
let serverClosed: number;

beforeEach(async () => {
  upgrades = [];
  serverClosed = 0;
  refuseUpgrade = undefined;
  onSubscribe = () => undefined;
  server = createServer((_req, res) => res.writeHead(404).end());
  wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    upgrades.push(req);
    if (refuseUpgrade) {
      socket.end(refuseUpgrade);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('close', () => {
        serverClosed += 1;
      });
      ws.once('message', (data) => onSubscribe(ws, JSON.parse(String(data))));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  for (const client of wss.clients) client.terminate();
  await new Promise<void>((resolve) => wss.close(() => resolve()));
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  vi.unstubAllGlobals();
});

function open(options: Partial<ConnectionOptions> = {}, cursor: string | null = null) {
  const context = createTransportContext({ baseUrl, platform: { WebSocket }, ...options });
  const transport = createWebSocketTransport(context);
  const controller = new AbortController();
  const messages: TransportMessage[] = [];
  transport.connect({ taskId: 't1', getCursor: () => cursor, signal: controller.signal }, (m) =>
    messages.push(m),
  );
  const ended = () => messages.some((m) => m.type === 'error' || m.type === 'closed');
  return { transport, controller, messages, ended };
}

describe('WebSocket transport', () => {
  it('subscribes with exactly the three keys and delivers ack, events and heartbeats until close 1000', async () => {
    let frame: unknown;
    onSubscribe = (ws, received) => {
      frame = received;
      ws.send(JSON.stringify(ack('4-0')));
      ws.send(JSON.stringify(event('5-0')));
      ws.send(JSON.stringify({ type: 'HEARTBEAT', taskId: 't1', live: true }));
      ws.send(JSON.stringify(event('6-0', 'SOMETHING_NEW', {})));
      ws.send(JSON.stringify(completed('7-0')));
      ws.close(1000);
    };
    const { messages, ended } = open({}, '4-0');
    await vi.waitFor(() => expect(ended()).toBe(true));

    expect(frame).toStrictEqual({ action: 'subscribe', taskId: 't1', lastEventId: '4-0' });
    expect(messages.map((m) => m.type)).toEqual([
      'open',
      'ack',
      'event',
      'heartbeat',
      'event',
      'event',
      'closed',
    ]);
    expect(messages[1]).toEqual({ type: 'ack' });
    expect(messages[2]).toMatchObject({ type: 'event', conformance: 'valid', event: { eventId: '5-0' } });
    expect(messages[4]).toMatchObject({
      type: 'event',
      conformance: 'unknown-type',
      event: { eventId: '6-0' },
    });
    expect(messages[5]).toMatchObject({ event: { type: 'TASK_COMPLETED' } });
  });

  it('reports history trimmed from the ack (protocol/SPEC.md §11) before the replay', async () => {
    const historyTrimmed = { requestedAfterEventId: '2-0', firstRetainedEventId: '9-0' };
    onSubscribe = (ws) => {
      ws.send(JSON.stringify({ ...ack('2-0'), historyTrimmed }));
      ws.send(JSON.stringify(event('9-0')));
      ws.close(1000);
    };
    const { messages, ended } = open({}, '2-0');
    await vi.waitFor(() => expect(ended()).toBe(true));
    expect(messages.map((m) => m.type)).toEqual(['open', 'history-trimmed', 'ack', 'event', 'closed']);
    expect(messages[1]).toEqual({ type: 'history-trimmed', info: historyTrimmed });
  });

  it('sends lastEventId null when there is no cursor', async () => {
    let frame: unknown;
    onSubscribe = (ws, received) => {
      frame = received;
      ws.close(1000);
    };
    const { ended } = open();
    await vi.waitFor(() => expect(ended()).toBe(true));
    expect(frame).toStrictEqual({ action: 'subscribe', taskId: 't1', lastEventId: null });
  });

  it('sends Authorization and extra headers through the ws constructor in Node (header mode)', async () => {
    onSubscribe = (ws) => ws.close(1000);
    const { ended } = open({ getAccessToken: async () => 'tok-1', headers: () => ({ 'x-tenant': 'a' }) });
    await vi.waitFor(() => expect(ended()).toBe(true));
    expect(upgrades[0]?.headers.authorization).toBe('Bearer tok-1');
    expect(upgrades[0]?.headers['x-tenant']).toBe('a');
    expect(upgrades[0]?.url).not.toContain('access_token');
  });

  it('sends the token as access_token in query mode (browsers)', async () => {
    onSubscribe = (ws) => ws.close(1000);
    const { ended } = open({ getAccessToken: () => 'tok 2', webSocketAuth: 'query' });
    await vi.waitFor(() => expect(ended()).toBe(true));
    expect(upgrades[0]?.url).toBe('/api/v1/tasks/ws?access_token=tok+2');
    expect(upgrades[0]?.headers.authorization).toBeUndefined();
  });

  it('puts a stream ticket in the URL instead of the token when the client has one (protocol/SPEC.md §12)', async () => {
    onSubscribe = (ws) => ws.send(JSON.stringify(ack()));
    const tickets: string[] = [];
    const context = createTransportContext(
      { baseUrl, platform: { WebSocket }, getAccessToken: () => 'tok', webSocketAuth: 'query' },
      { getStreamTicket: async (taskId) => (tickets.push(taskId), 'tkt-1') },
    );
    const messages: TransportMessage[] = [];
    const controller = new AbortController();
    createWebSocketTransport(context).connect(
      { taskId: 't1', getCursor: () => null, signal: controller.signal },
      (m) => messages.push(m),
    );
    await vi.waitFor(() => expect(messages.map((m) => m.type)).toEqual(['open', 'ack']));
    controller.abort();
    expect(tickets).toEqual(['t1']);
    const url = new URL(upgrades[0]?.url ?? '', 'http://x');
    expect(url.searchParams.get('ticket')).toBe('tkt-1');
    expect(url.searchParams.has('access_token')).toBe(false);
  });

  it('reports a ticket that cannot be minted as the stream error, and opens no socket', async () => {
    const refused = new TaskBridgeError({ code: 'TASK_NOT_FOUND', message: 'no such task' });
    const context = createTransportContext(
      { baseUrl, platform: { WebSocket }, getAccessToken: () => 'tok', webSocketAuth: 'query' },
      { getStreamTicket: () => Promise.reject(refused) },
    );
    const messages: TransportMessage[] = [];
    createWebSocketTransport(context).connect(
      { taskId: 't1', getCursor: () => null, signal: new AbortController().signal },
      (m) => messages.push(m),
    );
    await vi.waitFor(() => expect(messages).toEqual([{ type: 'error', error: refused }]));
    expect(upgrades).toHaveLength(0);
  });

  it('reports malformed and binary frames and keeps going', async () => {
    onSubscribe = (ws) => {
      ws.send(JSON.stringify(ack()));
      ws.send('not json');
      ws.send(JSON.stringify({ type: 'TASK_MESSAGE', eventId: '1' }));
      ws.send(Buffer.from([1, 2, 3]), { binary: true });
      ws.send(JSON.stringify(event('2-0')));
      ws.close(1000);
    };
    const { messages, ended } = open();
    await vi.waitFor(() => expect(ended()).toBe(true));
    expect(messages.map((m) => m.type)).toEqual([
      'open',
      'ack',
      'malformed',
      'malformed',
      'malformed',
      'event',
      'closed',
    ]);
    expect(messages[2]).toMatchObject({ raw: 'not json', error: { code: 'MALFORMED_JSON' } });
    expect(messages[3]).toMatchObject({ error: { code: 'SCHEMA_VIOLATION' } });
  });

  it.each([
    ['1008 before the ack', false, 1008, 'AUTHENTICATION_ERROR', false],
    ['1008 after the ack', true, 1008, 'TASK_NOT_FOUND', false],
    ['1003', true, 1003, 'PROTOCOL_ERROR', false],
    ['1013 (subscriber overflow)', true, 1013, 'CONNECTION_CLOSED', true],
    ['1011', true, 1011, 'CONNECTION_CLOSED', true],
  ] as const)('classifies close %s', async (_name, sendAck, closeCode, code, retryable) => {
    onSubscribe = (ws) => {
      if (sendAck) ws.send(JSON.stringify(ack()));
      ws.close(closeCode, 'policy');
    };
    const { messages, ended } = open();
    await vi.waitFor(() => expect(ended()).toBe(true));
    const error = errorOf(messages);
    expect(error).toBeInstanceOf(TaskBridgeError);
    expect(error.code).toBe(code);
    expect(error.retryable).toBe(retryable);
    expect(error.details).toMatchObject({ closeCode, reason: 'policy' });
    // The library wraps the socket only: it must not reconnect on its own.
    expect(upgrades).toHaveLength(1);
  });

  it('classifies a dropped connection (1006) as CONNECTION_CLOSED, retryable', async () => {
    onSubscribe = (ws) => {
      ws.send(JSON.stringify(ack()));
      ws.terminate();
    };
    const { messages, ended } = open();
    await vi.waitFor(() => expect(ended()).toBe(true));
    expect(messages.map((m) => m.type)).toEqual(['open', 'ack', 'error']);
    const error = errorOf(messages);
    expect(error.code).toBe('CONNECTION_CLOSED');
    expect(error.retryable).toBe(true);
    expect(error.details.closeCode).toBe(1006);
  });

  it.each([
    ['garbage', '<html>502 Bad Gateway</html>', 'malformed'],
    ['an event', JSON.stringify(event('1-0')), 'TASK_MESSAGE'],
    ['a heartbeat', JSON.stringify({ type: 'HEARTBEAT', taskId: 't1', live: true }), 'heartbeat'],
  ])(
    'anything before the ack (%s) is not the protocol: an error, never delivered, socket closed',
    async (_name, frame, got) => {
      onSubscribe = (ws) => {
        ws.send(frame);
        ws.send(JSON.stringify(ack()));
        ws.send(JSON.stringify(event('2-0')));
      };
      const { messages, ended } = open();
      await vi.waitFor(() => expect(ended()).toBe(true));
      expect(messages.map((m) => m.type)).toEqual(['open', 'error']);
      expect(errorOf(messages)).toMatchObject({
        code: 'PROTOCOL_ERROR',
        retryable: true,
        details: { phase: 'ack', frame: got, notProtocol: true },
      });
      await vi.waitFor(() => expect(serverClosed).toBe(1));
    },
  );

  it('reports an upgrade answered by a page (200 HTML) as not the protocol', async () => {
    const page = '<html>Sign in</html>';
    refuseUpgrade = `HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: ${page.length}\r\nConnection: close\r\n\r\n${page}`;
    const { messages, ended } = open();
    await vi.waitFor(() => expect(ended()).toBe(true));
    expect(errorOf(messages)).toMatchObject({
      code: 'UNEXPECTED_RESPONSE',
      retryable: true,
      details: { phase: 'open', upgradeStatus: 200, notProtocol: true },
    });
  });

  it('reports a refused upgrade (HTTP 403 from a proxy) as NETWORK_ERROR in the open phase', async () => {
    refuseUpgrade = 'HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n';
    const { messages, ended } = open();
    await vi.waitFor(() => expect(ended()).toBe(true));
    expect(messages).toHaveLength(1);
    const error = errorOf(messages);
    expect(error.code).toBe('NETWORK_ERROR');
    expect(error.retryable).toBe(true);
    expect(error.details.phase).toBe('open');
  });

  it('stops at abort: closes the socket and drops frames already in flight', async () => {
    onSubscribe = (ws) => {
      ws.send(JSON.stringify(ack()));
      ws.send(JSON.stringify(event('1-0')));
      ws.send(JSON.stringify(event('2-0')));
      ws.send(JSON.stringify(completed('3-0')));
    };
    const context = createTransportContext({ baseUrl, platform: { WebSocket } });
    const controller = new AbortController();
    const messages: TransportMessage[] = [];
    createWebSocketTransport(context).connect(
      { taskId: 't1', getCursor: () => null, signal: controller.signal },
      (message) => {
        messages.push(message);
        if (message.type === 'event') controller.abort();
      },
    );
    await vi.waitFor(() => expect(serverClosed).toBe(1));
    expect(messages.map((m) => m.type)).toEqual(['open', 'ack', 'event']);
  });

  it('opens nothing when aborted before the socket exists', async () => {
    onSubscribe = (ws) => ws.close(1000);
    const first = open();
    first.controller.abort();
    // Connections go through the same async steps in order: once a later one has finished, the aborted
    // one would have reached the server too if abort did not stop it.
    const second = open();
    await vi.waitFor(() => expect(second.ended()).toBe(true));
    expect(upgrades).toHaveLength(1);
    expect(first.messages).toHaveLength(0);
  });

  it('is unsupported without a WebSocket constructor', () => {
    vi.stubGlobal('WebSocket', undefined);
    const bare = createWebSocketTransport(createTransportContext({ baseUrl }));
    expect(bare.isSupported()).toBe(false);
    const injected = createWebSocketTransport(createTransportContext({ baseUrl, platform: { WebSocket } }));
    expect(injected.isSupported()).toBe(true);
    expect(injected.name).toBe('websocket');
  });

  it('uses custom routes for the WebSocket URL', async () => {
    onSubscribe = (ws) => ws.close(1000);
    const { ended } = open({
      routes: { websocket: '/api/v1/projects/{projectId}/tasks/ws' },
      routeParams: { projectId: 'p 1' },
    });
    await vi.waitFor(() => expect(ended()).toBe(true));
    expect(upgrades[0]?.url).toBe('/api/v1/projects/p%201/tasks/ws');
  });
});
