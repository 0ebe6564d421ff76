/**
 * `createTaskBridgeClient`: wires HTTP, transports, checkpoints, the clock and the environment
 * (connectivity, page lifecycle) into one client with one shared stream per task.
 */
import type { CapabilitiesResponse, TaskStatusResponse, TransportName } from '@taskbridge/protocol';
import { type Observable, Subject } from 'rxjs';
import { type AnyActorRef, createActor, fromCallback } from 'xstate';
import type { StreamInspector } from './inspection';
import {
  type CheckpointStore,
  checkpointKey,
  checkpointKeyPrefix,
  pendingStartKey,
} from './checkpoint/checkpoint-store';
import { createCheckpointWriter } from './checkpoint/checkpoint-writer';
import { createDefaultCheckpointStore } from './checkpoint/fallback';
import { type CrossTabOptions, crossTabEnvironment } from './cross-tab/environment';
import { type Diagnostic, type DiagnosticListener, reportWriteErrors } from './diagnostics';
import { browserEnvironment, type EnvironmentSource } from './environment';
import type { HistoryTrimmedPolicy } from './history-trimmed';
import { createHttpApi } from './http';
import { type ConnectionConfigInput, resolveConnectionConfig } from './machine/config';
import { type StreamEnvironment, taskStreamMachine } from './machine/machine';
import {
  createLocalStorageTransportHealthStore,
  createMemoryTransportHealthStore,
  type TransportHealthStore,
} from './machine/transport-health';
import { type ConnectionOptions, createTransportContext } from './platform';
import { pollReachability } from './reachability';
import type { RequestRetryOptions } from './retry';
import type { StreamContext } from './stream-context';
import { createTaskCommands } from './task-commands';
import type { TaskSnapshot } from './task-snapshot';
import { createTaskStarter, type StartedTask, type StartTaskParams } from './task-starter';
import { TaskStreamStore } from './task-stream';
import type { TaskStream } from './task-stream-api';
import { createPollingTransport, type PollingTransportOptions } from './transports/polling';
import { createSseTransport } from './transports/sse';
import type { Transport } from './transports/transport';
import { createWebSocketTransport } from './transports/websocket';

/** Options of {@link createTaskBridgeClient}. */
export interface TaskBridgeClientOptions extends ConnectionOptions {
  /**
   * Deadlines, backoff, probing and visibility policy (protocol/SPEC.md §10). Defaults: open 2,500 ms
   * (WebSocket) / 5,000 ms (SSE, polling), first frame 8,000 ms, liveness 2.5 × the server's heartbeat
   * (60,000 ms when unknown), backoff 500 ms → 10,000 ms with full jitter, probe after 30,000 ms. See
   * `ConnectionConfig` for every field.
   */
  connection?: ConnectionConfigInput;
  /**
   * Use only this transport: no fallback, no climb-back, no remembered health; wins over
   * `connection.forceTransport`. Default: none (protocol/SPEC.md §10 ladder).
   */
  forceTransport?: TransportName;
  /**
   * Transport preference order; names the server's capabilities (E2) do not list, or the environment
   * cannot run, are skipped (protocol/SPEC.md §10). Default `['websocket', 'sse', 'polling']`.
   */
  transports?: readonly TransportName[];
  /**
   * Long-polling parameters (protocol/SPEC.md §4). Defaults: `waitTimeoutMs` 25,000 ms, `maxEvents` 500,
   * `requestTimeoutMs` `waitTimeoutMs` + 10,000 ms.
   */
  polling?: PollingTransportOptions;
  /**
   * Where checkpoints and pending starts live. Default: IndexedDB where `indexedDB` exists (falling
   * back to memory on quota or private-mode failures, reported as `checkpoint-error` diagnostics), else
   * memory (protocol/SPEC.md §10 checkpoint).
   */
  checkpointStore?: CheckpointStore;
  /** Separates checkpoints of several apps on one origin. Default `'taskbridge'`. */
  namespace?: string;
  /**
   * Remembered per-origin transport health (protocol/SPEC.md §10). Default: `localStorage` where
   * present, else memory; marks live `connection.healthTtlMs` (default 600,000 ms).
   */
  transportHealth?: TransportHealthStore;
  /**
   * Ask the server for its capabilities (protocol/SPEC.md §1 E2, hazard H7) once per client, to skip
   * transports it does not offer and to take its heartbeat intervals (ms) for the liveness deadlines. A
   * 404 (peer) or a failed lookup means "unknown": every transport is tried. Default true.
   */
  useCapabilities?: boolean;
  /**
   * How long a stream stays attached after its last observer leaves, ms (so React StrictMode's
   * mount/unmount/mount keeps one connection). Default 500.
   */
  detachGraceMs?: number;
  /**
   * Least time between two checkpoint writes of one stream, ms (batching; the terminal event and
   * `pagehide` flush at once). Default 100 (protocol/SPEC.md §10 checkpoint).
   */
  checkpointMinIntervalMs?: number;
  /**
   * Retries of create, cancel and actions (each with its idempotency key, protocol/SPEC.md §2, §7).
   * Default 4 attempts in all, backoff `{ baseMs: 300, maxMs: 5000 }` ms with full jitter, `Retry-After`
   * as a floor.
   */
  requestRetry?: RequestRetryOptions;
  /** Called for each diagnostic (also available as `diagnostics$`); must not throw. Default: none. */
  onDiagnostic?: DiagnosticListener;
  /**
   * Connectivity and page-lifecycle source. Default: `window`/`document` when present; none in Node.
   * Pass `null` to ignore the environment.
   */
  environment?: EnvironmentSource | null;
  /**
   * What a stream does when the server says events after its cursor are no longer retained
   * (protocol/SPEC.md §11): `'continue'` from the retained tail, `'fail'` with `HISTORY_TRIMMED`, or a
   * callback that decides (see {@link HistoryTrimmedPolicy}). Always reported: a `history-trimmed`
   * diagnostic and the snapshot's `historyTrimmed`. Default `'continue'`.
   */
  onHistoryTrimmed?: HistoryTrimmedPolicy;
  /**
   * XState inspection of every stream's machine (its whole life: observers, restore, transports,
   * fallback, climb-back, retries, the end), e.g. `createBrowserInspector().inspect`. Default: none.
   */
  inspect?: StreamInspector;
  /**
   * One stream per task across the tabs of a browser (same origin, same `subject`): one leader tab
   * holds the transport and writes the checkpoint, the others receive its events over a
   * `BroadcastChannel` (see {@link CrossTabOptions}; `ConnectionState.role` says which this tab is).
   * Default: on where Web Locks and `BroadcastChannel` exist (secure browser contexts), else every
   * stream alone. `false` turns it off.
   */
  crossTab?: CrossTabOptions | false;
}

