/**
 * The WebSocket route (protocol/SPEC.md §6) on a Node HTTP server with the `ws` package: matches the
 * upgrade path, resolves the caller (a stream ticket or the auth hook), and runs the shared
 * {@link startWsSession} on the socket within the subscriber budget (hazard H3).
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { CloseCode, TaskBridgeError } from '@taskbridge/protocol';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { resolveCaller } from '../auth/caller';
import type { TaskEngine } from '../engine/task-engine';
import type { ResolvedServerOptions } from '../options';
import { logWebSocketAccess } from './access-log';
import { tickCorker } from './tick-cork';
import { toAuthRequest } from './request-auth';
import { templateMatcher } from '../wire/route-paths';
import { type AuthOutcome, startWsSession, type WsPeer } from '../wire/ws-session';

// `socket` is the upgrade's own socket, the one `ws` writes its frames to: corking it (public
// `stream.Writable` API; `ws` has none of its own) makes a batch of frames one `writev`.
function peerOf(ws: WebSocket, socket: Duplex, options: ResolvedServerOptions): WsPeer {
  const { maxBufferedBytes, drainTimeoutMs } = options.subscriberBudget;
  const holdUntilTickEnds = tickCorker(socket);
  return {
    send(text) {
      holdUntilTickEnds();
      // Backpressure: over the byte budget, wait for the socket instead of queueing without bound.
      if (ws.bufferedAmount > maxBufferedBytes) {
        return new Promise<void>((resolve) => ws.send(text, () => resolve()));
      }
      ws.send(text);
    },
    cork: () => socket.cork(),
    uncork: () => socket.uncork(),
    close(code, reason) {
      ws.close(code, reason);
      // `ws` waits 30 s for the reader's close frame; a reader that stopped reading never sends it.
      const timer = setTimeout(() => ws.terminate(), drainTimeoutMs);
      timer.unref();
      ws.once('close', () => clearTimeout(timer));
    },
    abort(code, reason) {
      // The close frame is queued behind what the reader never took; it goes if it can, then the
      // connection is dropped.
      ws.close(code, reason);
      ws.terminate();
    },
    isOpen: () => ws.readyState === ws.OPEN,
  };
}

/** The WebSocket route of a server. */
export interface WebSocketRoute {
  /** Stops accepting upgrades and closes every socket with 1001 (each dropped if it cannot close). */
  close(): void;
  /** Drops every socket still open now (the shutdown deadline). */
  terminateAll(): void;
  readonly clients: ReadonlySet<WebSocket>;
}

/** Attaches the WebSocket route to an HTTP server. */
export function attachWebSocket(
  server: Server,
  engine: TaskEngine,
  options: ResolvedServerOptions,
): WebSocketRoute {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const match = templateMatcher(options.routes.websocket);

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const params = options.transports.websocket ? match(url.pathname) : undefined;
    if (!params) {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    const started = performance.now();
    // The peer accepts the upgrade and reports auth failures as 1008; clients expect that.
    const auth: Promise<AuthOutcome> = Promise.resolve()
      .then(() => resolveCaller(options, toAuthRequest(req, url, params), 'websocket'))
      .then(
        (caller) => ({ ok: true as const, value: caller.auth, taskId: caller.ticketTaskId }),
        (error: unknown) => ({ ok: false as const, error: TaskBridgeError.from(error) }),
      );
    wss.handleUpgrade(req, socket, head, (ws) => {
      const session = startWsSession(peerOf(ws, socket, options), engine, options, auth);
      ws.on('close', (code: number) => {
        session.closed();
        if (options.accessLog) logWebSocketAccess(options.logger, req, started, code);
      });
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
    terminateAll() {
      for (const client of wss.clients) client.terminate();
    },
  };
}
