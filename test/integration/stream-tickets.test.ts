/**
 * Stream tickets, client side (protocol/SPEC.md §12): where a browser API cannot send headers (a
 * `WebSocket`, a native `EventSource`), the client puts a single-use ticket in the URL instead of the
 * access token whenever the server advertises `streamTickets`, and mints a fresh one for every
 * connection. The server side here is a small fake in front of the reference server (the ticket route,
 * the capability, and redemption on the WebSocket upgrade and the SSE request), which counts mints and
 * redemptions; one test runs against the reference server's own tickets, one against a server without
 * them. The token never reaches a URL where a ticket can go.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { EventSourceConstructor, EventSourceLike } from '@taskbridge/client';
import { EventSource } from 'eventsource';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createNodeClient, recordEvents, serverEventIds } from '../support/node-client';
import { startTestServer, type TestServer } from '../support/reference-server';

interface TicketFront {
  url: string;
  /** Every URL the front saw, in order. */
  urls: string[];
  /** Tickets minted, and those redeemed. */
  minted: string[];
  redeemed: string[];
  /** Cuts every WebSocket passed through (the client reconnects with a new ticket). */
  dropSockets(): void;
  close(): Promise<void>;
}

/** A front server that mints tickets for `subject` and redeems each once, then passes to `srv`. */
async function startTicketFront(srv: TestServer, subject = 'alice'): Promise<TicketFront> {
  const minted: string[] = [];
  const redeemed: string[] = [];
  const urls: string[] = [];
  const live = new Map<string, string>();
  const sockets = new Set<Duplex>();
  const redeem = (req: IncomingMessage): boolean => {
    const url = new URL(req.url ?? '/', 'http://front');
    const ticket = url.searchParams.get('ticket');
    if (ticket === null || !live.has(ticket)) return false;
    live.delete(ticket);
    redeemed.push(ticket);
    url.searchParams.delete('ticket');
    req.url = `${url.pathname}${url.search}`;
    req.headers.authorization = `Bearer ${subject}`;
    return true;
  };
  const server: Server = createServer(async (req, res) => {
    urls.push(req.url ?? '');
    const { pathname } = new URL(req.url ?? '/', 'http://front');
    if (pathname === '/api/v1/capabilities') {
      const caps = (await (await srv.request(pathname)).json()) as Record<string, unknown>;
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ ...caps, streamTickets: true }));
      return;
    }
    if (pathname === '/api/v1/stream-tickets' && req.method === 'POST') {
      let body = '';
      for await (const chunk of req) body += String(chunk);
      const { taskId } = JSON.parse(body) as { taskId: string };
      const ticket = randomBytes(16).toString('base64url');
      live.set(ticket, taskId);
      minted.push(ticket);
      const expiresAt = new Date(Date.now() + 30_000).toISOString();
      res
        .writeHead(201, { 'content-type': 'application/json' })
        .end(JSON.stringify({ ticket, taskId, expiresAt }));
      return;
    }
    if (pathname.endsWith('/events/stream') && !redeem(req)) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ code: 'AUTHENTICATION_ERROR', message: 'no ticket', details: {}, timestamp: '' }),
      );
      return;
    }
    srv.server.app(req, res);
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    urls.push(req.url ?? '');
    if (!redeem(req)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    srv.server.server.emit('upgrade', req, socket, head);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    urls,
    minted,
    redeemed,
    dropSockets: () => {
      for (const socket of sockets) socket.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Behaves like a browser's EventSource: URL only, no `fetch` override, so no headers. */
const NativeLikeEventSource = class {
  readonly #inner: EventSourceLike;
  constructor(url: string) {
    this.#inner = new EventSource(url);
  }
  addEventListener(type: string, listener: (event: Event) => void): void {
    this.#inner.addEventListener(type, listener);
  }
  close(): void {
    this.#inner.close();
  }
} as unknown as EventSourceConstructor;

let srv: TestServer | undefined;
let front: TicketFront | undefined;
const closers: (() => void)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0)) close();
  await front?.close();
  await srv?.close();
  front = undefined;
  srv = undefined;
});

