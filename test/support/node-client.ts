/**
 * Builds a `@taskbridge/client` for Node integration tests (Node 20 has no global `WebSocket` or
 * `EventSource`: both are injected), plus helpers that record what a stream delivers and read the
 * authoritative event list back from the reference server, so "nothing lost, nothing twice, in order"
 * is checked against the server rather than against a count.
 */
import {
  createMemoryCheckpointStore,
  createMemoryTransportHealthStore,
  createTaskBridgeClient,
  type Diagnostic,
  type TaskBridgeClient,
  type TaskBridgeClientOptions,
  type TaskStream,
  type WebSocketConstructor,
  type EventSourceConstructor,
} from '@taskbridge/client';
import { compareEventIds, type TaskEvent, type UnknownTaskEvent } from '@taskbridge/protocol';
import { EventSource } from 'eventsource';
import { WebSocket } from 'ws';
import type { TestServer } from './reference-server';

/** Deadlines small enough for fallback tests on loopback, generous enough for 2 busy cores. */
export const FAST_CONNECTION = {
  openTimeoutMs: 300,
  firstFrameTimeoutMs: 500,
  probeDelayMs: 300,
  probeMaxDelayMs: 600,
  backoff: { baseMs: 20, maxMs: 100 },
} as const;

/** A client plus everything it reported through `onDiagnostic`. */
export interface NodeClient {
  client: TaskBridgeClient;
  diagnostics: Diagnostic[];
}

/**
 * Creates a client for `baseUrl` with the `ws` and `eventsource` constructors, no environment, memory
 * checkpoints and memory transport health (so tests never share remembered health), token `alice`.
 * Anything in `overrides` wins; `overrides.platform` is merged over the two constructors.
 */
export function createNodeClient(
  baseUrl: string,
  overrides: Partial<TaskBridgeClientOptions> = {},
): NodeClient {
  const diagnostics: Diagnostic[] = [];
  const client = createTaskBridgeClient({
    baseUrl,
    getAccessToken: () => 'alice',
    checkpointStore: createMemoryCheckpointStore(),
    transportHealth: createMemoryTransportHealthStore(),
    environment: null,
    ...overrides,
    platform: {
      WebSocket: WebSocket as unknown as WebSocketConstructor,
      EventSource: EventSource as unknown as EventSourceConstructor,
      ...overrides.platform,
    },
    onDiagnostic: (diagnostic) => {
      diagnostics.push(diagnostic);
      overrides.onDiagnostic?.(diagnostic);
    },
  });
  return { client, diagnostics };
}

/** What one `events$` observer saw. */
export interface EventRecording {
  events: (TaskEvent | UnknownTaskEvent)[];
  /** Set once `events$` completed. */
  completed: boolean;
  /** Set once `events$` errored. */
  error: unknown;
  /** Resolves when `events$` completes; rejects when it errors. */
  done: Promise<void>;
  unsubscribe(): void;
}

/** Subscribes to `stream.events$` and records everything it emits. */
export function recordEvents(stream: TaskStream): EventRecording {
  let resolve: () => void = () => undefined;
  let reject: (error: unknown) => void = () => undefined;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Observed by the tests that expect an error; never an unhandled rejection.
  done.catch(() => undefined);
  const recording: EventRecording = {
    events: [],
    completed: false,
    error: undefined,
    done,
    unsubscribe: () => subscription.unsubscribe(),
  };
  const subscription = stream.events$.subscribe({
    next: (event) => recording.events.push(event),
    complete: () => {
      recording.completed = true;
      resolve();
    },
    error: (error: unknown) => {
      recording.error = error;
      reject(error);
    },
  });
  return recording;
}

/** True when every id is strictly greater than the one before it (ids compared as `<ms>-<seq>`). */
export function strictlyIncreasing(ids: readonly string[]): boolean {
  return ids.every((id, i) => i === 0 || compareEventIds(ids[i - 1] as string, id) === -1);
}

/** Every event of a task as the reference server stores it, read by paging through the poll route. */
export async function serverEventIds(srv: TestServer, taskId: string, subject = 'alice'): Promise<string[]> {
  const ids: string[] = [];
  let after: string | null = null;
  for (;;) {
    const query = new URLSearchParams({ waitTimeoutMs: '0', maxEvents: '500' });
    if (after !== null) query.set('afterEventId', after);
    const res = await srv.request(`/api/v1/tasks/${taskId}/events?${query}`, { subject });
    if (res.status !== 200) throw new Error(`poll failed: ${res.status} ${await res.text()}`);
    const body = (await res.json()) as { events: { eventId: string }[]; hasMore: boolean };
    for (const event of body.events) ids.push(event.eventId);
    const last = body.events.at(-1);
    if (!body.hasMore || last === undefined) return ids;
    after = last.eventId;
  }
}

/** The transports a stream went live on, in order, from `transport-selected`/`fallback`/`climb-back`. */
export function transportPath(diagnostics: readonly Diagnostic[], taskId: string): string[] {
  const path: string[] = [];
  for (const d of diagnostics) {
    if (!('taskId' in d) || d.taskId !== taskId) continue;
    if (d.type === 'transport-selected') path.push(d.transport);
    else if (d.type === 'fallback' || d.type === 'climb-back') path.push(d.to);
  }
  return path;
}
