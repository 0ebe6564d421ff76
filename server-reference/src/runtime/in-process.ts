/**
 * The default runtime: handlers run in this process, each started in a microtask after its create.
 * Cancels and answers go out on the backend's control channel, so with a shared backend they reach
 * the instance running the handler even when the request arrived elsewhere.
 */
import { executeTask, type RunningTask } from '../engine/runner/execute-task';
import { controlRelay } from './control-relay';
import type { RuntimeContext, TaskRuntime } from './runtime';

/** The in-process {@link TaskRuntime}, plus the number of runs in progress. */
export interface InProcessRuntime extends TaskRuntime {
  /** Runs in progress in this process. */
  readonly running: number;
}

/** Creates the in-process runtime. Each run gets epoch 1: in one process a task runs exactly once. */
export function createInProcessRuntime(context: RuntimeContext): InProcessRuntime {
  const { backend } = context;
  const runs = new Map<string, RunningTask>();
  const runnerId = `in-process:${context.generateId()}`;
  return {
    submit(task) {
      const handler = context.handlerFor(task.taskType);
      if (!handler || runs.has(task.taskId)) return Promise.resolve();
      const run = executeTask({
        backend,
        task,
        handler,
        epoch: 1,
        runnerId,
        build: context.build,
        now: context.now,
        generateId: context.generateId,
        limits: context.limits,
        logger: context.logger,
      });
      runs.set(task.taskId, run);
      void run.done.then(() => {
        runs.delete(task.taskId);
        context.onRunEnd(task);
      });
      return Promise.resolve();
    },
    ...controlRelay(backend),
    shutdown() {
      for (const run of runs.values()) run.execution.stop();
      return Promise.resolve();
    },
    get running() {
      return runs.size;
    },
  };
}
