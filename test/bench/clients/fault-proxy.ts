/**
 * An HTTP/WebSocket proxy on loopback that misbehaves on purpose, for the recovery benchmark:
 * - `websocket: 'refuse'` answers every upgrade with 403 (a proxy that blocks WebSockets);
 *   `'blackhole'` accepts the TCP connection and never answers; `'pass'` tunnels it;
 * - `sse: 'buffer'` forwards SSE headers at once but holds the body until the response ends (a
 *   buffering proxy); `'pass'` streams it;
 * - `dropAll()` destroys every connection on both sides at once (a network blip).
 */
import { createServer, type IncomingMessage, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/** How the proxy treats each kind of traffic. */
export interface FaultMode {
  websocket: 'pass' | 'refuse' | 'blackhole';
  sse: 'pass' | 'buffer';
}

/** A running proxy. */
export interface FaultProxy {
  /** `http://127.0.0.1:<port>`: use it as the client's `baseUrl`. */
  url: string;
  /** Destroys every open connection, client side and upstream. */
  dropAll(): void;
  close(): Promise<void>;
}

const SSE_PATH = /\/events\/stream$/;

function rawHead(req: IncomingMessage): string {
  let head = `${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/1.1\r\n`;
  for (let i = 0; i < req.rawHeaders.length; i += 2)
    head += `${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`;
  return `${head}\r\n`;
}

/** Starts a proxy in front of `upstream` (an `http://host:port` URL) on an ephemeral loopback port. */
export async function startFaultProxy(upstream: string, mode: FaultMode): Promise<FaultProxy> {
  const target = new URL(upstream);
  const port = Number(target.port);
  const sockets = new Set<Duplex>();
  const track = (socket: Duplex) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => sockets.delete(socket));
  };

  const server = createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    const buffering = mode.sse === 'buffer' && SSE_PATH.test(pathname);
    const upstreamReq = request(
      { host: target.hostname, port, method: req.method, path: req.url, headers: req.headers, agent: false },
      (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        if (!buffering) {
          upstreamRes.pipe(res);
          return;
        }
        res.flushHeaders();
        const held: Buffer[] = [];
        upstreamRes.on('data', (chunk: Buffer) => held.push(chunk));
        upstreamRes.on('end', () => {
          for (const chunk of held) res.write(chunk);
          res.end();
        });
      },
    );
    upstreamReq.on('socket', track);
    upstreamReq.on('error', () => res.destroy());
    res.on('close', () => upstreamReq.destroy());
    req.pipe(upstreamReq);
  });
  server.on('connection', track);
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    track(socket);
    if (mode.websocket === 'refuse') {
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    if (mode.websocket === 'blackhole') return;
    const up: Socket = connect(port, target.hostname, () => {
      up.write(rawHead(req));
      if (head.length > 0) up.write(head);
      up.pipe(socket);
      socket.pipe(up);
    });
    track(up);
    up.on('close', () => socket.destroy());
    socket.on('close', () => up.destroy());
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const proxyPort = typeof address === 'object' && address ? address.port : 0;
  const dropAll = () => {
    for (const socket of Array.from(sockets)) socket.destroy();
  };
  return {
    url: `http://127.0.0.1:${proxyPort}`,
    dropAll,
    close: () =>
      new Promise<void>((resolve) => {
        dropAll();
        server.close(() => resolve());
      }),
  };
}