/** A task found in the checkpoint store that has not reached its terminal event. */
export interface ActiveTask {
  taskId: string;
  /** The checkpoint's cursor: the last `eventId` the app received, `null` before the first. */
  lastEventId: string | null;
  /** The folded state as of `lastEventId`. */
  snapshot: TaskSnapshot;
  /** When the checkpoint was written, ms since the epoch. */
  updatedAt: number;
}

/** The client. */
export interface TaskBridgeClient {
  /**
   * Starts a task (protocol/SPEC.md §2), idempotently: the `clientRequestId` is persisted before the
   * request and re-sent on retries and reloads, and concurrent calls for the same request (same
   * `resumeKey` or `clientRequestId`, `taskType`, `input`, `metadata`, no `signal`) share one request.
   * Retryable failures are retried per `requestRetry`; checkpoint store failures are reported as
   * diagnostics, never thrown.
   *
   * @throws {TaskBridgeError} `INVALID_REQUEST` / `UPLOAD_VALIDATION_ERROR` / `REQUEST_VALIDATION_ERROR`,
   *   `AUTHENTICATION_ERROR` (after one `refreshAccessToken`), `TASK_OWNERSHIP_ERROR`,
   *   `IDEMPOTENCY_CONFLICT`, `PAYLOAD_TOO_LARGE`, `PROTOCOL_ERROR` (off-schema response), `ABORTED`
   *   (`signal`), `TRANSPORT_UNAVAILABLE` (no `fetch`), or the last retryable error (`NETWORK_ERROR`,
   *   `RATE_LIMITED`, `SERVER_ERROR`…) once retries are spent.
   */
  startTask(params: StartTaskParams): Promise<StartedTask>;
  /**
   * The shared stream of a task: the same object while anyone observes it. No side effects: the stream
   * attaches on its first subscription (protocol/SPEC.md §10 resume from the checkpoint).
   */
  task(taskId: string): TaskStream;
  /**
   * Tasks of this `namespace` and `baseUrl` with a checkpoint but no terminal event yet: what to resume
   * after a reload (protocol/SPEC.md §10).
   *
   * @throws {TaskBridgeError} `CHECKPOINT_ERROR` from a custom `checkpointStore` (the default one does
   *   not reject here).
   */
  activeTasks(): Promise<ActiveTask[]>;
  /**
   * Forgets the `clientRequestId` kept under a `resumeKey`, so the next start creates a new task.
   *
   * @throws {TaskBridgeError} `CHECKPOINT_ERROR` from a custom `checkpointStore`.
   */
  forgetStart(resumeKey: string): Promise<void>;
  /**
   * Deletes a task's checkpoint (e.g. when the app is done with it).
   *
   * @throws {TaskBridgeError} `CHECKPOINT_ERROR` from a custom `checkpointStore`.
   */
  forgetTask(taskId: string): Promise<void>;
  /**
   * The task's status, last eventId and terminal event (protocol/SPEC.md §1 E1; our server only).
   *
   * @throws {TaskBridgeError} `TASK_NOT_FOUND` (unknown or foreign task, or a peer without E1),
   *   `AUTHENTICATION_ERROR`, `PROTOCOL_ERROR`, or a retryable `NETWORK_ERROR` / `SERVER_ERROR` (not
   *   retried here).
   */
  getTaskStatus(taskId: string): Promise<TaskStatusResponse>;
  /** Everything the client reports about itself (see {@link Diagnostic}). */
  readonly diagnostics$: Observable<Diagnostic>;
  /**
   * Stops every stream (checkpoints are flushed; their `events$` error and pending `settled()` calls
   * reject with `ABORTED`), detaches from the environment and completes `diagnostics$`.
   */
  close(): void;
}

