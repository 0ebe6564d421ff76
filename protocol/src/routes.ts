/**
 * Route templates (protocol/SPEC.md §1). Templates use `{name}` placeholders; `{taskId}` is the task, any other
 * parameter (e.g. `{projectId}`) is the host's and is passed to its auth hook.
 */

/** The templates of every TaskBridge route. */
export interface RouteTemplates {
  /** POST create (§2). Default `/api/v1/tasks`. */
  create: string;
  /** GET poll / long-poll (§4). Default `/api/v1/tasks/{taskId}/events`. */
  events: string;
  /** GET SSE (§5). Default `/api/v1/tasks/{taskId}/events/stream`. */
  stream: string;
  /** WebSocket upgrade (§6); the task is chosen by the subscribe frame. Default `/api/v1/tasks/ws`. */
  websocket: string;
  /** POST cancel (§7). Default `/api/v1/tasks/{taskId}/cancel`. */
  cancel: string;
  /** POST action (§7). Default `/api/v1/tasks/{taskId}/actions`. */
  actions: string;
  /** E1 GET task status. Default `/api/v1/tasks/{taskId}`. */
  status: string;
  /** E2 GET capabilities. Default `/api/v1/capabilities`. */
  capabilities: string;
  /**
   * POST mint a single-use stream ticket (our extension, protocol/SPEC.md §12). Default
   * `/api/v1/stream-tickets`.
   */
  streamTickets: string;
}

/** A route's name. */
export type RouteName = keyof RouteTemplates;

/**
 * Builds every template under one base path, e.g. `createRouteTemplates('/api/v1/projects/{projectId}')`
 * gives `/api/v1/projects/{projectId}/tasks/{taskId}/events` and so on.
 *
 * @param base - path prefix without a trailing slash; default `/api/v1`.
 */
export function createRouteTemplates(base = '/api/v1'): RouteTemplates {
  const tasks = `${base}/tasks`;
  return {
    create: tasks,
    events: `${tasks}/{taskId}/events`,
    stream: `${tasks}/{taskId}/events/stream`,
    websocket: `${tasks}/ws`,
    cancel: `${tasks}/{taskId}/cancel`,
    actions: `${tasks}/{taskId}/actions`,
    status: `${tasks}/{taskId}`,
    capabilities: `${base}/capabilities`,
    streamTickets: `${base}/stream-tickets`,
  };
}

/** The TaskBridge v1 defaults (protocol/SPEC.md §1). */
export const DEFAULT_ROUTES: Readonly<RouteTemplates> = Object.freeze(createRouteTemplates());

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Names of the placeholders in a template, in order: `'/p/{projectId}/t/{taskId}'` → `['projectId','taskId']`. */
export function routeParams(template: string): string[] {
  return Array.from(template.matchAll(PLACEHOLDER), (m) => m[1] as string);
}

/**
 * Fills a template; each value is URI-encoded.
 *
 * @throws {RangeError} when a placeholder has no value.
 */
export function expandRoute(template: string, params: Readonly<Record<string, string>>): string {
  return template.replace(PLACEHOLDER, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new RangeError(`route ${template}: missing parameter "${name}"`);
    return encodeURIComponent(value);
  });
}
