/** Errors the engine answers with (protocol/SPEC.md §8). */
import { TaskBridgeError } from '@taskbridge/protocol';

/** 404 for an unknown, evicted or foreign task: the three are indistinguishable (protocol/SPEC.md §9). */
export const taskNotFound = (taskId: string): TaskBridgeError =>
  new TaskBridgeError({ code: 'TASK_NOT_FOUND', message: `task ${taskId} not found`, details: { taskId } });
