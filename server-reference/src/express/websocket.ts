/**
 * The WebSocket route (protocol/SPEC.md §6) on a Node HTTP server with the `ws` package: matches the upgrade
 * path, resolves auth, and runs the shared {@link startWsSession} on the socket.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { CloseCode, TaskBridgeError } from '@taskbridge/protocol';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import type { TaskEngine } from '../engine/task-engine';
import type { ResolvedServerOptions } from '../options';
import { toAuthRequest } from './request-auth';
import { templateMatcher } from '../wire/route-paths';
import { type AuthOutcome, startWsSession, type WsPeer } from '../wire/ws-session';

// Above this many bytes queued on the socket, wait for the send callback before sending more.
const HIGH_WATER_MARK = 1024 * 1024;

// `socket` is the upgrade's own socket, the one `ws` writes its frames to: corking it (public
// `stream.Writable` API; `ws` has none of its own) makes a batch of frames one `writev`.
function peerOf(ws: WebSocket, socket: Duplex): WsPeer {
  return {
    send(text) {
      // Backpressure: a slow reader makes us wait for the socket instead of queueing without bound.
      if (ws.bufferedAmount > HIGH_WATER_MARK)
        return new Promise<void>((resolve) => ws.send(text, () => resolve()));
      ws.send(text);
    },
    cork: () => socket.cork(),
    uncork: () => socket.uncork(),
    close: (code, reason) => ws.close(code, reason),
    isOpen: () => ws.readyState === ws.OPEN,
  };
}

/** Attaches the WebSocket route to an HTTP server. Returns a closer for graceful shutdown. */
export function attachWebSocket(
  server: Server,
  engine: TaskEngine,
  options: ResolvedServerOptions,
): { close(): void; readonly clients: ReadonlySet<WebSocket> } {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const match = templateMatcher(options.routes.websocket);

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const params = options.transports.websocket ? match(url.pathname) : undefined;
    if (!params) {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    // The peer accepts the upgrade and reports auth failures as 1008; clients expect that.
    const auth: Promise<AuthOutcome> = Promise.resolve()
      .then(() => options.auth(toAuthRequest(req, url, params)))
      .then(
        (value) => ({ ok: true as const, value }),
        (error: unknown) => ({ ok: false as const, error: TaskBridgeError.from(error) }),
      );
    wss.handleUpgrade(req, socket, head, (ws) => {
      const session = startWsSession(peerOf(ws, socket), engine, options, auth);
      ws.on('close', () => session.closed());
      ws.on('error', () => undefined);
      ws.on('message', (data: RawData, isBinary: boolean) => {
        session.receive(isBinary ? null : data.toString());
      });
    });
  };

  server.on('upgrade', onUpgrade);
  return {
    clients: wss.clients,
    close() {
      server.off('upgrade', onUpgrade);
      for (const client of wss.clients) client.close(CloseCode.GOING_AWAY, 'server shutting down');
      wss.close();
    },
  };
}
