/**
 * Runs one task to its end against a backend: attach to the task's control channel, write
 * `TASK_STARTED`, run the handler, write the one terminal event (hazard H6). Depends only on the
 * backend, so the same code runs in the API process (the in-process runtime) or in a worker.
 */
import type { EventBuilder } from '../event-builder';
import type { TaskBridgeBackend } from '../state/backend';
import type { StoredTask } from '../state/task-registry';
import type { TaskHandler } from '../types';
import { Execution } from './execution';
import { createHandlerContext } from './handler-context';
import { runTask } from './run-task';

/** Options of {@link executeTask}. */
export interface ExecuteTaskOptions {
  /** The stores the run reads and writes. */
  backend: Pick<TaskBridgeBackend, 'events' | 'tasks' | 'suspensions' | 'control'>;
  /** The task, as the registry holds it. */
  task: StoredTask;
  handler: TaskHandler;
  /** Fencing token of this run, ≥ 1 (see `AppendOptions.epoch`). */
  epoch: number;
  /** Who runs it, recorded in the registry (`StoredTask.runner`). */
  runnerId: string;
  build: EventBuilder;
  /** Clock, ms since epoch. */
  now: () => number;
  /** Id generator for `suspendId`s. */
  generateId: () => string;
}

/** A run in progress. */
export interface RunningTask {
  readonly execution: Execution;
  /** Settles when the run is over (terminal written, lost to another, or stopped). Never rejects. */
  readonly done: Promise<void>;
}

/**
 * Starts the run in a microtask (the caller gets its response first) and returns at once. The
 * registry's `status`/`runner`/`epoch` are bookkeeping written on the way, best effort: what clients
 * see comes from the event log.
 */
export function executeTask(options: ExecuteTaskOptions): RunningTask {
  const { backend, task, handler, build, now } = options;
  const { taskId } = task;
  const execution = new Execution(backend.events, taskId, options.epoch);
  const record = (patch: Parameters<typeof backend.tasks.update>[1]) =>
    backend.tasks.update(taskId, { ...patch, updatedAt: now() }).catch(() => undefined);
  const finished = async (ok: boolean, status: 'COMPLETED' | 'FAILED') => {
    if (ok) await record({ status, runner: null });
  };

  const done = (async () => {
    await null;
    let detach: () => void = () => undefined;
    try {
      detach = await backend.control.subscribe(taskId, (message) => execution.onControl(message));
    } catch {
      // Without the control channel a cancel still lands: the log refuses this run's next append.
    }
    try {
      const context = createHandlerContext({
        execution,
        task,
        suspensions: backend.suspensions,
        build,
        now,
        generateId: options.generateId,
      });
      await runTask(handler, {
        context,
        emit: (item) => execution.emit(build.fromYield(taskId, item)),
        started: async () => {
          await execution.append(build.started(taskId));
          await record({ status: 'RUNNING', runner: options.runnerId, epoch: options.epoch });
        },
        completed: async (result) =>
          finished(await execution.finish(build.completed(taskId, result)), 'COMPLETED'),
        failed: async (failure) => finished(await execution.finish(build.failed(taskId, failure)), 'FAILED'),
      });
    } finally {
      detach();
    }
  })();
  return { execution, done };
}
