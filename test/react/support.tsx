/**
 * Builds Node clients for React tests against the real reference server. happy-dom provides `window`,
 * `WebSocket` and `localStorage`; the Node `ws`/`eventsource` constructors, a memory transport-health
 * store and `environment: null` keep the tests deterministic.
 */
import {
  type CheckpointStore,
  createMemoryCheckpointStore,
  createMemoryTransportHealthStore,
  createTaskBridgeClient,
  type TaskBridgeClient,
  type TaskBridgeClientOptions,
} from '@taskbridge/client';
import { TaskBridgeProvider } from '@taskbridge/react';
import { EventSource } from 'eventsource';
import type { ReactNode } from 'react';
import { WebSocket } from 'ws';
import type { TestServer } from '../support/reference-server';

/** A client of `srv` as subject `alice`. */
export function createTestClient(
  srv: TestServer,
  options: Partial<TaskBridgeClientOptions> & { checkpointStore?: CheckpointStore } = {},
): TaskBridgeClient {
  return createTaskBridgeClient({
    baseUrl: srv.url,
    getAccessToken: () => 'alice',
    platform: { WebSocket: WebSocket as never, EventSource: EventSource as never },
    checkpointStore: createMemoryCheckpointStore(),
    transportHealth: createMemoryTransportHealthStore(),
    environment: null,
    ...options,
  });
}

/** A `wrapper` for `render` that provides `client`. */
export function providerFor(client: TaskBridgeClient) {
  return function Wrapper({ children }: { children?: ReactNode }) {
    return <TaskBridgeProvider client={client}>{children}</TaskBridgeProvider>;
  };
}

/** A text the `summarize` handler turns into a summary of several streamed tokens. */
export const ARTICLE = [
  'Streaming responses make long tasks feel fast because users see progress at once.',
  'A task bridge delivers every event exactly once and in order across reconnects.',
  'Clients resume from the last event id after a dropped connection or a reload.',
  'The weather was pleasant.',
  'Every event in the stream carries an id so clients resume a stream without gaps.',
].join(' ');
