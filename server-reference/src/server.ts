/**
 * `createReferenceServer`: the engine, the Express app and the WebSocket route on one HTTP server.
 */
import { setMaxListeners } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { TaskBridgeError } from '@taskbridge/protocol';
import type { Express } from 'express';
import type { TicketStore } from './auth/ticket-store';
import { createRedisBackend } from './engine/state/redis/redis-backend';
import { createTaskEngine, type TaskEngine } from './engine/task-engine';
import { demoHandlers } from './handlers/index';
import { isDemoAuthResolver } from './auth/demo';
import { createTaskBridgeApp } from './express/app';
import { attachWebSocket } from './express/websocket';
import { type ReferenceServerOptions, resolveServerOptions } from './options';
import { createBullmqRuntime } from './runtime/bullmq/bullmq-runtime';
import type { TaskRuntimeFactory } from './runtime/runtime';

/** `streamTickets` with `store` as its store, unless tickets are off or a store was chosen. */
function withTicketStore(
  setting: ReferenceServerOptions['streamTickets'],
  store: TicketStore,
): ReferenceServerOptions['streamTickets'] {
  if (setting === false) return false;
  if (setting === undefined || setting === true) return { store };
  return setting.store ? setting : { ...setting, store };
}

/** The runtime factory `options.runtime` asks for (`undefined`: the engine's in-process default). */
function runtimeOf(options: ReferenceServerOptions): TaskRuntimeFactory | undefined {
  const { runtime } = options;
  if (runtime === undefined || runtime === 'in-process') return undefined;
  if (runtime !== 'bullmq') return runtime;
  if (options.redis === undefined) {
    throw new TypeError(
      "TaskBridge server: runtime 'bullmq' queues tasks in Redis: pass `redis` (CLI: --redis or REDIS_URL)",
    );
  }
  return createBullmqRuntime({ redis: options.redis });
}

/** A running (or ready to run) reference server. */
export interface ReferenceServer {
  /** The Express app (mount it elsewhere, or use `listen`). */
  app: Express;
  /** The engine behind every route (register handlers, inspect tasks in tests). */
  engine: TaskEngine;
  /** The HTTP server (WebSocket upgrades are handled on it). */
  server: Server;
  /**
   * Starts listening. Port 0 (the default) picks an ephemeral port.
   *
   * @param port - default 0 (ephemeral).
   * @param host - default `127.0.0.1`.
   * @returns the bound port and base URL, e.g. `http://127.0.0.1:8787`.
   * @throws the server's listen error (e.g. `EADDRINUSE`), as a rejection.
   */
  listen(port?: number, host?: string): Promise<{ port: number; url: string }>;
  /**
   * Graceful shutdown: `/ready` turns 503, long polls return, SSE responses end, WebSockets close
   * with 1001, running tasks are aborted (no terminal events are written), the backend is closed if
   * the server created it, then the HTTP server closes. Connections still open after
   * `shutdownTimeoutMs` (default 1,000 ms) are destroyed, so a reader that stopped reading cannot
   * hold the shutdown up. Never rejects.
   */
  close(): Promise<void>;
}

/** Tells the operator once per process when nothing else would show the demo warning. */
let demoWarningEmitted = false;

/**
 * Creates the reference server (protocol/SPEC.md §1–§12, hazards H1–H7). Does not listen until
 * `listen()`. `auth` is required: with {@link createDemoAuthResolver} the server warns at `listen()`
 * (through `logger`, or a process warning when no logger is set).
 *
 * @param options - {@link ReferenceServerOptions}; `auth` is required, every other field has a default.
 * @throws {TypeError} when `options.auth` is missing: the server never starts as "anyone is anyone".
 *
 * @example
 * const server = createReferenceServer({
 *   auth: createJwtAuthResolver({ secret: process.env['TASKBRIDGE_JWT_SECRET'] ?? '', audience: 'tasks' }),
 * });
 * const { url } = await server.listen(8787);
 */
