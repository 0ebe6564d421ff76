/**
 * Runs one task to its end against a backend: attach to the task's control channel, write
 * `TASK_STARTED`, run the handler, write the one terminal event (hazard H6). Depends only on the
 * backend, so the same code runs in the API process (the in-process runtime) or in a worker. Every
 * handler fault — a throw, a rejection, a result or event that is not JSON, bad `suspend()` options,
 * a limit passed, a hang past the task's deadline — ends as one logged `TASK_FAILED`
 * (protocol/SPEC.md §15).
 */
import type { Logger } from '../../logger';
import type { EventBuilder, TaskFailure } from '../event-builder';
import { toJsonValue } from '../handler-output';
import type { EngineLimits } from '../limits';
import type { TaskBridgeBackend } from '../state/backend';
import type { StoredTask } from '../state/task-registry';
import type { TaskHandler } from '../types';
import { Execution } from './execution';
import { createHandlerContext } from './handler-context';
import { setLongTimeout } from './long-timeout';
import { failureOf, runTask } from './run-task';

/** Options of {@link executeTask}. */
export interface ExecuteTaskOptions {
  /** The stores the run reads and writes. */
  backend: Pick<TaskBridgeBackend, 'events' | 'tasks' | 'suspensions' | 'control'>;
  /** The task, as the registry holds it. */
  task: StoredTask;
  handler: TaskHandler;
  /** Fencing token of this run, ≥ 1 (see `AppendOptions.epoch`). */
  epoch: number;
  /**
   * True when an earlier run of the task already wrote `TASK_STARTED` (a re-run after its worker was
   * lost): the run writes no second one. Default false.
   */
  resume?: boolean;
  /** Who runs it, recorded in the registry (`StoredTask.runner`). */
  runnerId: string;
  build: EventBuilder;
  /** Clock, ms since epoch. */
  now: () => number;
  /** Id generator for `suspendId`s. */
  generateId: () => string;
  /**
   * Event limits and the task deadline (`taskDeadlineMs`, counted from `task.createdAt`). Default:
   * none (the engine passes its resolved limits).
   */
  limits?: Pick<
    EngineLimits,
    'maxEventsPerTask' | 'maxEventPayloadBytes' | 'maxTaskBytes' | 'taskDeadlineMs'
  >;
  /** Receives a `warn` entry for each handler fault that failed a task. Default: silent. */
  logger?: Logger;
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
  const limits = options.limits ?? {
    maxEventsPerTask: null,
    maxEventPayloadBytes: null,
    maxTaskBytes: null,
    taskDeadlineMs: null,
  };
  const log = options.logger ?? (() => undefined);
  const record = (patch: Parameters<typeof backend.tasks.update>[1]) =>
    backend.tasks.update(taskId, { ...patch, updatedAt: now() }).catch(() => undefined);
  const finished = async (ok: boolean, status: 'COMPLETED' | 'FAILED') => {
    if (ok) await record({ status, runner: null });
  };
  // The one path to TASK_FAILED: logged, and never rejects (a store that refuses even this leaves the
  // run stopped; the task's deadline or lease is then the owner's concern).
  const fail = async (error: unknown): Promise<void> => {
    const failure: TaskFailure = failureOf(error);
    try {
      const ok = await execution.finish(build.failed(taskId, failure));
      if (ok) {
        log({
          level: 'warn',
          msg: 'task failed',
          taskId,
          taskType: task.taskType,
          code: failure.code,
          error: failure.message,
        });
      }
      await finished(ok, 'FAILED');
    } catch (storeError) {
      log({
        level: 'error',
        msg: 'task failure could not be stored',
        taskId,
        taskType: task.taskType,
        code: failure.code,
        error: failureOf(storeError).message,
      });
      execution.stop();
    }
  };
  const execution = new Execution(backend.events, taskId, options.epoch, limits, (error) => void fail(error));

  const complete = async (result: unknown): Promise<void> => {
    let json: { value: unknown; text: string };
    try {
      json = toJsonValue(result, 'result');
    } catch (error) {
      return fail(error);
    }
    const breach = execution.charge(json.text, false);
    if (breach) return fail(breach);
    await finished(await execution.finish(build.completed(taskId, json.value)), 'COMPLETED');
  };

  const done = (async () => {
    await null;
    let detach: () => void = () => undefined;
    const deadline = limits.taskDeadlineMs;
    const cancelDeadline =
      deadline === null
        ? () => undefined
        : setLongTimeout(
            () => {
              void fail({
                code: 'TASK_DEADLINE_EXCEEDED',
                message: `the task did not finish within its deadline of ${deadline} ms`,
              });
            },
            task.createdAt + deadline - now(),
          );
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
          if (!options.resume) await execution.append(build.started(taskId));
          await record({ status: 'RUNNING', runner: options.runnerId, epoch: options.epoch });
        },
        completed: complete,
        failed: fail,
      });
    } finally {
      cancelDeadline();
      detach();
      // Whatever happened, nothing of this run writes any more and its signal is aborted.
      execution.stop();
    }
  })();
  return { execution, done };
}
