/**
 * Runs one task handler and turns its life into events (hazard H6): `TASK_STARTED` first, yields and
 * emits in between, and exactly one terminal event at the end — written by the runner, whether the
 * handler returns, throws or is cancelled.
 */
import type { TaskBridgeError as TaskBridgeErrorType } from '@taskbridge/protocol';
import type { TaskFailure } from '../event-builder';
import type { TaskContext, TaskHandler, TaskYield } from '../types';

/** What {@link runTask} needs from the execution of one task. */
export interface RunnerHooks {
  context: TaskContext;
  /** Appends a non-terminal event from a yield; resolves (with anything) once it is stored. */
  emit(item: TaskYield): Promise<unknown>;
  started(): Promise<void>;
  completed(result: unknown): Promise<void>;
  failed(error: TaskFailure): Promise<void>;
}

function isAsyncGenerator(value: unknown): value is AsyncGenerator<TaskYield, unknown, undefined> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as AsyncGenerator).next === 'function' &&
    typeof (value as AsyncGenerator)[Symbol.asyncIterator] === 'function'
  );
}

/** Maps anything a handler threw to a `TASK_FAILED` payload; never leaks a stack trace. */
export function failureOf(error: unknown): TaskFailure {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') {
    const e = error as Partial<TaskBridgeErrorType> & { code: string };
    return {
      code: e.code,
      message: typeof e.message === 'string' ? e.message : e.code,
      retryable: e.retryable === true,
    };
  }
  const message = error instanceof Error ? error.message : 'task handler failed';
  return { code: 'TASK_EXECUTION_FAILED', message, retryable: false };
}

/** Runs the handler to its end. Never rejects. */
export async function runTask(handler: TaskHandler, hooks: RunnerHooks): Promise<void> {
  const { signal } = hooks.context;
  try {
    await hooks.started();
    const outcome = handler(hooks.context);
    let result: unknown;
    if (isAsyncGenerator(outcome)) {
      for (;;) {
        const step = await outcome.next();
        if (step.done) {
          result = step.value;
          break;
        }
        await hooks.emit(step.value);
      }
    } else {
      result = await outcome;
    }
    if (!signal.aborted) await hooks.completed(result === undefined ? null : result);
  } catch (error) {
    // After a cancel TASK_CANCELLED is already stored; the handler's AbortError is noise.
    if (!signal.aborted) await hooks.failed(failureOf(error)).catch(() => undefined);
  }
}
