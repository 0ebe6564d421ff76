/**
 * What every MSW handler of the kit shares: the engine, the resolved server options, the fault
 * switchboard and the URL patterns of the routes.
 */
import type { RouteName } from '@taskbridge/protocol';
import type { TaskEngine } from '../engine/task-engine';
import { type Caller, resolveCaller } from '../auth/caller';
import { toExpressPath } from '../wire/route-paths';
import type { ResolvedServerOptions } from '../options';
import { type FaultController, unauthorizedFault } from './faults';
import { authRequestOf, type RouteParams } from './web-request';

/** The kit's shared state. */
export interface KitContext {
  engine: TaskEngine;
  options: ResolvedServerOptions;
  faults: FaultController;
  /**
   * Ends what is still open (streams, sockets): `'shutdown'` when the kit closes (WebSocket 1001),
   * `'drop'` for `kit.dropConnections()` (WebSocket 1006, as a network failure). Entries remove themselves.
   */
  closers: Set<(mode: 'shutdown' | 'drop') => void>;
  /** `false` answers `/ready` with 503. */
  isReady(): boolean;
  /** MSW pattern of an HTTP route: the base URL (or `*`: any origin) + the template with `:params`. */
  httpPath(route: RouteName | 'health' | 'ready'): string;
  /** MSW pattern of the WebSocket route (`ws:`/`wss:` for an `http:`/`https:` base URL). */
  webSocketPath(): string;
}

/**
 * Builds the route patterns for a base URL: `undefined` matches any origin (`*`), which is what Node
 * needs (MSW resolves relative paths against `location`, absent in Node).
 */
export function routePatterns(
  baseUrl: string | undefined,
  options: ResolvedServerOptions,
): Pick<KitContext, 'httpPath' | 'webSocketPath'> {
  const base = baseUrl === undefined ? '*' : baseUrl.replace(/\/+$/, '');
  const wsBase = base.replace(/^http(s?):/i, 'ws$1:');
  return {
    httpPath: (route) =>
      route === 'health' || route === 'ready'
        ? `${base}/${route}`
        : `${base}${toExpressPath(options.routes[route])}`,
    webSocketPath: () => `${wsBase}${toExpressPath(options.routes.websocket)}`,
  };
}

/**
 * Resolves the caller of a route (a stream ticket on SSE and WebSocket, else the host's auth hook),
 * after the {@link AuthFault} (if one applies to `route`). `headers` is `undefined` for a WebSocket
 * (MSW exposes none).
 *
 * @throws {TaskBridgeError} `AUTHENTICATION_ERROR` (the fault, a refused ticket, or the resolver's own
 *   errors).
 */
export async function authenticate(
  ctx: KitContext,
  route: RouteName,
  method: string,
  url: URL,
  headers: Headers | undefined,
  params: RouteParams,
): Promise<Caller> {
  if (ctx.faults.take('auth', route)) throw unauthorizedFault();
  const taskId = typeof params.taskId === 'string' ? params.taskId : undefined;
  return resolveCaller(ctx.options, authRequestOf(method, url, headers, params), route, taskId);
}
