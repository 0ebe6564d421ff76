/**
 * The two servers the MSW suites compare: the MSW kit (in-process, `setupServer`) and the real Express
 * reference server on 127.0.0.1:0, each with a client factory wired the way an app would wire it.
 * Import `./msw-node-globals` before this module.
 */
import {
  createMemoryCheckpointStore,
  createMemoryTransportHealthStore,
  createTaskBridgeClient,
  type TaskBridgeClient,
  type TaskBridgeClientOptions,
} from '@taskbridge/client';
import {
  createTaskBridgeHandlers,
  type TaskBridgeHandlersOptions,
  type TaskBridgeMswKit,
} from '@taskbridge/server-reference/msw';
import { setupTaskBridgeServer } from '@taskbridge/server-reference/msw/node';
import { WebSocket } from 'ws';
import { startTestServer } from '../support/reference-server';

/** Client options a test may set on top of the target's wiring. */
export type ClientOverrides = Omit<TaskBridgeClientOptions, 'baseUrl'>;

/** A started target. */
export interface Target {
  name: 'msw' | 'express';
  /** A new client for this target (closed by `close()`). */
  client(overrides?: ClientOverrides): TaskBridgeClient;
  close(): Promise<void>;
}

/** The base URL the MSW kit answers for (nothing listens there: MSW answers in-process). */
export const MSW_BASE_URL = 'http://taskbridge.msw.test';

function clientFactory(baseUrl: string, wiring: Partial<TaskBridgeClientOptions>) {
  const clients: TaskBridgeClient[] = [];
  return {
    clients,
    client(overrides: ClientOverrides = {}) {
      const client = createTaskBridgeClient({
        baseUrl,
        getAccessToken: () => 'alice',
        checkpointStore: createMemoryCheckpointStore(),
        transportHealth: createMemoryTransportHealthStore(),
        environment: null,
        ...wiring,
        ...overrides,
      });
      clients.push(client);
      return client;
    },
  };
}

/**
 * Starts the MSW kit with `setupTaskBridgeServer` (setupServer + the response-copy workaround). The client uses the platform globals MSW patched: `fetch`,
 * `WebSocket` (so its token travels as `access_token`), and the `eventsource` package over `fetch`.
 */
export function startMswTarget(options: TaskBridgeHandlersOptions = {}): Target & { kit: TaskBridgeMswKit } {
  const kit = createTaskBridgeHandlers({ baseUrl: MSW_BASE_URL, ...options });
  const server = setupTaskBridgeServer(kit);
  server.listen({ onUnhandledRequest: 'error' });
  const factory = clientFactory(MSW_BASE_URL, {});
  return {
    name: 'msw',
    kit,
    client: factory.client,
    async close() {
      for (const client of factory.clients) client.close();
      kit.close();
      server.close();
    },
  };
}

/**
 * Starts the Express reference server; the client injects `ws` as its WebSocket (Node 20 has none)
 * and sends its token as a header (the server refuses `access_token` in URLs by default).
 */
export async function startExpressTarget(): Promise<Target> {
  const srv = await startTestServer();
  const factory = clientFactory(srv.url, {
    platform: { WebSocket: WebSocket as never },
    webSocketAuth: 'header',
  });
  return {
    name: 'express',
    client: factory.client,
    async close() {
      for (const client of factory.clients) client.close();
      await srv.close();
    },
  };
}
