/**
 * One task's shared stream (design/recovery.md): the data path (sequencer → events → snapshot →
 * checkpoint) and the control path (the XState machine), reference-counted, exposed both as RxJS
 * observables and as an external store (`subscribe` / `getSnapshot`) for `useSyncExternalStore`.
 */
import {
  type CancelTaskResponse,
  type ClientActionResponse,
  isTerminalEvent,
  type JsonObject,
  type TaskEvent,
  TaskBridgeError,
  type TransportName,
  type UnknownTaskEvent,
} from '@taskbridge/protocol';
import { Observable, Subject, type Subscriber, type TeardownLogic } from 'rxjs';
import { type Actor, createActor } from 'xstate';
import type { CheckpointStore } from './checkpoint/checkpoint-store';
import { type CheckpointWriter, createCheckpointWriter } from './checkpoint/checkpoint-writer';
import {
  type ConnectionState,
  connectionStatesEqual,
  IDLE_CONNECTION_STATE,
  toConnectionState,
} from './connection-state';
import type { DiagnosticListener } from './diagnostics';
import type { HttpApi } from './http';
import type { ConnectionConfig } from './machine/config';
import { type ConfirmTaskReachable, type DataMessage, taskStreamMachine } from './machine/machine';
import type { TransportHealthStore } from './machine/transport-health';
import { type RequestRetryOptions, withRetries } from './retry';
import { createSequencer, type DuplicateReason, type Sequencer } from './sequencer';
import { initialTaskSnapshot, reduceTaskSnapshot, type TaskSnapshot } from './task-snapshot';
import type { Transport } from './transports/transport';

/** Options of {@link TaskStream.submitAction}. */
export interface SubmitActionOptions {
  /** Which suspension to answer. Default: the open suspension in the snapshot. */
  suspendId?: string;
  /** Idempotency key. Default: a new UUID (reused for this call's retries). */
  clientActionId?: string;
  /** Free-form metadata; not compared for idempotency (protocol/SPEC.md §7). Default: none. */
  metadata?: JsonObject;
}

/**
 * The stream of one task, shared by every observer in a client (one connection per task).
 *
 * Subscribing to any observable, or with `subscribe()`, attaches the stream; when the last observer
 * leaves it detaches after a short grace period (so React StrictMode's mount/unmount/mount keeps one
 * connection). Every observable completes after the terminal event, whether or not the server ends
 * its side (protocol/SPEC.md §5 peer quirk, protocol/SPEC.md §13 (H1)). Delivery is exactly once and in order across
 * reconnects, transport switches and reloads (protocol/SPEC.md §3 replay, §10).
 */
export interface TaskStream {
  /** The task this stream follows. */
  readonly taskId: string;
  /**
   * Each event exactly once, in order, from the moment of subscription (events before it are folded
   * in `snapshot$`). Completes after the terminal event; errors with a `TaskBridgeError` when the
   * stream fails for good (e.g. `TASK_NOT_FOUND`).
   */
  readonly events$: Observable<TaskEvent | UnknownTaskEvent>;
  /** The folded snapshot: emits the current one at once, then after every event; completes when settled. */
  readonly snapshot$: Observable<TaskSnapshot>;
  /** The connection state: emits the current one at once, then on every change; completes when settled. */
  readonly connection$: Observable<ConnectionState>;
  /**
   * External-store subscription (`useSyncExternalStore`): `listener` runs after any change of the
   * snapshot or the connection state. Attaches the stream; returns the unsubscribe function (idempotent).
   */
  subscribe(listener: () => void): () => void;
  /** The current snapshot; the same object until something changes. */
  getSnapshot(): TaskSnapshot;
  /** The current connection state; the same object until something changes. */
  getConnectionState(): ConnectionState;
  /**
   * Resolves with the final snapshot once the task is terminal (attaching the stream meanwhile); at once
   * when the checkpoint already holds the terminal event (protocol/SPEC.md §10).
   *
   * @throws {TaskBridgeError} the stream's fatal error when it fails for good (e.g. `TASK_NOT_FOUND`,
   *   `AUTHENTICATION_ERROR`, or the last error once `maxRetries` is spent); `ABORTED` when the stream is
   *   disposed first (`client.close()`).
   */
  settled(): Promise<TaskSnapshot>;
  /**
   * Requests cancellation (protocol/SPEC.md §7); the task then ends with `TASK_CANCELLED` through the stream.
   * Resolves with status `CANCELLATION_REQUESTED` or `ALREADY_TERMINAL`. Does not attach the stream.
   *
   * @param reason - sent as the body's `reason`. Default: none (empty body `{}`).
   * @throws {TaskBridgeError} `TASK_NOT_FOUND` (unknown or foreign task), `AUTHENTICATION_ERROR`, or the
   *   last retryable error once the client's `requestRetry` attempts are spent.
   */
  cancel(reason?: string): Promise<CancelTaskResponse>;
  /**
   * Answers a suspension (protocol/SPEC.md §7) with an idempotent `clientActionId`, retried per the client's
   * `requestRetry`. Resolves with the server's status: `ACCEPTED`, `DEDUPLICATED`,
   * `REJECTED_ALREADY_RESOLVED` or `REJECTED_EXPIRED` (rejections resolve, they do not throw).
   *
   * @param actionType - one of the suspension's `allowedActions`.
   * @param payload - the answer's data. Default: none.
   * @throws {TaskBridgeError} `INVALID_REQUEST` when there is no open suspension to answer (checked
   *   locally, nothing sent); `IDEMPOTENCY_CONFLICT` (409: conflicting repeat or an action not allowed)
   *   or `TASK_NOT_FOUND` (404) from the server; or the last retryable error once retries are spent.
   */
  submitAction(
    actionType: string,
    payload?: JsonObject,
    options?: SubmitActionOptions,
  ): Promise<ClientActionResponse>;
}

