/**
 * The client's route resolver (protocol/SPEC.md §1): turns a route name and a task id into an absolute URL, from
 * templates (defaults: TaskBridge v1) or from a host-supplied function, so client and server agree on
 * custom paths such as `/api/v1/projects/{projectId}/tasks/{taskId}/events`.
 */
import { DEFAULT_ROUTES, expandRoute, type RouteName, type RouteTemplates } from '@taskbridge/protocol';

/** A route function: returns an absolute URL, or a path resolved against `baseUrl`. */
export type RouteFunction = (name: RouteName, params: Readonly<Record<string, string>>) => string;

/** Where the server is and how its routes are named (part of the client's `ConnectionOptions`). */
export interface RouteOptions {
  /**
   * The server's base URL, e.g. `https://api.example.com` or `https://example.com/taskbridge`. Route
   * paths are appended to it (a path prefix is kept). A relative value is resolved against
   * `globalThis.location` when there is one (without one, `createTaskBridgeClient` throws a `TypeError`).
   */
  baseUrl: string;
  /**
   * Route templates overriding the TaskBridge v1 defaults (protocol/SPEC.md §1), or a function building
   * each URL. Default: the TaskBridge v1 routes.
   */
  routes?: Partial<RouteTemplates> | RouteFunction;
  /** Extra path parameters for the templates, e.g. `{ projectId: 'p1' }`. Default: none. */
  routeParams?: Record<string, string>;
}

/** Path parameters of one route; `taskId` for every per-task route. */
export interface RouteParams {
  taskId?: string;
}

/**
 * Builds the absolute URL (`http:`/`https:`) of a route.
 *
 * @throws {RangeError} when a template has a placeholder with no value (e.g. `{projectId}` without
 *   `routeParams.projectId`).
 */
export type RouteResolver = (name: RouteName, params?: RouteParams) => string;

/**
 * Creates a {@link RouteResolver} from `baseUrl`, `routes` and `routeParams` (see
 * {@link RouteOptions}). Templates are filled with `routeParams` plus `taskId` (URI-encoded); the
 * resulting path is appended to `baseUrl`, keeping any path prefix of `baseUrl`. A route function's
 * result is used as is when absolute, else appended the same way.
 *
 * @example
 * const resolve = createRouteResolver({ baseUrl: 'http://127.0.0.1:8787' });
 * resolve('events', { taskId: 't1' }); // 'http://127.0.0.1:8787/api/v1/tasks/t1/events'
 */
export function createRouteResolver(options: RouteOptions): RouteResolver {
  const { routes } = options;
  const templates = typeof routes === 'function' ? undefined : { ...DEFAULT_ROUTES, ...routes };
  return (name, params = {}) => {
    const values: Record<string, string> = { ...options.routeParams };
    if (params.taskId !== undefined) values.taskId = params.taskId;
    const path = typeof routes === 'function' ? routes(name, values) : expandRoute(templates![name], values);
    return joinUrl(options.baseUrl, path);
  };
}

/**
 * Converts an `http:`/`https:` URL to `ws:`/`wss:` for the WebSocket route (protocol/SPEC.md §6). URLs already
 * using `ws:`/`wss:` are returned unchanged.
 */
export function toWebSocketUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.protocol === 'http:') parsed.protocol = 'ws:';
  else if (parsed.protocol === 'https:') parsed.protocol = 'wss:';
  return parsed.toString();
}

const ABSOLUTE = /^[a-z][a-z0-9+.-]*:\/\//i;

function joinUrl(baseUrl: string, path: string): string {
  if (ABSOLUTE.test(path)) return path;
  // Plain concatenation, not `new URL(path, base)`, which would drop a base path prefix.
  const joined = `${baseUrl.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
  const location = (globalThis as { location?: { href?: string } }).location;
  return new URL(joined, location?.href).toString();
}
