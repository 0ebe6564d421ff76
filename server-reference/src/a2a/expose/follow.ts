/**
 * The A2A stream of one TaskBridge task (SendStreamingMessage, SubscribeToTask): the `Task` snapshot,
 * then the live status and artifact updates, from ONE engine subscription. Replay is folded into the
 * snapshot and live events continue the same subscription, so nothing falls between the two and
 * nothing comes twice (hazard H2); the subscription's queue is bounded and the stream waits for its
 * reader (H3); the stream ends after the terminal state, or at the next interruption (H1).
 */
import { type StreamResponse, TaskState } from '@a2a-js/sdk';
import type { Subscription } from '../../engine/subscription';
import type { TaskEngine } from '../../engine/task-engine';
import type { AuthContext } from '../../engine/types';
import type { StreamConnection } from './caller';
import { terminalTaskError, toA2AError } from './errors';
import { A2ATaskView } from './task-view';

const TERMINAL_STATE = {
  TASK_COMPLETED: TaskState.TASK_STATE_COMPLETED,
  TASK_FAILED: TaskState.TASK_STATE_FAILED,
  TASK_CANCELLED: TaskState.TASK_STATE_CANCELED,
} as const;

/** What the stream is for. */
export type FollowMode =
  /** SendStreamingMessage: a terminal or interrupted snapshot is the whole answer. */
  | 'send'
  /**
   * SubscribeToTask: a task already terminal is refused; an interrupted one is followed to its next
   * turn; one that ends while the subscription is set up is streamed to its end.
   */
  | 'subscribe';

/** Options of {@link followTask}. */
export interface FollowOptions {
  /** The engine the task runs on (its facade methods are awaited). */
  engine: TaskEngine;
  /** The caller; a foreign task is not found (protocol/SPEC.md §9). */
  auth: AuthContext;
  /** The TaskBridge task id, which is also the A2A task id. */
  taskId: string;
  /** What the stream is for. */
  mode: FollowMode;
  /** The response written to: its backpressure paces the stream, its close ends it. Default: none. */
  connection?: StreamConnection;
}

/**
 * Streams a task as A2A stream responses: first the `Task` snapshot (every stored event folded in),
 * then one or two responses per newer event (each with `metadata.taskbridgeEventId`), until the
 * terminal state or — after the snapshot — the next INPUT_REQUIRED / AUTH_REQUIRED. A snapshot that is
 * already interrupted ends a `send` stream at once; a `subscribe` stream waits for the answer.
 *
 * Ends quietly when the connection closes or the engine shuts down. Never buffers more than the
 * engine's per-subscriber bound: a reader that falls further behind gets an error and resubscribes.
 *
 * @throws (before the first response) `TaskNotFoundError`; for `subscribe`, the SDK's
 *   `UnsupportedOperationError` for a task already in a terminal state. Later, an `A2AError` when the
 *   reader fell too far behind (TaskBridge `RATE_LIMITED`, hazard H3).
 */
export async function* followTask(options: FollowOptions): AsyncGenerator<StreamResponse, void, undefined> {
  const { engine, auth, taskId, mode, connection } = options;
  let view: A2ATaskView;
  try {
    view = new A2ATaskView(await engine.getTask(auth, taskId));
    // The SDK's contract: subscribing to a task that has ended is an error (read it with GetTask).
    // Checked before subscribing; a task that ends while the subscription is being set up is streamed
    // to its end instead, every event included (hazard H2).
    if (mode === 'subscribe') {
      const { terminalEvent } = await engine.getStatus(auth, taskId);
      if (terminalEvent !== null)
        throw terminalTaskError(taskId, TERMINAL_STATE[terminalEvent.type], 'subscribed to');
    }
  } catch (error) {
    throw toA2AError(error);
  }
  // From the first event: replay folds into the snapshot, live events follow on the same subscription.
  let subscription: Subscription;
  try {
    subscription = await engine.subscribe(auth, taskId, null);
  } catch (error) {
    throw toA2AError(error);
  }
  const close = () => subscription.close();
  connection?.signal.addEventListener('abort', close);
  // The reader may have left while the subscription was being opened.
  if (connection?.signal.aborted) close();
  try {
    let caughtUp = false;
    while (!caughtUp) {
      const step = await subscription.next();
      // Done before catching up: the terminal event was replayed, or the stream was closed.
      if (step.done) break;
      if (step.value.kind === 'caught-up') caughtUp = true;
      else for (const event of step.value.events) view.apply(event);
    }
    if (!caughtUp && !view.terminal) return;
    yield { payload: { $case: 'task', value: view.snapshot() } };
    if (view.terminal || (view.interrupted && mode === 'send')) return;
    for await (const item of subscription) {
      if (item.kind !== 'events') continue;
      for (const event of item.events) {
        for (const response of view.apply(event)) {
          if (connection && !(await connection.writable())) return;
          yield response;
        }
        if (view.terminal || view.interrupted) return;
      }
    }
  } catch (error) {
    throw toA2AError(error);
  } finally {
    connection?.signal.removeEventListener('abort', close);
    subscription.close();
  }
}