/**
 * Control events the client forwards to every live stream (connectivity, page lifecycle): going online
 * retries at once and probes a better transport (protocol/SPEC.md §10).
 */
export type EnvironmentEvent =
  | { type: 'ONLINE' }
  | { type: 'OFFLINE' }
  | { type: 'VISIBILITY_HIDDEN' }
  | { type: 'VISIBILITY_VISIBLE' }
  | { type: 'PAGE_RESTORED' };

/** What a stream needs from its client. Internal. */
export interface TaskStreamDeps {
  taskId: string;
  checkpointKey: string;
  store: CheckpointStore;
  http: HttpApi;
  /** Transports in preference order (capabilities applied) and the resolved connection config. */
  resolveTransports(): Promise<{ transports: Transport[]; config: ConnectionConfig }>;
  health: TransportHealthStore | undefined;
  origin: string;
  refreshCredentials: (() => Promise<void>) | undefined;
  confirmTaskReachable: ConfirmTaskReachable;
  detachGraceMs: number;
  checkpointMinIntervalMs: number;
  requestRetry: RequestRetryOptions;
  diagnostic: DiagnosticListener;
  isOnline(): boolean;
  isHidden(): boolean;
  onDisposed(stream: TaskStreamController): void;
  /** A stream forgotten while unobserved was attached after all: the client may take it back. */
  onAttached(stream: TaskStreamController): void;
  machine?: typeof taskStreamMachine;
}

const RANK: Record<TransportName, number> = { websocket: 0, sse: 1, polling: 2 };

interface SettledWaiter {
  resolve(snapshot: TaskSnapshot): void;
  reject(error: TaskBridgeError): void;
}

/** The implementation behind {@link TaskStream}; the client also drives its lifecycle. Internal. */
export class TaskStreamController implements TaskStream {
  readonly taskId: string;

  readonly #deps: TaskStreamDeps;
  // Created on first use: with thousands of streams open, most never get a snapshot$ observer or an
  // external-store listener, and an unobserved Subject still costs its allocation.
  #events$: Observable<TaskEvent | UnknownTaskEvent> | undefined;
  #snapshot$: Observable<TaskSnapshot> | undefined;
  #connection$: Observable<ConnectionState> | undefined;
  #events: Subject<TaskEvent | UnknownTaskEvent> | undefined;
  #snapshots: Subject<TaskSnapshot> | undefined;
  #connections: Subject<ConnectionState> | undefined;
  #listeners: Set<() => void> | undefined;
  readonly #writer: CheckpointWriter;
  #snapshot: TaskSnapshot;
  #connection: ConnectionState = IDLE_CONNECTION_STATE;
  #sequencer: Sequencer = createSequencer();
  #actor: Actor<typeof taskStreamMachine> | undefined;
  #refs = 0;
  #detachTimer: ReturnType<typeof setTimeout> | undefined;
  #phase: 'new' | 'starting' | 'running' | 'settled' | 'disposed' = 'new';
  #failure: TaskBridgeError | undefined;
  #deliveringTransport: TransportName = 'websocket';
  // The transport that last went live: a state's `transport` is set while connecting (and moves to the
  // next rung during backoff), so comparing with the previous state would never see a change.
  #liveTransport: TransportName | null = null;
  #lastError: TaskBridgeError | null = null;
  #settledWaiters: SettledWaiter[] | undefined;

