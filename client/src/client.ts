/**
 * `createTaskBridgeClient`: wires HTTP, transports, checkpoints, the machine and the environment
 * (connectivity, page lifecycle) into one client with one shared stream per task.
 */
import {
  type CapabilitiesResponse,
  type JsonObject,
  type TaskBridgeError as TaskBridgeErrorType,
  TaskBridgeError,
  type TaskCreatedResponse,
  type TaskStatusResponse,
  type TransportName,
} from '@taskbridge/protocol';
import { type Observable, Subject } from 'rxjs';
import {
  type CheckpointStore,
  checkpointKey,
  checkpointKeyPrefix,
  pendingStartKey,
} from './checkpoint/checkpoint-store';
import { createDefaultCheckpointStore } from './checkpoint/fallback';
import type { Diagnostic, DiagnosticListener } from './diagnostics';
import { stableEqual } from './stable-equal';
import { createHttpApi, type FileAttachment, type HttpApi } from './http';
import { errorFromFetchFailure, errorFromResponse } from './http-errors';
import { type ConnectionConfigInput, resolveConnectionConfig } from './machine/config';
import type { ConfirmTaskReachable } from './machine/machine';
import {
  createLocalStorageTransportHealthStore,
  createMemoryTransportHealthStore,
  type TransportHealthStore,
} from './machine/transport-health';
import { type ConnectionOptions, createTransportContext } from './platform';
import type { RequestRetryOptions } from './retry';
import { withRetries } from './retry';
import { type EnvironmentEvent, type TaskStream, TaskStreamController } from './task-stream';
import type { TaskSnapshot } from './task-snapshot';
import { createPollingTransport, type PollingTransportOptions } from './transports/polling';
import { createSseTransport } from './transports/sse';
import type { Transport } from './transports/transport';
import { createWebSocketTransport } from './transports/websocket';
import { initialTaskSnapshot } from './task-snapshot';

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
   * Remembered per-origin transport health (protocol/SPEC.md §10). Default: `localStorage` where present, else
   * memory; marks live `connection.healthTtlMs` (default 600,000 ms).
   */
  transportHealth?: TransportHealthStore;
  /**
   * Ask the server for its capabilities (protocol/SPEC.md §1 E2, protocol/SPEC.md §13 (H7)) once per client, to skip
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
   * Retries of create, cancel and actions (each with its idempotency key, protocol/SPEC.md §2, §7). Default 4
   * attempts in all, backoff `{ baseMs: 300, maxMs: 5000 }` ms with full jitter, `Retry-After` as a floor.
   */
  requestRetry?: RequestRetryOptions;
  /** Called for each diagnostic (also available as `diagnostics$`); must not throw. Default: none. */
  onDiagnostic?: DiagnosticListener;
  /**
   * Connectivity and page-lifecycle source. Default: `window`/`document` when present; none in Node.
   * Pass `null` to ignore the environment.
   */
  environment?: EnvironmentSource | null;
}

/** Where connectivity and page-lifecycle events come from (`window`, `document` by default). */
export interface EnvironmentSource {
  /** Connectivity now (`navigator.onLine` by default); read when a stream starts. */
  isOnline(): boolean;
  /** Page visibility now (`document.visibilityState === 'hidden'`); read when a stream starts. */
  isHidden(): boolean;
  /**
   * Subscribes to changes (`online`/`offline`, `visibilitychange`, `pageshow` from the bfcache, and
   * `pagehide`, on which checkpoints are flushed); returns the unsubscribe function.
   */
  listen(handler: (event: EnvironmentEvent | { type: 'PAGE_HIDE' }) => void): () => void;
}

/** Arguments of {@link TaskBridgeClient.startTask} (protocol/SPEC.md §2). */
export interface StartTaskParams {
  /** The server-side handler to run, e.g. `'summarize'`. */
  taskType: string;
  /** Task input, compared for idempotency. Default `{}` (always sent: the peer requires it). */
  input?: JsonObject;
  /** Free-form metadata; not compared for idempotency. Default: none. */
  metadata?: JsonObject;
  /**
   * Files/Blobs, sent as multipart `attachments` parts (not persisted for reloads). Default: none (JSON
   * body).
   */
  files?: ReadonlyArray<Blob | FileAttachment>;
  /** Idempotency key. Default: reused from `resumeKey`'s record, else a new UUID. */
  clientRequestId?: string;
  /**
   * A stable name for "this start" (e.g. a form id). The `clientRequestId` is kept under it, so a
   * retry or a page reload re-sends the same id and re-attaches to the same task instead of starting
   * a second one. A different `taskType` or `input` under the same key starts a new task. Forget it with
   * `forgetStart(resumeKey)` to start afresh. Default: none (the id is forgotten once the server answers).
   */
  resumeKey?: string;
  /** Aborts the request and any further retries; the call then rejects with `ABORTED`. */
  signal?: AbortSignal;
}

