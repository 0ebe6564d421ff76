/**
 * What a template renders for one task: the client's folded snapshot, the connection, and every error
 * as a value (a failed task in `error`, a start or stream that could not run in `failure`, a refused
 * command in `commandFailure`). Plain data, so `toSignal` can hand it to templates as it is.
 */
import {
  type ConnectionState,
  IDLE_CONNECTION_STATE,
  initialTaskSnapshot,
  TaskBridgeError,
  type TaskSnapshot,
  type TaskSnapshotStatus,
} from '@taskbridge/client';

/** The task's lifecycle, plus `starting` while the create request is in flight. */
export type TaskViewStatus = TaskSnapshotStatus | 'starting';

/** One task as the template sees it (the snapshot's fields are documented on `TaskSnapshot`). */
export interface TaskView extends Omit<TaskSnapshot, 'taskId' | 'status'> {
  /** The task followed; `null` before the server has answered the start. */
  readonly taskId: string | null;
  readonly status: TaskViewStatus;
  /** Transport and status of the shared connection (`websocket` | `sse` | `polling`). */
  readonly connection: ConnectionState;
  /**
   * Why the task cannot be started or followed: the start request failed, or the stream failed for
   * good (e.g. `TASK_NOT_FOUND`, `AUTHENTICATION_ERROR`). A task that ran and failed is in `error`.
   */
  readonly failure: TaskBridgeError | null;
  /** The last `cancel()` or `submitAction()` the server refused or that could not be sent. */
  readonly commandFailure: TaskBridgeError | null;
}

/** Nothing started yet. */
export const IDLE_TASK_VIEW: TaskView = toTaskView(initialTaskSnapshot(''), IDLE_CONNECTION_STATE, null);

/** The create request is in flight. */
export const STARTING_TASK_VIEW: TaskView = { ...IDLE_TASK_VIEW, status: 'starting' };

/** Folds a snapshot and a connection state into a view; a `failed` connection becomes `failure`. */
export function toTaskView(
  snapshot: TaskSnapshot,
  connection: ConnectionState,
  commandFailure: TaskBridgeError | null,
): TaskView {
  const { taskId, ...fields } = snapshot;
  return {
    ...fields,
    taskId: taskId === '' ? null : taskId,
    connection,
    failure: connection.status === 'failed' ? connection.error : null,
    commandFailure,
  };
}

/** A start that never reached a stream: the request's error as the view's `failure`. */
export function failedStartView(error: unknown): TaskView {
  return { ...IDLE_TASK_VIEW, failure: TaskBridgeError.from(error) };
}
