/**
 * The public contract of a task stream: what an app observes (events, snapshot, connection) and the
 * commands it sends (cancel, actions). `task-stream.ts` implements it.
 */
import type {
  CancelTaskResponse,
  ClientActionResponse,
  JsonObject,
  TaskBridgeError,
  TaskEvent,
  UnknownTaskEvent,
} from '@taskbridge/protocol';
import type { Observable } from 'rxjs';
import type { ConnectionState } from './connection-state';
import type { SubmitActionOptions } from './task-commands';
import type { TaskSnapshot } from './task-snapshot';

/** Everything a stream shows, as one value: replaced (never changed) when any part changes. */
export interface TaskStreamState {
  /** The folded events (protocol/SPEC.md §3). */
  readonly snapshot: TaskSnapshot;
  /** The connection (protocol/SPEC.md §10). */
  readonly connection: ConnectionState;
  /** Why the stream failed for good (e.g. `TASK_NOT_FOUND`); `null` otherwise. */
  readonly failure: TaskBridgeError | null;
}

/**
 * The stream of one task, shared by every observer in a client (one connection per task).
 *
 * Subscribing to any observable, with `subscribe()` or `settled()`, attaches the stream; nothing
 * happens before. When the last observer leaves it detaches after a grace period (so React
 * StrictMode's mount/unmount/mount keeps one connection). Every observable ends after the terminal
 * event, whether or not the server ends its side (protocol/SPEC.md §5 peer quirk, hazard H1), and
 * tells its observers how the stream ended. Delivery is exactly once and in order across reconnects,
 * transport switches and reloads (protocol/SPEC.md §3 replay, §10).
 */
export interface TaskStream {
  /** The task this stream follows. */
  readonly taskId: string;
  /**
   * Each event exactly once, in order, from the moment of subscription (earlier ones are folded in the
   * snapshot). Completes after the terminal event; errors with the `TaskBridgeError` that failed the
   * stream (e.g. `TASK_NOT_FOUND`), or `ABORTED` when it is stopped first (`client.close()`).
   */
  readonly events$: Observable<TaskEvent | UnknownTaskEvent>;
  /** The snapshot: the current one at once, then after every event; completes when the stream ends. */
  readonly snapshot$: Observable<TaskSnapshot>;
  /** The connection: the current one at once, then on every change; completes when it is final. */
  readonly connection$: Observable<ConnectionState>;
  /**
   * External-store subscription (`useSyncExternalStore`): `listener` runs after any change of the
   * state. Attaches the stream; returns the unsubscribe function (idempotent).
   */
  subscribe(listener: () => void): () => void;
  /** The current state; the same object until something changes. */
  getState(): TaskStreamState;
  /** The current snapshot (`getState().snapshot`). */
  getSnapshot(): TaskSnapshot;
  /** The current connection state (`getState().connection`). */
  getConnectionState(): ConnectionState;
  /**
   * Resolves with the final snapshot once the task is terminal (attaching the stream meanwhile); at once
   * when the checkpoint already holds the terminal event (protocol/SPEC.md §10).
   *
   * @throws {TaskBridgeError} the error that failed the stream (e.g. `TASK_NOT_FOUND`,
   *   `AUTHENTICATION_ERROR`, or the last error once retries are given up); `ABORTED` when the stream
   *   is stopped first (`client.close()`).
   */
  settled(): Promise<TaskSnapshot>;
  /**
   * Requests cancellation (protocol/SPEC.md §7); the task then ends with `TASK_CANCELLED` through the
   * stream. Resolves with status `CANCELLATION_REQUESTED` or `ALREADY_TERMINAL`. Does not attach.
   *
   * @param reason - sent as the body's `reason`. Default: none (empty body `{}`).
   * @throws {TaskBridgeError} `TASK_NOT_FOUND` (unknown or foreign task), `AUTHENTICATION_ERROR`, or the
   *   last retryable error once the client's `requestRetry` attempts are spent.
   */
  cancel(reason?: string): Promise<CancelTaskResponse>;
  /**
   * Answers a suspension (protocol/SPEC.md §7) with an idempotent `clientActionId`, retried per the
   * client's `requestRetry`. Resolves with the server's status: `ACCEPTED`, `DEDUPLICATED`,
   * `REJECTED_ALREADY_RESOLVED` or `REJECTED_EXPIRED` (rejections resolve, they do not throw).
   *
   * @param actionType - one of the suspension's `allowedActions`.
   * @param payload - the answer's data. Default: none.
   * @throws {TaskBridgeError} `USAGE_ERROR` when there is no open suspension to answer (nothing sent);
   *   `IDEMPOTENCY_CONFLICT` (409) or `TASK_NOT_FOUND` (404) from the server; or the last retryable
   *   error once retries are spent.
   */
  submitAction(
    actionType: string,
    payload?: JsonObject,
    options?: SubmitActionOptions,
  ): Promise<ClientActionResponse>;
}
