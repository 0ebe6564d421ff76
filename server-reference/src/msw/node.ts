/**
 * Node setup for the MSW kit.
 *
 * Node 20 has no global `WebSocket` and no global `EventSource` (LIBRARIES.md): MSW 2.15 patches the
 * global `WebSocket` only if one exists when `server.listen()` runs, and its `sse()` handler throws at
 * construction without a global `EventSource`. Call {@link installMswNodeGlobals} before
 * `setupServer(...)` / `server.listen()`.
 */
import { EventSource } from 'eventsource';
import type { AnyHandler } from 'msw';
import { type SetupServer, setupServer } from 'msw/node';
import { WebSocket } from 'ws';
import type { TaskBridgeMswKit } from './kit';

/**
 * Sets `globalThis.WebSocket` (from `ws`) and `globalThis.EventSource` (from `eventsource`) where they
 * are missing, as configurable properties so MSW can patch them. Globals that exist are left alone.
 *
 * @returns a function that removes what this call added.
 */
export function installMswNodeGlobals(): () => void {
  const added: string[] = [];
  const define = (name: string, value: unknown) => {
    if ((globalThis as Record<string, unknown>)[name] !== undefined) return;
    Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
    added.push(name);
  };
  define('WebSocket', WebSocket);
  define('EventSource', EventSource);
  return () => {
    for (const name of added) delete (globalThis as Record<string, unknown>)[name];
  };
}

/**
 * Cancels the copy of each mocked response that MSW 2.15's fetch interceptor makes for its
 * `response:mocked` event (mswjs/interceptors#712). Without this, on Node, `response.body.cancel()`
 * on a mocked response never settles (a tee branch's cancel waits for the other branch), which hangs
 * any client that discards an error body before retrying — and the copy buffers whole SSE streams.
 * Skip it only if your own `response:mocked` listeners read that copy.
 *
 * @returns a function that removes the listener.
 */
export function releaseMockedResponseCopies(server: Pick<SetupServer, 'events'>): () => void {
  const release = ({ response }: { response: Response }) => {
    void response.body?.cancel().catch(() => undefined);
  };
  server.events.on('response:mocked', release);
  return () => server.events.removeListener('response:mocked', release);
}

/**
 * `setupServer` with the kit's handlers (after `extra`, so yours win) and
 * {@link releaseMockedResponseCopies} applied. Install the Node globals first.
 *
 * @example
 * installMswNodeGlobals();
 * const kit = createTaskBridgeHandlers({ baseUrl: 'http://api.test' });
 * const server = setupTaskBridgeServer(kit);
 * server.listen({ onUnhandledRequest: 'error' });
 */
export function setupTaskBridgeServer(kit: TaskBridgeMswKit, ...extra: AnyHandler[]): SetupServer {
  const server = setupServer(...extra, ...kit.handlers);
  releaseMockedResponseCopies(server);
  return server;
}