/** Result of {@link TaskBridgeClient.startTask}. */
export interface StartedTask {
  /** The server's id of the task. */
  taskId: string;
  /** The idempotency key that was sent. */
  clientRequestId: string;
  /** The server's answer (201 new, or 200 deduplicated). */
  response: TaskCreatedResponse;
  /** The task's shared stream (not yet attached: subscribe to start receiving). */
  stream: TaskStream;
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
   * Starts a task (protocol/SPEC.md §2), idempotently: the `clientRequestId` is persisted before the request
   * and re-sent on retries and reloads. Retryable failures are retried per `requestRetry`; checkpoint
   * store failures are reported as diagnostics, never thrown.
   *
   * @throws {TaskBridgeError} `INVALID_REQUEST` / `UPLOAD_VALIDATION_ERROR` / `REQUEST_VALIDATION_ERROR`,
   *   `AUTHENTICATION_ERROR` (after one `refreshAccessToken`), `TASK_OWNERSHIP_ERROR`,
   *   `IDEMPOTENCY_CONFLICT`, `PAYLOAD_TOO_LARGE`, `PROTOCOL_ERROR` (off-schema response), `ABORTED`
   *   (`signal`), `TRANSPORT_UNAVAILABLE` (no `fetch`), or the last retryable error (`NETWORK_ERROR`,
   *   `RATE_LIMITED`, `SERVER_ERROR`…) once retries are spent.
   */
  startTask(params: StartTaskParams): Promise<StartedTask>;
  /**
   * The shared stream of a task: the same object while anyone observes it. Does not connect: the stream
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
   * Stops every stream (checkpoints are flushed; pending `settled()` calls reject with `ABORTED`),
   * detaches from the environment and completes `diagnostics$`.
   */
  close(): void;
}

const DEFAULT_ORDER: readonly TransportName[] = ['websocket', 'sse', 'polling'];

