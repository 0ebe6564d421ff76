/**
 * A scripted front server (node:http on 127.0.0.1:0) in front of a reference server, the way a proxy,
 * gateway or load balancer sits in front of a real backend. Each route can be told to pass requests
 * through, answer a status with the protocol/SPEC.md §8 envelope, hold an SSE response open after its headers
 * (a buffering proxy), or accept a WebSocket upgrade and then stay silent or answer with garbage. Everything else is
 * delegated in-process: HTTP to the reference server's Express `app`, upgrades to its `upgrade`
 * listener, so the front adds no hop that could fail on its own.
 *
 * Tokens: `Authorization: Bearer <subject>.<version>` is rewritten to `Bearer <subject>` before
 * delegation, so a refreshed token (`alice.v2`) still owns the tasks `alice.v1` created.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { ERROR_CODES, ERROR_STATUS, type ErrorCode } from '@taskbridge/protocol';
import { type WebSocket, WebSocketServer } from 'ws';
import type { TestServer } from './reference-server';

/** The routes a behaviour can target (protocol/SPEC.md §1). */
export type FrontRoute = 'create' | 'events' | 'stream' | 'websocket' | 'capabilities' | 'other';

/** How one request to a route is answered. */
export type FrontBehaviour =
  /** Delegate to the reference server. */
  | { kind: 'pass' }
  /**
   * Answer `status` with the error envelope (code from protocol/SPEC.md §8 unless given) and `headers`; an
   * upgrade gets the same as a plain HTTP response. `when` narrows it to matching requests (others pass).
   */
  | {
      kind: 'status';
      status: number;
      code?: string;
      headers?: Record<string, string>;
      /** A body other than the envelope (e.g. a proxy's HTML page), sent with `contentType`. */
      body?: string;
      /** Default `application/json`. */
      contentType?: string;
      when?: (req: IncomingMessage) => boolean;
    }
  /** SSE: send 200 `text/event-stream` headers, then nothing, ever (a buffering proxy). */
  | { kind: 'hold' }
  /** WebSocket: complete the upgrade (101), then never send a frame. */
  | { kind: 'silent' }
  /** WebSocket: complete the upgrade (101), then send `frame` instead of the ack, and nothing more. */
  | { kind: 'garbage'; frame: string };

/** One request the front server saw. */
export interface FrontHit {
  route: FrontRoute;
  method: string;
  url: string;
  authorization: string | undefined;
  lastEventId: string | undefined;
  /** `Date.now()` on arrival. */
  at: number;
  /** What it was answered with. */
  answered: FrontBehaviour['kind'];
}

/** A running front server. */
export interface FrontServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /**
   * Sets how `route` is answered. A list is a script: each request takes the next entry, and requests
   * after the last one pass. A single behaviour applies to every request until replaced.
   */
  set(route: FrontRoute, behaviour: FrontBehaviour | readonly FrontBehaviour[]): void;
  /** Every request seen, in arrival order. */
  readonly hits: readonly FrontHit[];
  /** Requests to one route. */
  hitsOf(route: FrontRoute): FrontHit[];
  /** SSE responses held open right now, and silent WebSockets still open. */
  openHeld(): number;
  /** Cuts every WebSocket passed through to the reference server (the client sees 1006). */
  dropUpgraded(): void;
  close(): Promise<void>;
}

const PASS: FrontBehaviour = { kind: 'pass' };

function routeOf(method: string, pathname: string): FrontRoute {
  if (pathname === '/api/v1/tasks/ws') return 'websocket';
  if (pathname === '/api/v1/capabilities') return 'capabilities';
  if (method === 'POST' && pathname === '/api/v1/tasks') return 'create';
  if (/^\/api\/v1\/tasks\/[^/]+\/events\/stream$/.test(pathname)) return 'stream';
  if (/^\/api\/v1\/tasks\/[^/]+\/events$/.test(pathname)) return 'events';
  return 'other';
}

function codeFor(status: number): string {
  const known = ERROR_CODES.find((code: ErrorCode) => ERROR_STATUS[code] === status);
  return known ?? (status >= 500 ? 'INTERNAL_ERROR' : 'INVALID_REQUEST');
}