  constructor(deps: TaskStreamDeps) {
    this.#deps = deps;
    this.taskId = deps.taskId;
    this.#snapshot = initialTaskSnapshot(deps.taskId);
    this.#writer = createCheckpointWriter({
      store: deps.store,
      key: deps.checkpointKey,
      minIntervalMs: deps.checkpointMinIntervalMs,
      onError: (error) => deps.diagnostic({ type: 'checkpoint-error', taskId: deps.taskId, error }),
    });
    // A stream nobody ever observes (e.g. created by a render React threw away) must not stay in the
    // client's map forever; it stays usable and re-registers if someone attaches later.
    this.#detachTimer = setTimeout(TaskStreamController.#forgetIfUnobserved, deps.detachGraceMs, this);
    (this.#detachTimer as { unref?: () => void }).unref?.();
  }

  get events$(): Observable<TaskEvent | UnknownTaskEvent> {
    return (this.#events$ ??= this.#attached((subscriber) => {
      if (this.#failure) return subscriber.error(this.#failure);
      if (this.#phase === 'settled') return subscriber.complete();
      return (this.#events ??= new Subject()).subscribe(subscriber);
    }));
  }

  get snapshot$(): Observable<TaskSnapshot> {
    return (this.#snapshot$ ??= this.#attached((subscriber) => {
      subscriber.next(this.#snapshot);
      if (this.#phase === 'settled' || this.#failure) return subscriber.complete();
      return (this.#snapshots ??= new Subject()).subscribe(subscriber);
    }));
  }

  get connection$(): Observable<ConnectionState> {
    return (this.#connection$ ??= this.#attached((subscriber) => {
      subscriber.next(this.#connection);
      if (this.#phase === 'settled' || this.#failure) return subscriber.complete();
      return (this.#connections ??= new Subject()).subscribe(subscriber);
    }));
  }

  static #forgetIfUnobserved(stream: TaskStreamController): void {
    if (stream.#refs === 0 && stream.#phase === 'new') stream.#deps.onDisposed(stream);
  }

  subscribe(listener: () => void): () => void {
    (this.#listeners ??= new Set()).add(listener);
    this.retain();
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      this.#listeners?.delete(listener);
      this.release();
    };
  }

  getSnapshot(): TaskSnapshot {
    return this.#snapshot;
  }

  getConnectionState(): ConnectionState {
    return this.#connection;
  }

  settled(): Promise<TaskSnapshot> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#phase === 'settled') return Promise.resolve(this.#snapshot);
    this.retain();
    return new Promise<TaskSnapshot>((resolve, reject) => {
      (this.#settledWaiters ??= []).push({ resolve, reject });
    }).finally(() => this.release());
  }

  cancel(reason?: string): Promise<CancelTaskResponse> {
    return withRetries(() => this.#deps.http.cancelTask(this.taskId, reason), this.#deps.requestRetry);
  }

  submitAction(
    actionType: string,
    payload?: JsonObject,
    options: SubmitActionOptions = {},
  ): Promise<ClientActionResponse> {
    const suspendId = options.suspendId ?? this.#snapshot.suspension?.suspendId;
    if (suspendId === undefined) {
      return Promise.reject(
        new TaskBridgeError({ code: 'INVALID_REQUEST', message: 'no open suspension to answer' }),
      );
    }
    const clientActionId = options.clientActionId ?? globalThis.crypto.randomUUID();
    return withRetries(
      () =>
        this.#deps.http.submitAction(this.taskId, {
          clientActionId,
          suspendId,
          actionType,
          ...(payload === undefined ? {} : { payload }),
          ...(options.metadata === undefined ? {} : { metadata: options.metadata }),
        }),
      this.#deps.requestRetry,
    );
  }

  /** Adds an observer: attaches the stream (cancelling a pending detach). */
  retain(): void {
    this.#refs += 1;
    if (this.#detachTimer !== undefined) {
      clearTimeout(this.#detachTimer);
      this.#detachTimer = undefined;
    }
    if (this.#phase === 'new') {
      this.#deps.onAttached(this);
      void this.#start();
    }
  }

  /** Removes an observer; the last one detaches after the grace period. */
  release(): void {
    this.#refs = Math.max(0, this.#refs - 1);
    if (this.#refs > 0 || this.#phase === 'disposed') return;
    this.#detachTimer = setTimeout(() => this.dispose(), this.#deps.detachGraceMs);
  }

  /** Forwards connectivity and page-lifecycle events to the machine. */
  notify(event: EnvironmentEvent): void {
    this.#actor?.send(event);
  }

  /** Persists the latest checkpoint now (e.g. on `pagehide`). */
  flush(): Promise<void> {
    return this.#writer.flush();
  }

  /** Stops the connection and persists the checkpoint; the client forgets this stream. */
  dispose(): void {
    if (this.#phase === 'disposed') return;
    const wasSettled = this.#phase === 'settled';
    this.#phase = 'disposed';
    if (this.#detachTimer !== undefined) clearTimeout(this.#detachTimer);
    if (this.#actor?.getSnapshot().status === 'active') this.#actor.send({ type: 'STOP' });
    this.#actor?.stop();
    void this.#writer.dispose();
    if (!wasSettled && !this.#failure) {
      const stopped = new TaskBridgeError({ code: 'ABORTED', message: 'stream disposed', retryable: false });
      for (const waiter of this.#takeSettledWaiters()) waiter.reject(stopped);
    }
    this.#deps.onDisposed(this);
  }

  #attached<T>(subscribe: (subscriber: Subscriber<T>) => TeardownLogic): Observable<T> {
    return new Observable<T>((subscriber) => {
      this.retain();
      const teardown = subscribe(subscriber);
      return () => {
        if (typeof teardown === 'function') teardown();
        else if (teardown && 'unsubscribe' in teardown) teardown.unsubscribe();
        this.release();
      };
    });
  }

  async #start(): Promise<void> {
    this.#phase = 'starting';
    const deps = this.#deps;
    const checkpoint = await deps.store.load(deps.checkpointKey).catch((error: unknown) => {
      deps.diagnostic({ type: 'checkpoint-error', taskId: this.taskId, error: TaskBridgeError.from(error) });
      return undefined;
    });
    if (this.#phase !== 'starting') return;
    if (checkpoint) {
      this.#snapshot = checkpoint.snapshot;
      this.#sequencer = createSequencer({
        initialCursor: checkpoint.lastEventId,
        initiallyDone: checkpoint.terminalEvent !== null,
        onDuplicate: (event, reason) => this.#duplicate(event.eventId, reason),
      });
      this.#changed();
      if (checkpoint.terminalEvent !== null) return this.#settle();
    } else {
      this.#sequencer = createSequencer({
        onDuplicate: (event, reason) => this.#duplicate(event.eventId, reason),
      });
    }
    let setup: Awaited<ReturnType<TaskStreamDeps['resolveTransports']>>;
    try {
      setup = await deps.resolveTransports();
    } catch (error) {
      return this.#fail(TaskBridgeError.from(error));
    }
    if (this.#phase !== 'starting') return;
    this.#phase = 'running';
    const actor = createActor(deps.machine ?? taskStreamMachine, {
      input: {
        taskId: this.taskId,
        transports: setup.transports,
        getCursor: () => this.#sequencer.cursor(),
        onMessage: (transport, message) => this.#onMessage(transport, message),
        config: setup.config,
        ...(deps.health ? { health: deps.health } : {}),
        origin: deps.origin,
        ...(deps.refreshCredentials ? { refreshCredentials: this.#refresh(deps.refreshCredentials) } : {}),
        confirmTaskReachable: deps.confirmTaskReachable,
        online: deps.isOnline(),
        hidden: deps.isHidden(),
      },
    });
    this.#actor = actor;
    actor.subscribe({
      next: (snapshot) => {
        this.#onConnection(toConnectionState(snapshot));
        if (snapshot.status === 'done' && snapshot.value === 'failed') {
          this.#fail(
            snapshot.context.error ?? new TaskBridgeError({ code: 'CONNECTION_CLOSED', message: 'failed' }),
          );
        }
      },
      error: (error) => this.#fail(TaskBridgeError.from(error)),
    });
    actor.start();
    actor.send({ type: 'START' });
  }

  #refresh(refresh: () => Promise<void>): () => Promise<void> {
    return async () => {
      this.#deps.diagnostic({ type: 'auth-refresh', taskId: this.taskId });
      await refresh();
    };
  }

  // The data path: synchronous, per event, never through the machine.
  #onMessage(transport: TransportName, message: DataMessage): void {
    if (message.type === 'heartbeat') return;
    if (message.type === 'malformed') {
      const error = new TaskBridgeError({
        code: 'PROTOCOL_ERROR',
        message: message.error.message,
        retryable: false,
        cause: message.error,
      });
      this.#deps.diagnostic({ type: 'malformed-frame', taskId: this.taskId, transport, error });
      return;
    }
    const { event, conformance } = message;
    this.#deliveringTransport = transport;
    if (this.#sequencer.accept(event) === 'duplicate') return;
    if (conformance === 'off-schema-payload') {
      this.#deps.diagnostic({
        type: 'off-schema-event',
        taskId: this.taskId,
        eventId: event.eventId,
        eventType: event.type,
        issues: [],
      });
    } else if (conformance === 'unknown-type') {
      this.#deps.diagnostic({
        type: 'unknown-event-type',
        taskId: this.taskId,
        eventId: event.eventId,
        eventType: event.type,
      });
    }
    this.#snapshot = reduceTaskSnapshot(this.#snapshot, event);
    const terminal = isTerminalEvent(event);
    this.#events?.next(event);
    this.#changed();
    // After the app has the event: a crash before this line replays it, never skips it.
    this.#writer.schedule({
      taskId: this.taskId,
      lastEventId: event.eventId,
      snapshot: this.#snapshot,
      terminalEvent: terminal ? (event as TaskEvent) : null,
      updatedAt: Date.now(),
    });
    if (terminal) {
      this.#actor?.send({ type: 'TERMINAL' });
      void this.#writer.flush();
      this.#settle();
    }
  }

  #duplicate(eventId: string, reason: DuplicateReason): void {
    this.#deps.diagnostic({
      type: 'duplicate-dropped',
      taskId: this.taskId,
      eventId,
      reason,
      transport: this.#deliveringTransport,
    });
  }

  #onConnection(next: ConnectionState): void {
    const previous = this.#connection;
    if (connectionStatesEqual(previous, next)) return;
    this.#connection = next;
    const { diagnostic } = this.#deps;
    if (next.error !== null) this.#lastError = next.error;
    const from = this.#liveTransport;
    if (next.status === 'live' && next.transport !== null && from !== next.transport) {
      this.#liveTransport = next.transport;
      if (from === null) {
        diagnostic({ type: 'transport-selected', taskId: this.taskId, transport: next.transport });
      } else if (RANK[next.transport] < RANK[from]) {
        diagnostic({ type: 'climb-back', taskId: this.taskId, from, to: next.transport });
      } else {
        diagnostic({
          type: 'fallback',
          taskId: this.taskId,
          from,
          to: next.transport,
          error: this.#lastError,
        });
      }
    }
    if (next.status === 'live') this.#lastError = null;
    if (next.status === 'backoff' && previous.status !== 'backoff' && next.nextRetryAt !== null) {
      diagnostic({
        type: 'retry',
        taskId: this.taskId,
        attempt: next.attempt,
        delayMs: Math.max(0, next.nextRetryAt - Date.now()),
        error: next.error,
      });
    }
    this.#connections?.next(next);
    this.#emitChange();
  }

  #changed(): void {
    this.#snapshots?.next(this.#snapshot);
    this.#emitChange();
  }

  #emitChange(): void {
    const listeners = this.#listeners;
    if (listeners === undefined || listeners.size === 0) return;
    for (const listener of Array.from(listeners)) listener();
  }

  #takeSettledWaiters(): SettledWaiter[] {
    const waiters = this.#settledWaiters ?? [];
    this.#settledWaiters = undefined;
    return waiters;
  }

  #settle(): void {
    if (this.#phase === 'settled' || this.#phase === 'disposed') return;
    this.#phase = 'settled';
    this.#events?.complete();
    this.#snapshots?.complete();
    for (const waiter of this.#takeSettledWaiters()) waiter.resolve(this.#snapshot);
    // The machine reaches `done` a tick later; publish the final connection state, then complete.
    queueMicrotask(() => {
      if (this.#connection.status !== 'done') {
        this.#connection = { ...this.#connection, status: 'done', nextRetryAt: null };
        this.#connections?.next(this.#connection);
        this.#emitChange();
      }
      this.#connections?.complete();
    });
  }

  #fail(error: TaskBridgeError): void {
    if (this.#failure || this.#phase === 'settled' || this.#phase === 'disposed') return;
    this.#failure = error;
    this.#deps.diagnostic({ type: 'stream-failed', taskId: this.taskId, error });
    // A failure outside the machine (e.g. resolving transports) must still read as `failed`.
    if (this.#connection.status !== 'failed') {
      this.#connection = { ...this.#connection, status: 'failed', nextRetryAt: null, error };
      this.#connections?.next(this.#connection);
    }
    this.#events?.error(error);
    this.#snapshots?.complete();
    this.#connections?.complete();
    for (const waiter of this.#takeSettledWaiters()) waiter.reject(error);
    this.#emitChange();
  }
}