function browserEnvironment(): EnvironmentSource | null {
  const g = globalThis as { window?: Window; document?: Document; navigator?: Navigator };
  if (!g.window || !g.document) return null;
  const win = g.window;
  const doc = g.document;
  return {
    isOnline: () => g.navigator?.onLine !== false,
    isHidden: () => doc.visibilityState === 'hidden',
    listen(handler) {
      const online = () => handler({ type: 'ONLINE' });
      const offline = () => handler({ type: 'OFFLINE' });
      const visibility = () =>
        handler({ type: doc.visibilityState === 'hidden' ? 'VISIBILITY_HIDDEN' : 'VISIBILITY_VISIBLE' });
      const pageshow = (event: PageTransitionEvent) => {
        if (event.persisted) handler({ type: 'PAGE_RESTORED' });
      };
      const pagehide = () => handler({ type: 'PAGE_HIDE' });
      win.addEventListener('online', online);
      win.addEventListener('offline', offline);
      win.addEventListener('pageshow', pageshow);
      win.addEventListener('pagehide', pagehide);
      doc.addEventListener('visibilitychange', visibility);
      return () => {
        win.removeEventListener('online', online);
        win.removeEventListener('offline', offline);
        win.removeEventListener('pageshow', pageshow);
        win.removeEventListener('pagehide', pagehide);
        doc.removeEventListener('visibilitychange', visibility);
      };
    },
  };
}

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
  const context = createTransportContext(options);
  const http: HttpApi = createHttpApi(context);
  const namespace = options.namespace ?? 'taskbridge';
  const baseUrl = options.baseUrl;
  const diagnostics = new Subject<Diagnostic>();
  const diagnostic: DiagnosticListener = (d) => {
    options.onDiagnostic?.(d);
    diagnostics.next(d);
  };
  const store =
    options.checkpointStore ??
    createDefaultCheckpointStore({
      onError: (error: TaskBridgeErrorType) => diagnostic({ type: 'checkpoint-error', error }),
    });
  const health =
    options.transportHealth ??
    ((globalThis as { localStorage?: unknown }).localStorage !== undefined
      ? createLocalStorageTransportHealthStore()
      : createMemoryTransportHealthStore());
  const origin = new URL(baseUrl, (globalThis as { location?: { href?: string } }).location?.href).origin;
  const environment = options.environment === undefined ? browserEnvironment() : options.environment;
  const requestRetry = options.requestRetry ?? {};
  const streams = new Map<string, TaskStreamController>();
  let stopListening: (() => void) | undefined;
  let capabilities: Promise<CapabilitiesResponse | undefined> | undefined;

  const allTransports: Record<TransportName, Transport> = {
    websocket: createWebSocketTransport(context),
    sse: createSseTransport(context),
    polling: createPollingTransport(context, options.polling),
  };

  const resolveTransports = async () => {
    if (options.useCapabilities !== false) {
      // A peer without E2 (404) or a failed lookup means "unknown": try everything.
      capabilities ??= http.getCapabilities().catch(() => undefined);
    }
    const caps = await capabilities;
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

  // protocol/SPEC.md §5/§6: a WebSocket 1008 before the ack, or an SSE response that opens and dies before its
  // first frame, may mean auth, an unknown task or a bad cursor; one short poll tells which.
  const confirmTaskReachable: ConfirmTaskReachable = async ({ taskId, cursor }) => {
    const fetchFn = context.getFetch();
    if (!fetchFn) return null;
    const after = cursor === null ? '' : `&afterEventId=${encodeURIComponent(cursor)}`;
    const url = `${context.resolveUrl('events', { taskId })}?waitTimeoutMs=0&maxEvents=1${after}`;
    let response: Response;
    try {
      response = await fetchFn(url, { headers: (await context.getCredentials()).headers });
    } catch (error) {
      throw errorFromFetchFailure(error);
    }
    if (response.ok) {
      void response.body?.cancel().catch(() => undefined);
      return null;
    }
    const error = await errorFromResponse(response);
    return error.retryable ? null : error;
  };

  const onEnvironment = (event: EnvironmentEvent | { type: 'PAGE_HIDE' }) => {
    for (const stream of streams.values()) {
      if (event.type === 'PAGE_HIDE') void stream.flush();
      else stream.notify(event);
    }
  };

  const keyOf = (taskId: string) => checkpointKey({ namespace, baseUrl, taskId });
  const pendingKeyOf = (resumeKey: string) => pendingStartKey({ namespace, baseUrl, resumeKey });
  const reportCheckpoint = (error: unknown) =>
    diagnostic({ type: 'checkpoint-error', error: TaskBridgeError.from(error) });

  const task = (taskId: string): TaskStream => {
    let stream = streams.get(taskId);
    if (!stream) {
      stream = new TaskStreamController({
        taskId,
        checkpointKey: keyOf(taskId),
        store,
        http,
        resolveTransports,
        health,
        origin,
        refreshCredentials: options.refreshAccessToken,
        confirmTaskReachable,
        detachGraceMs: options.detachGraceMs ?? 500,
        checkpointMinIntervalMs: options.checkpointMinIntervalMs ?? 100,
        requestRetry,
        diagnostic,
        isOnline: () => environment?.isOnline() ?? true,
        isHidden: () => environment?.isHidden() ?? false,
        onDisposed: (disposed) => {
          if (streams.get(taskId) === disposed) streams.delete(taskId);
        },
        onAttached: (attached) => {
          if (!streams.has(taskId)) streams.set(taskId, attached);
        },
      });
      streams.set(taskId, stream);
      if (environment && !stopListening) stopListening = environment.listen(onEnvironment);
    }
    return stream;
  };

  return {
    diagnostics$: diagnostics.asObservable(),
    task,

    async startTask(params) {
      const input = params.input ?? {};
      let clientRequestId = params.clientRequestId;
      const resumeKey = params.resumeKey;
      if (clientRequestId === undefined && resumeKey !== undefined) {
        const pending = await store.loadPendingStart(pendingKeyOf(resumeKey)).catch(() => undefined);
        // A changed request under the same key is a new task, not a conflict.
        if (pending && pending.taskType === params.taskType && stableEqual(pending.input, input)) {
          clientRequestId = pending.clientRequestId;
        }
      }
      clientRequestId ??= globalThis.crypto.randomUUID();
      const pendingKey = pendingKeyOf(resumeKey ?? clientRequestId);
      await store
        .savePendingStart(pendingKey, {
          clientRequestId,
          taskType: params.taskType,
          input,
          ...(resumeKey === undefined ? {} : { resumeKey }),
          createdAt: Date.now(),
        })
        .catch(reportCheckpoint);
      const id = clientRequestId;
      const response = await withRetries(
        () =>
          http.createTask(
            {
              clientRequestId: id,
              taskType: params.taskType,
              input,
              ...(params.metadata ? { metadata: params.metadata } : {}),
              ...(params.files ? { files: params.files } : {}),
            },
            params.signal ? { signal: params.signal } : {},
          ),
        requestRetry,
        params.signal,
      );
      // Acknowledged: without a resume key nobody can ask for this id again.
      if (resumeKey === undefined) await store.deletePendingStart(pendingKey).catch(reportCheckpoint);
      const key = keyOf(response.taskId);
      const existing = await store.load(key).catch(() => undefined);
      if (!existing) {
        await store
          .save(key, {
            taskId: response.taskId,
            lastEventId: null,
            snapshot: initialTaskSnapshot(response.taskId),
            terminalEvent: null,
            updatedAt: Date.now(),
          })
          .catch(reportCheckpoint);
      }
      return { taskId: response.taskId, clientRequestId: id, response, stream: task(response.taskId) };
    },

    async activeTasks() {
      const records = await store.list(checkpointKeyPrefix({ namespace, baseUrl }));
      return records
        .filter((r) => r.checkpoint.terminalEvent === null)
        .map(({ checkpoint }) => ({
          taskId: checkpoint.taskId,
          lastEventId: checkpoint.lastEventId,
          snapshot: checkpoint.snapshot,
          updatedAt: checkpoint.updatedAt,
        }));
    },

    forgetStart: (resumeKey) => store.deletePendingStart(pendingKeyOf(resumeKey)),
    forgetTask: (taskId) => store.delete(keyOf(taskId)),
    getTaskStatus: (taskId) => http.getTaskStatus(taskId),

    close() {
      stopListening?.();
      stopListening = undefined;
      for (const stream of Array.from(streams.values())) stream.dispose();
      diagnostics.complete();
    },
  };
}
