/**
 * The WebSocket route (SPEC.md §6): one subscribe frame, ack, replay, live, close 1000 after the
 * terminal event; 1008 for bad frames, unknown or foreign tasks and auth failures; 1003 for binary
 * frames; 1013 when the subscriber fell too far behind (hazard H3).
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  CloseCode,
  parseJson,
  parseSubscribeFrame,
  TaskBridgeError,
  type TaskEvent,
} from '@taskbridge/protocol';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import type { TaskEngine } from '../engine/task-engine';
import type { AuthContext } from '../engine/types';
import type { ResolvedServerOptions } from '../options';
import { toAuthRequest } from './request-auth';
import { templateMatcher } from './route-paths';

// Above this many bytes queued on the socket, wait for the send callback before sending more.
const HIGH_WATER_MARK = 1024 * 1024;

/** Attaches the WebSocket route to an HTTP server. Returns a closer for graceful shutdown. */
export function attachWebSocket(
  server: Server,
  engine: TaskEngine,
  options: ResolvedServerOptions,
): { close(): void; readonly clients: ReadonlySet<WebSocket> } {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const match = templateMatcher(options.routes.websocket);
  const log = options.logger;

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const params = options.transports.websocket ? match(url.pathname) : undefined;
    if (!params) {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    // The peer accepts the upgrade and reports auth failures as 1008; clients expect that.
    const auth = Promise.resolve()
      .then(() => options.auth(toAuthRequest(req, url, params)))
      .then(
        (value) => ({ ok: true as const, value }),
        (error: unknown) => ({ ok: false as const, error: TaskBridgeError.from(error) }),
      );
    wss.handleUpgrade(req, socket, head, (ws) => serve(ws, auth));
  };

  const serve = (
    ws: WebSocket,
    authResult: Promise<{ ok: true; value: AuthContext } | { ok: false; error: TaskBridgeError }>,
  ) => {
    let subscribed = false;
    let stop: (() => void) | undefined;
    const timeout = setTimeout(
      () => ws.close(CloseCode.POLICY_VIOLATION, 'subscribe frame expected'),
      options.subscribeTimeoutMs,
    );
    ws.on('close', () => {
      clearTimeout(timeout);
      stop?.();
    });
    ws.on('error', () => undefined);
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (isBinary) return ws.close(CloseCode.UNSUPPORTED_DATA, 'text frames only');
      // Keep reading after the subscribe frame so a closed client is noticed; ignore extra frames.
      if (subscribed) return;
      subscribed = true;
      clearTimeout(timeout);
      void subscribe(ws, data.toString(), authResult).then((stopper) => {
        stop = stopper;
      });
    });
  };

  const subscribe = async (
    ws: WebSocket,
    text: string,
    authResult: Promise<{ ok: true; value: AuthContext } | { ok: false; error: TaskBridgeError }>,
  ): Promise<(() => void) | undefined> => {
    const json = parseJson(text);
    const frame = json.ok ? parseSubscribeFrame(json.value) : json;
    if (!frame.ok) {
      ws.close(CloseCode.POLICY_VIOLATION, 'invalid subscribe frame');
      return undefined;
    }
    const auth = await authResult;
    if (!auth.ok) {
      ws.close(CloseCode.POLICY_VIOLATION, 'authentication failed');
      return undefined;
    }
    const { taskId, lastEventId } = frame.value;
    let subscription: ReturnType<TaskEngine['subscribe']>;
    try {
      subscription = engine.subscribe(auth.value, taskId, lastEventId);
    } catch (error) {
      const reason =
        TaskBridgeError.from(error).code === 'TASK_NOT_FOUND' ? 'task not found' : 'invalid cursor';
      ws.close(CloseCode.POLICY_VIOLATION, reason);
      return undefined;
    }
    if (ws.readyState !== ws.OPEN) {
      subscription.close();
      return undefined;
    }
    ws.send(
      JSON.stringify({
        type: 'SUBSCRIPTION_CONFIRMED',
        taskId,
        replayStartedAfterEventId: lastEventId,
        live: true,
      }),
    );
    void pump(ws, taskId, subscription);
    return () => subscription.close();
  };

  const pump = async (ws: WebSocket, taskId: string, subscription: ReturnType<TaskEngine['subscribe']>) => {
    const heartbeat = JSON.stringify({ type: 'HEARTBEAT', taskId, live: true });
    const interval = options.heartbeatIntervalMs.websocket;
    let lastSend = Date.now();
    const timer = setInterval(() => {
      if (Date.now() - lastSend >= interval / 2 && ws.readyState === ws.OPEN) {
        lastSend = Date.now();
        ws.send(heartbeat);
      }
    }, interval);
    let terminal = false;
    let code: number = CloseCode.GOING_AWAY;
    try {
      for await (const item of subscription) {
        if (ws.readyState !== ws.OPEN) break;
        lastSend = Date.now();
        if (item.kind === 'caught-up') {
          ws.send(heartbeat);
          continue;
        }
        await sendBatch(ws, item.events);
      }
      terminal = subscription.endedAtTerminal;
      if (terminal) code = CloseCode.NORMAL;
    } catch (error) {
      code = CloseCode.TRY_AGAIN_LATER;
      log({
        level: 'warn',
        msg: 'websocket subscriber overflow',
        taskId,
        error: TaskBridgeError.from(error).message,
      });
    } finally {
      clearInterval(timer);
      subscription.close();
      if (ws.readyState === ws.OPEN) ws.close(code, terminal ? 'task finished' : 'stream ended');
    }
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

async function sendBatch(ws: WebSocket, events: TaskEvent[]): Promise<void> {
  const last = events.length - 1;
  for (let i = 0; i < last; i++) ws.send(JSON.stringify(events[i]));
  const frame = JSON.stringify(events[last]);
  // Backpressure: a slow reader makes us wait for the socket instead of queueing without bound.
  if (ws.bufferedAmount > HIGH_WATER_MARK)
    await new Promise<void>((resolve) => ws.send(frame, () => resolve()));
  else ws.send(frame);
}