export function createReferenceServer(options: ReferenceServerOptions): ReferenceServer {
  // Resolved first: a configuration error throws before any connection is opened.
  const base = resolveServerOptions(options);
  const runtime = runtimeOf(options);
  // A Redis backend made from the `redis` shorthand is the server's: it closes it.
  const ownRedis =
    options.backend === undefined && options.redis !== undefined
      ? createRedisBackend({
          redis: options.redis,
          onConnectionError: (error) =>
            base.logger({ level: 'warn', msg: 'redis connection error', error: error.message }),
        })
      : undefined;
  const backend = options.backend ?? ownRedis;
  // A backend shared between processes shares its stream tickets too (protocol/SPEC.md §12).
  const resolved = backend?.tickets
    ? resolveServerOptions({
        ...options,
        streamTickets: withTicketStore(options.streamTickets, backend.tickets),
      })
    : base;
  const warnDemo = () => {
    if (!isDemoAuthResolver(resolved.auth)) return;
    const msg =
      'demo auth: the bearer token is taken as the user id, anyone can act as anyone; use ' +
      'createJwtAuthResolver (CLI --auth jwt) for anything reachable by others';
    if (options.logger) options.logger({ level: 'warn', msg });
    else if (!demoWarningEmitted) {
      demoWarningEmitted = true;
      process.emitWarning(msg, { code: 'TASKBRIDGE_DEMO_AUTH' });
    }
  };
  const engine = createTaskEngine({
    handlers: options.handlers ?? demoHandlers,
    maxQueuedEventsPerSubscriber: resolved.maxQueuedEventsPerSubscriber,
    logger: resolved.logger,
    ...(options.limits ? { limits: options.limits } : {}),
    ...(backend ? { backend } : {}),
    ...(runtime ? { runtime } : {}),
  });
  const shutdown = new AbortController();
  // Every pending long poll listens for shutdown; hundreds at once are normal, not a leak.
  // (Non-Node AbortSignals, e.g. a test DOM's, are not accepted here and need no raising.)
  try {
    setMaxListeners(0, shutdown.signal);
  } catch {
    // nothing to raise
  }
  let ready = false;
  const isReady = () => ready && (engine.backend.isReady?.() ?? true);
  const app = createTaskBridgeApp(engine, resolved, { shutdown: shutdown.signal, isReady });
  const server = createServer(app);
  // Every socket, upgraded ones included (`closeAllConnections` only knows HTTP ones): the shutdown
  // deadline destroys what is still open.
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  // Requests Node's HTTP parser rejects (oversized request line or headers, garbage) never reach
  // Express; answer them with the envelope too instead of a bare status line.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return socket.destroy();
    const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
    const failure = new TaskBridgeError({
      code: tooLarge ? 'PAYLOAD_TOO_LARGE' : 'INVALID_REQUEST',
      message: tooLarge ? 'request line or headers too large' : 'malformed HTTP request',
    });
    const status = tooLarge ? 431 : 400;
    const body = JSON.stringify(failure.toEnvelope());
    socket.end(
      `HTTP/1.1 ${status} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
  const ws = attachWebSocket(server, engine, resolved);

  return {
    app,
    engine,
    server,
    listen(port = 0, host = '127.0.0.1') {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          ready = true;
          warnDemo();
          const bound = (server.address() as AddressInfo).port;
          const shownHost = host.includes(':') ? `[${host}]` : host;
          resolve({ port: bound, url: `http://${shownHost}:${bound}` });
        });
      });
    },
    async close() {
      ready = false;
      shutdown.abort();
      await engine.shutdown();
      ws.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        const deadline = setTimeout(() => {
          ws.terminateAll();
          server.closeAllConnections();
          for (const socket of sockets) socket.destroy();
        }, resolved.shutdownTimeoutMs);
        deadline.unref();
        server.once('close', () => clearTimeout(deadline));
      });
      // Last: requests still draining above may need it.
      await ownRedis?.close().catch(() => undefined);
    },
  };
}
