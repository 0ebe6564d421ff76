/**
 * Our client as a Node app would build it (as in the smoke test): `WebSocket` from `ws`, `EventSource`
 * from `eventsource`, `environment: null`, the default in-memory checkpoint store — wrapped to count
 * writes, since checkpointing must be batched rather than one write per token.
 */
import {
  type CheckpointStore,
  createMemoryCheckpointStore,
  createMemoryTransportHealthStore,
  createTaskBridgeClient,
  type EventSourceConstructor,
  type TaskBridgeClient,
  type TaskBridgeClientOptions,
  type WebSocketConstructor,
} from '@taskbridge/client';
import type { TransportName } from '@taskbridge/protocol';
import { EventSource } from 'eventsource';
import { WebSocket } from 'ws';

/** A checkpoint store that counts `save` calls. */
export interface CountingStore extends CheckpointStore {
  readonly saves: number;
}

/** Wraps `inner` (default: a new memory store) and counts its writes. */
export function countingStore(inner: CheckpointStore = createMemoryCheckpointStore()): CountingStore {
  let saves = 0;
  return {
    get saves() {
      return saves;
    },
    load: (key) => inner.load(key),
    save: (key, checkpoint) => {
      saves += 1;
      return inner.save(key, checkpoint);
    },
    delete: (key) => inner.delete(key),
    list: (prefix) => inner.list(prefix),
    savePendingStart: (key, start) => inner.savePendingStart(key, start),
    loadPendingStart: (key) => inner.loadPendingStart(key),
    deletePendingStart: (key) => inner.deletePendingStart(key),
  };
}

/** Options of {@link createNodeClient}. */
export interface NodeClientOptions {
  baseUrl: string;
  /** Use only this transport; default: the normal WS → SSE → polling ladder. */
  transport?: TransportName;
  store?: CheckpointStore;
  /** Anything else, e.g. `connection` or `platform.fetch` overrides. */
  extra?: Partial<TaskBridgeClientOptions>;
}

/** Creates our client for Node as the benchmarks use it (token `alice`, the demo auth's subject). */
export function createNodeClient(options: NodeClientOptions): TaskBridgeClient {
  return createTaskBridgeClient({
    baseUrl: options.baseUrl,
    getAccessToken: () => 'alice',
    platform: {
      WebSocket: WebSocket satisfies WebSocketConstructor,
      EventSource: EventSource as unknown as EventSourceConstructor,
    },
    checkpointStore: options.store ?? countingStore(),
    transportHealth: createMemoryTransportHealthStore(),
    environment: null,
    ...(options.transport ? { forceTransport: options.transport } : {}),
    ...options.extra,
  });
}