const TOKEN = /access_token=/;

describe('stream tickets (protocol/SPEC.md §12)', () => {
  it('a browser WebSocket connects with a fresh single-use ticket each time, never with the token', async () => {
    srv = await startTestServer();
    front = await startTicketFront(srv);
    const { client, diagnostics } = createNodeClient(front.url, {
      webSocketAuth: 'query',
      forceTransport: 'websocket',
      connection: { backoff: { baseMs: 10, maxMs: 50 } },
    });
    closers.push(() => client.close());
    const { taskId, stream } = await client.startTask({
      taskType: 'ticker',
      input: { count: 60, intervalMs: 10 },
    });
    const recording = recordEvents(stream);
    await vi.waitFor(() => expect(recording.events.length).toBeGreaterThan(5));
    (front as TicketFront).dropSockets();
    await recording.done;
    const f = front as TicketFront;
    expect(f.minted.length).toBeGreaterThanOrEqual(2);
    expect(f.redeemed).toEqual(f.minted);
    expect(new Set(f.minted).size).toBe(f.minted.length);
    expect(f.urls.filter((url) => TOKEN.test(url))).toEqual([]);
    expect(recording.events.map((e) => e.eventId)).toEqual(await serverEventIds(srv, taskId));
    expect(diagnostics.filter((d) => d.type === 'stream-failed')).toEqual([]);
  });

  it('a native EventSource gets a ticket in its URL, never the token', async () => {
    srv = await startTestServer();
    front = await startTicketFront(srv);
    const { client } = createNodeClient(front.url, {
      forceTransport: 'sse',
      platform: { EventSource: NativeLikeEventSource },
    });
    closers.push(() => client.close());
    const { stream } = await client.startTask({ taskType: 'ticker', input: { count: 10, intervalMs: 5 } });
    const final = await stream.settled();
    expect(final.status).toBe('completed');
    const f = front as TicketFront;
    expect(f.redeemed).toHaveLength(1);
    expect(f.urls.filter((url) => url.includes('/events/stream'))[0]).toMatch(/[?&]ticket=/);
    expect(f.urls.filter((url) => TOKEN.test(url))).toEqual([]);
  });

  it("against the reference server's own tickets, a query-auth WebSocket redeems a ticket and completes", async () => {
    srv = await startTestServer();
    const urls: string[] = [];
    srv.server.server.prependListener('upgrade', (req: IncomingMessage) => urls.push(req.url ?? ''));
    const { client } = createNodeClient(srv.url, { webSocketAuth: 'query', forceTransport: 'websocket' });
    closers.push(() => client.close());
    const { stream } = await client.startTask({ taskType: 'ticker', input: { count: 3, intervalMs: 5 } });
    const final = await stream.settled();
    expect(final.status).toBe('completed');
    expect(final.eventCount).toBeGreaterThanOrEqual(4);
    expect(urls).toHaveLength(1);
    expect(urls[0]).toMatch(/[?&]ticket=/);
    expect(urls.filter((url) => TOKEN.test(url))).toEqual([]);
  });

  it('without the capability (a TaskBridge v1 peer), the token goes in the URL as before', async () => {
    srv = await startTestServer({ streamTickets: false, allowAccessTokenQuery: true });
    const urls: string[] = [];
    srv.server.server.prependListener('upgrade', (req: IncomingMessage) => urls.push(req.url ?? ''));
    const { client } = createNodeClient(srv.url, { webSocketAuth: 'query', forceTransport: 'websocket' });
    closers.push(() => client.close());
    const { stream } = await client.startTask({ taskType: 'ticker', input: { count: 3, intervalMs: 5 } });
    await stream.settled();
    expect(urls).toHaveLength(1);
    expect(urls[0]).toMatch(/[?&]access_token=alice/);
    expect(urls[0]).not.toMatch(/ticket=/);
  });
});
