/**
 * The SDK's `TaskStore` seam, backed by the engine: the TaskBridge event log is the one record of a
 * task, and an A2A `Task` is always folded from it (GetTask, the blocking SendMessage). Nothing the
 * SDK saves is kept: an A2A task never goes stale because the client that started it went away, and
 * any instance with the same engine state serves it.
 */
import type { ListTasksRequest, ListTasksResponse, Task } from '@a2a-js/sdk';
import { UnsupportedOperationError } from '@a2a-js/sdk/errors';
import type { ServerCallContext, TaskStore } from '@a2a-js/sdk/server';
import { TaskBridgeError } from '@taskbridge/protocol';
import type { TaskEngine } from '../../engine/task-engine';
import { callerOf } from './caller';
import { toA2AError } from './errors';
import { foldTask } from './fold';

/** A read-through {@link TaskStore} over a {@link TaskEngine}. */
export class EngineTaskStore implements TaskStore {
  readonly #engine: TaskEngine;

  constructor(engine: TaskEngine) {
    this.#engine = engine;
  }

  /** The task folded from its events; `undefined` for an unknown or foreign task (masked alike). */
  async load(taskId: string, context: ServerCallContext): Promise<Task | undefined> {
    try {
      return (await foldTask(this.#engine, callerOf(context).auth, taskId)).snapshot();
    } catch (error) {
      if (error instanceof TaskBridgeError && error.code === 'TASK_NOT_FOUND') return undefined;
      throw toA2AError(error);
    }
  }

  /**
   * Ignored: the engine already holds everything the SDK would save (status and artifacts come from
   * events, the context id from the task's metadata).
   */
  async save(): Promise<void> {}

  /** @throws `UnsupportedOperationError`: the engine does not list tasks (clients keep their own ids). */
  async list(_params: ListTasksRequest): Promise<ListTasksResponse> {
    throw new UnsupportedOperationError('ListTasks is not offered by the TaskBridge bridge');
  }
}