const DEFAULT_ORDER: readonly TransportName[] = ['websocket', 'sse', 'polling'];

/**
 * Creates a TaskBridge client. Nothing is fetched until a task is started or a stream attached.
 *
 * @throws {TypeError} when `baseUrl` is relative and there is no `globalThis.location` to resolve it.
 * @see protocol/SPEC.md §2 (create), §7 (cancel, actions), §10 (client behaviour)
 *
 * @example
 * const client = createTaskBridgeClient({ baseUrl: 'https://api.example.com', getAccessToken: () => token });
 * const { stream } = await client.startTask({ taskType: 'summarize', input: { text } });
 * stream.events$.subscribe((event) => console.log(event.type));
 */
export function createTaskBridgeClient(options: TaskBridgeClientOptions): TaskBridgeClient {
  let capabilities: Promise<CapabilitiesResponse | undefined> | undefined;
  // A peer without E2 (404) or a failed lookup means "unknown": every transport, no tickets.
  const serverCapabilities = () =>
    options.useCapabilities === false
      ? Promise.resolve(undefined)
      : (capabilities ??= http.getCapabilities().catch(() => undefined));
  const context = createTransportContext(options, {
    // Browser WebSocket and native EventSource URLs carry a single-use ticket, not the token, when the
    // server offers them (protocol/SPEC.md §12).
    getStreamTicket: async (taskId) =>
      (await serverCapabilities())?.streamTickets === true
        ? (await http.mintStreamTicket(taskId)).ticket
        : undefined,
  });
  const { clock } = context;
  const http = createHttpApi(context);
  const namespace = options.namespace ?? 'taskbridge';
  const { baseUrl } = options;
  const diagnostics = new Subject<Diagnostic>();
  const diagnostic: DiagnosticListener = (d) => {
    options.onDiagnostic?.(d);
    diagnostics.next(d);
  };
  const store =
    options.checkpointStore ??
    createDefaultCheckpointStore({ onError: (error) => diagnostic({ type: 'checkpoint-error', error }) });
  const health =
    options.transportHealth ??
    ((globalThis as { localStorage?: unknown }).localStorage !== undefined
      ? createLocalStorageTransportHealthStore({ now: clock.now })
      : createMemoryTransportHealthStore({ now: clock.now }));
  const origin = new URL(baseUrl, (globalThis as { location?: { href?: string } }).location?.href).origin;
  const environment = options.environment === undefined ? browserEnvironment() : options.environment;
  const retry = { retry: options.requestRetry ?? {}, clock, random: Math.random };
  const keyOf = (taskId: string) => checkpointKey({ namespace, baseUrl, taskId });
  let stopListening: (() => void) | undefined;
  let closed = false;
  let system: AnyActorRef | undefined;

  const allTransports: Record<TransportName, Transport> = {
    websocket: createWebSocketTransport(context),
    sse: createSseTransport(context),
    polling: createPollingTransport(context, options.polling),
  };

  const resolveLadder = async () => {
    const caps = await serverCapabilities();
    const offered = new Set(caps?.transports ?? DEFAULT_ORDER);
    const transports = (options.transports ?? DEFAULT_ORDER)
      .filter((name) => offered.has(name))
      .map((name) => allTransports[name])
      .filter((t) => t.isSupported());
    const config = resolveConnectionConfig({
      ...(caps?.heartbeatIntervalMs ? { heartbeatIntervalMs: caps.heartbeatIntervalMs } : {}),
      ...options.connection,
      ...(options.forceTransport ? { forceTransport: options.forceTransport } : {}),
    });
    return { transports, config };
  };
  // Once per client, like the capabilities it reads: every stream shares the ladder and the config
  // object instead of holding copies of its own.
  let ladder: ReturnType<typeof resolveLadder> | undefined;

  const machineEnv: StreamEnvironment = {
    loadCheckpoint: (taskId) => store.load(keyOf(taskId)),
    resolveTransports: () => (ladder ??= resolveLadder()),
    health,
    origin,
    now: clock.now,
    random: Math.random,
    refreshCredentials: options.refreshAccessToken ?? null,
    confirmTaskReachable: pollReachability(context),
    diagnostic,
    detachGraceMs: options.detachGraceMs ?? 500,
    isOnline: () => environment?.isOnline() ?? true,
    isHidden: () => environment?.isHidden() ?? false,
    tabs: crossTabEnvironment(options.crossTab, {
      key: keyOf,
      headers: async () => (await context.getCredentials()).headers,
      clock,
      page: environment,
    }),
  };

  // Running streams are held; streams nobody has attached yet only weakly, so `task(id)` has no side
  // effects: an unobserved stream (e.g. from a render React threw away) is simply collected.
  const running = new Map<string, TaskStreamStore>();
  const idle = new Map<string, WeakRef<TaskStreamStore>>();
  const collected = new FinalizationRegistry<string>((taskId) => {
    if (idle.get(taskId)?.deref() === undefined) idle.delete(taskId);
  });

  const onEnvironment = (event: Parameters<Parameters<EnvironmentSource['listen']>[0]>[0]) => {
    for (const stream of running.values()) {
      if (event.type === 'PAGE_HIDE') void stream.flush();
      else stream.notify(event);
    }
  };

  const streamContext: StreamContext = {
    checkpointWriter: (taskId) =>
      createCheckpointWriter({
        store,
        key: keyOf(taskId),
        minIntervalMs: options.checkpointMinIntervalMs ?? 100,
        clock,
        onError: reportWriteErrors(diagnostic, taskId),
      }),
    diagnostic,
    onHistoryTrimmed: options.onHistoryTrimmed ?? 'continue',
    commands: createTaskCommands(http, retry),
    machine: taskStreamMachine,
    machineEnv,
    // An actor that does nothing but hold the XState system (clock, scheduler, inspection) the streams
    // join; they report to it when they end, and it ignores that.
    system: () =>
      (system ??= createActor(
        fromCallback(() => undefined),
        options.inspect ? { clock, inspect: options.inspect } : { clock },
      ).start()),
    onAttached(stream) {
      idle.delete(stream.taskId);
      if (!running.has(stream.taskId)) running.set(stream.taskId, stream);
      if (environment && !stopListening) stopListening = environment.listen(onEnvironment);
    },
    onStopped(stream) {
      if (running.get(stream.taskId) === stream) running.delete(stream.taskId);
    },
  };

  const task = (taskId: string): TaskStream => {
    let stream = running.get(taskId) ?? idle.get(taskId)?.deref();
    if (stream === undefined) {
      stream = new TaskStreamStore(taskId, streamContext);
      idle.set(taskId, new WeakRef(stream));
      collected.register(stream, taskId);
      // A closed client hands out streams that are already over (their observers are told at once).
      if (closed) stream.stop();
    }
    return stream;
  };

  const starter = createTaskStarter({
    http,
    store,
    retry,
    keys: {
      checkpoint: keyOf,
      pendingStart: (resumeKey) => pendingStartKey({ namespace, baseUrl, resumeKey }),
    },
    diagnostic,
    task,
  });

  return {
    diagnostics$: diagnostics.asObservable(),
    task,
    startTask: starter.start,
    async activeTasks() {
      const records = await store.list(checkpointKeyPrefix({ namespace, baseUrl }));
      return records
        .filter((r) => r.checkpoint.terminalEvent === null)
        .map(({ checkpoint: { taskId, lastEventId, snapshot, updatedAt } }) => ({
          taskId,
          lastEventId,
          snapshot,
          updatedAt,
        }));
    },
    forgetStart: starter.forget,
    forgetTask: (taskId) => store.delete(keyOf(taskId)),
    getTaskStatus: (taskId) => http.getTaskStatus(taskId),
    close() {
      closed = true;
      stopListening?.();
      stopListening = undefined;
      for (const stream of Array.from(running.values())) stream.stop();
      for (const ref of idle.values()) ref.deref()?.stop();
      system?.stop();
      diagnostics.complete();
    },
  };
}
