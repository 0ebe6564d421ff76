/**
 * Cancels and answers through the backend's control channel: it reaches the process running the
 * handler, whichever instance or worker that is. Best effort: a lost message costs nothing, the facts
 * are stored first (the runner's next append is refused after a cancel; an answer is durable).
 */
import type { TaskBridgeBackend } from '../engine/state/backend';
import type { TaskRuntime } from './runtime';

/** `cancel` and `deliverAction` of a runtime whose runners listen on `backend.control`. */
export function controlRelay(
  backend: Pick<TaskBridgeBackend, 'control'>,
): Pick<TaskRuntime, 'cancel' | 'deliverAction'> {
  return {
    cancel: (taskId, reason) =>
      backend.control.publish({ type: 'cancel', taskId, reason }).catch(() => undefined),
    deliverAction: (taskId, suspendId) =>
      backend.control.publish({ type: 'answer', taskId, suspendId }).catch(() => undefined),
  };
}
