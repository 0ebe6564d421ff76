/**
 * The default runtime: handlers run in this process, each started in a microtask after its create.
 */
import type { EventBuilder } from '../engine/event-builder';
import { executeTask, type RunningTask } from '../engine/runner/execute-task';
import type { TaskBridgeBackend } from '../engine/state/backend';
import type { TaskHandler } from '../engine/types';
import type { TaskRuntime } from './runtime';

/** Options of {@link createInProcessRuntime}. */
export interface InProcessRuntimeOptions {
  backend: TaskBridgeBackend;
  /** The handler of a `taskType`, or `undefined` (the task then never starts). */
  handlerFor(taskType: string): TaskHandler | undefined;
  build: EventBuilder;
  /** Clock, ms since epoch. */
  now: () => number;
  /** Id generator (`suspendId`s, the runner id). */
  generateId: () => string;
}

/** The in-process {@link TaskRuntime}, plus the number of runs in progress. */
export interface InProcessRuntime extends TaskRuntime {
  /** Runs in progress in this process. */
  readonly running: number;
}

/** Creates the in-process runtime. Each run gets epoch 1: in one process a task runs exactly once. */
export function createInProcessRuntime(options: InProcessRuntimeOptions): InProcessRuntime {
  const runs = new Map<string, RunningTask>();
  const runnerId = `in-process:${options.generateId()}`;
  return {
    submit(task) {
      const handler = options.handlerFor(task.taskType);
      if (!handler || runs.has(task.taskId)) return Promise.resolve();
      const run = executeTask({
        backend: options.backend,
        task,
        handler,
        epoch: 1,
        runnerId,
        build: options.build,
        now: options.now,
        generateId: options.generateId,
      });
      runs.set(task.taskId, run);
      void run.done.then(() => runs.delete(task.taskId));
      return Promise.resolve();
    },
    shutdown() {
      for (const run of runs.values()) run.execution.stop();
      return Promise.resolve();
    },
    get running() {
      return runs.size;
    },
  };
}
