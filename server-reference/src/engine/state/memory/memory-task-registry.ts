import { TaskBridgeError } from '@taskbridge/protocol';
import type { StoredTask, TaskRegistry } from '../task-registry';

/** The memory task registry: a {@link TaskRegistry} over a `Map`, keeping records as given (no copy). */
export function createMemoryTaskRegistry(): TaskRegistry & { readonly size: number } {
  const tasks = new Map<string, StoredTask>();
  return {
    create(task) {
      if (tasks.has(task.taskId)) {
        return Promise.reject(
          new TaskBridgeError({ code: 'INTERNAL_ERROR', message: `task id ${task.taskId} is taken` }),
        );
      }
      tasks.set(task.taskId, task);
      return Promise.resolve();
    },
    get: (taskId) => Promise.resolve(tasks.get(taskId) ?? null),
    update(taskId, patch) {
      const task = tasks.get(taskId);
      if (task) Object.assign(task, patch);
      return Promise.resolve();
    },
    delete(taskId) {
      tasks.delete(taskId);
      return Promise.resolve();
    },
    get size() {
      return tasks.size;
    },
  };
}
