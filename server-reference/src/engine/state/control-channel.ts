/**
 * The control seam: what must reach the process running a task's handler, wherever the request that
 * caused it arrived. Messages are hints to wake the runner; the facts live in the stores (the
 * `TASK_CANCELLED` event is already stored, the answer is already decided), so a runner that missed a
 * message finds them there.
 */

/** A message to the runner of `taskId`. */
export type ControlMessage =
  /** The task was cancelled (its `TASK_CANCELLED` is stored): abort the handler. */
  | { type: 'cancel'; taskId: string; reason: string }
  /** An answer to `suspendId` was accepted (its `TASK_ACTION_ACCEPTED` is stored): resume the handler. */
  | { type: 'answer'; taskId: string; suspendId: string };

/** Receives control messages of one task. Must not throw (a throw is swallowed). */
export type ControlListener = (message: ControlMessage) => void;

/**
 * Publish/subscribe per task, across every process sharing the backend. Delivery is at most once per
 * attached listener and best effort (a Redis pub/sub message can be lost in a reconnect): the stores
 * hold the truth.
 */
export interface ControlChannel {
  /** Sends `message` to every listener of `message.taskId`, in any process. */
  publish(message: ControlMessage): Promise<void>;
  /** Attaches `listener` to one task's messages; resolves with the detach function once attached. */
  subscribe(taskId: string, listener: ControlListener): Promise<() => void>;
}