function envelope(status: number, code: string | undefined): string {
  return JSON.stringify({
    code: code ?? codeFor(status),
    message: `front server answered ${status}`,
    details: { injected: true },
    timestamp: new Date().toISOString(),
  });
}

function rewriteToken(req: IncomingMessage): void {
  const header = req.headers.authorization;
  const match = header === undefined ? null : /^Bearer\s+([^.\s]+)\.v\d+$/i.exec(header);
  if (match) req.headers.authorization = `Bearer ${match[1]}`;
}

/** Starts a front server for `target` on an ephemeral loopback port. */
export async function startFrontServer(target: TestServer): Promise<FrontServer> {
  const behaviours = new Map<FrontRoute, FrontBehaviour | FrontBehaviour[]>();
  const hits: FrontHit[] = [];
  const held = new Set<ServerResponse>();
  const silentWss = new WebSocketServer({ noServer: true });
  const silent = new Set<WebSocket>();
  const sockets = new Set<Socket>();
  const upgraded = new Set<Duplex>();

  const next = (route: FrontRoute, req: IncomingMessage): FrontBehaviour => {
    const configured = behaviours.get(route) ?? PASS;
    const behaviour = Array.isArray(configured)
      ? (configured.shift() ?? PASS)
      : (configured as FrontBehaviour);
    if (behaviour.kind === 'status' && behaviour.when && !behaviour.when(req)) return PASS;
    return behaviour;
  };

  const record = (route: FrontRoute, req: IncomingMessage, answered: FrontBehaviour['kind']) => {
    const lastEventId = req.headers['last-event-id'];
    hits.push({
      route,
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      authorization: req.headers.authorization,
      lastEventId: Array.isArray(lastEventId) ? lastEventId[0] : lastEventId,
      at: Date.now(),
      answered,
    });
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://front');
    const route = routeOf(req.method ?? 'GET', url.pathname);
    const behaviour = next(route, req);
    record(route, req, behaviour.kind);
    switch (behaviour.kind) {
      case 'status':
        res.writeHead(behaviour.status, {
          'Content-Type': behaviour.contentType ?? 'application/json',
          ...behaviour.headers,
        });
        res.end(behaviour.body ?? envelope(behaviour.status, behaviour.code));
        return;
      case 'hold':
        res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
        res.flushHeaders();
        held.add(res);
        res.on('close', () => held.delete(res));
        return;
      case 'silent':
      case 'garbage':
      case 'pass':
        rewriteToken(req);
        target.server.app(req, res);
        return;
    }
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://front');
    const route = routeOf(req.method ?? 'GET', url.pathname);
    const behaviour = next(route, req);
    record(route, req, behaviour.kind);
    switch (behaviour.kind) {
      case 'status': {
        const body = behaviour.body ?? envelope(behaviour.status, behaviour.code);
        const extra = Object.entries(behaviour.headers ?? {})
          .map(([name, value]) => `${name}: ${value}\r\n`)
          .join('');
        const type = behaviour.contentType ?? 'application/json';
        socket.end(
          `HTTP/1.1 ${behaviour.status} Refused\r\nContent-Type: ${type}\r\n${extra}` +
            `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
        );
        return;
      }
      case 'silent':
      case 'garbage':
        silentWss.handleUpgrade(req, socket, head, (ws) => {
          silent.add(ws);
          ws.on('close', () => silent.delete(ws));
          if (behaviour.kind === 'garbage') ws.once('message', () => ws.send(behaviour.frame));
        });
        return;
      case 'hold':
      case 'pass':
        rewriteToken(req);
        upgraded.add(socket);
        socket.on('close', () => upgraded.delete(socket));
        target.server.server.emit('upgrade', req, socket, head);
        return;
    }
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    set(route, behaviour) {
      behaviours.set(route, Array.isArray(behaviour) ? [...behaviour] : (behaviour as FrontBehaviour));
    },
    hits,
    hitsOf: (route) => hits.filter((hit) => hit.route === route),
    openHeld: () => held.size + silent.size,
    dropUpgraded() {
      for (const socket of upgraded) socket.destroy();
    },
    async close() {
      for (const res of held) res.destroy();
      for (const ws of silent) ws.terminate();
      silentWss.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}
