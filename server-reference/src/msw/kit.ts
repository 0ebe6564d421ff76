/**
 * `createTaskBridgeHandlers`: the whole TaskBridge server as MSW 2 handlers over the same engine and
 * operations as the Express reference server, plus runtime fault scenarios.
 */
import type { WebSocketHandler } from 'msw';
import type { HttpHandler } from 'msw';
import { createTaskEngine, type TaskEngine } from '../engine/task-engine';
import type { TaskHandler } from '../engine/types';
import { demoHandlers } from '../handlers/index';
import { createDemoAuthResolver } from '../auth/demo';
import { type ReferenceServerOptions, resolveServerOptions } from '../options';
import { type KitContext, routePatterns } from './context';
import { createFaultController, type TaskBridgeFaults } from './faults';
import { createHttpHandlers } from './http-handlers';
import { createSseHandlers } from './sse-handler';
import { createWebSocketHandlers } from './ws-handler';

/**
 * Options of {@link createTaskBridgeHandlers}: the reference server's, minus what only Express has
 * (`cors`, `staticDir`). `backend` and `maxQueuedEventsPerSubscriber` apply when the kit creates its
 * engine; with `engine` given, `handlers` are registered on it and those two are ignored.
 */
export interface TaskBridgeHandlersOptions extends Omit<
  ReferenceServerOptions,
  'cors' | 'staticDir' | 'allowedOrigins' | 'shutdownTimeoutMs' | 'accessLog' | 'subscriberBudget'
> {
  /**
   * Origin (and optional path prefix) the handlers answer for, e.g. `http://localhost:8787` — the
   * client's `baseUrl`. Default: any origin (`*`), which Node needs for relative setups; in a browser
   * pass `location.origin` to leave other origins alone.
   */
  baseUrl?: string;
  /** An engine to drive (e.g. shared with a test's assertions). Default: a new one with `handlers`. */
  engine?: TaskEngine;
  /** Faults in force from the start. Default: none. */
  faults?: TaskBridgeFaults;
}

/** The MSW kit: handlers for `setupServer`/`setupWorker`, the engine behind them, and fault control. */
export interface TaskBridgeMswKit {
  /** Every route of protocol/SPEC.md §1 as MSW handlers: spread them into `setupServer(...kit.handlers)`. */
  readonly handlers: ReadonlyArray<HttpHandler | WebSocketHandler>;
  /** The engine the handlers drive (tasks, events, subscriptions). */
  readonly engine: TaskEngine;
  /** Registers (or replaces) the handler of a `taskType`, e.g. a {@link scriptedTask}. */
  registerHandler(taskType: string, handler: TaskHandler): void;
  /** Replaces the faults in force (keys left out are cleared); applies to the next connection/request. */
  setFaults(faults: TaskBridgeFaults): void;
  /** Clears every fault. */
  resetFaults(): void;
  /** The faults in force now (spent `times` faults are gone). */
  readonly faults: TaskBridgeFaults;
  /**
   * Drops every open WebSocket (close 1006) and SSE response (body ends) now, as a network blip
   * would; clients reconnect and resume from their checkpoint. Combine with {@link setFaults} to
   * shape what the reconnect meets, e.g. `{ websocket: { kind: 'refuse' } }`.
   */
  dropConnections(): void;
  /** Turns `/ready` to 503 (`false`) or back to 200. Default ready. */
  setReady(ready: boolean): void;
  /** Aborts running tasks and ends every open stream and socket. Call it in `afterEach`/`afterAll`. */
  close(): void;
}

/**
 * Creates the MSW kit (protocol/SPEC.md §1–§9 on MSW 2): `http` handlers for create, poll, cancel, actions,
 * status, capabilities, health and ready; a streaming `text/event-stream` handler for SSE; a `ws.link`
 * handler for the WebSocket. Same engine, operations, sessions and route templates as
 * `createReferenceServer`, so idempotency, replay, terminal, suspension and error semantics match.
 *
 * @example
 * const kit = createTaskBridgeHandlers({ baseUrl: 'http://api.test' });
 * const server = setupServer(...kit.handlers);
 * server.listen();
 * kit.setFaults({ websocket: { kind: 'refuse' }, sse: { kind: 'buffer' } }); // the client ends on polling
 */
export function createTaskBridgeHandlers(options: TaskBridgeHandlersOptions = {}): TaskBridgeMswKit {
  // A mock serves only the page (or test process) it runs in: the demo resolver with an anonymous
  // subject and the `access_token` query (MSW shows no WebSocket headers) are its defaults.
  const resolved = resolveServerOptions(options, {
    auth: createDemoAuthResolver({ anonymousSubject: 'anonymous' }),
    allowAccessTokenQuery: true,
  });
  const engine =
    options.engine ??
    createTaskEngine({
      handlers: options.handlers ?? demoHandlers,
      maxQueuedEventsPerSubscriber: resolved.maxQueuedEventsPerSubscriber,
      ...(options.backend ? { backend: options.backend } : {}),
    });
  if (options.engine && options.handlers) {
    for (const [type, handler] of Object.entries(options.handlers)) engine.registerHandler(type, handler);
  }
  const faults = createFaultController(options.faults);
  let ready = true;
  const ctx: KitContext = {
    engine,
    options: resolved,
    faults,
    closers: new Set(),
    isReady: () => ready,
    ...routePatterns(options.baseUrl, resolved),
  };
  const handlers = [...createSseHandlers(ctx), ...createHttpHandlers(ctx), ...createWebSocketHandlers(ctx)];
  return {
    handlers,
    engine,
    registerHandler: (taskType, handler) => engine.registerHandler(taskType, handler),
    setFaults: (next) => faults.set(next),
    resetFaults: () => faults.reset(),
    get faults() {
      return faults.current();
    },
    dropConnections() {
      for (const drop of Array.from(ctx.closers)) drop('drop');
    },
    setReady(value) {
      ready = value;
    },
    close() {
      void engine.shutdown();
      for (const close of Array.from(ctx.closers)) close('shutdown');
    },
  };
}
