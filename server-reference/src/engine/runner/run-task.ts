/**
 * Runs one task handler and turns its life into events (hazard H6): `TASK_STARTED` first, yields and
 * emits in between, and exactly one terminal event at the end — written by the runner, whether the
 * handler returns, throws, rejects, hangs past its deadline or is cancelled.
 */
import type { TaskFailure } from '../event-builder';
import type { TaskContext, TaskHandler, TaskYield } from '../types';
import { abortError } from './abort-error';

/** What {@link runTask} needs from the execution of one task. */
export interface RunnerHooks {
  context: TaskContext;
  /** Appends a non-terminal event from a yield; resolves (with anything) once it is stored. */
  emit(item: TaskYield): Promise<unknown>;
  started(): Promise<void>;
  completed(result: unknown): Promise<void>;
  /** Writes `TASK_FAILED` for whatever the handler threw (see {@link failureOf}). */
  failed(error: unknown): Promise<void>;
}

function isAsyncGenerator(value: unknown): value is AsyncGenerator<TaskYield, unknown, undefined> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as AsyncGenerator).next === 'function' &&
    typeof (value as AsyncGenerator)[Symbol.asyncIterator] === 'function'
  );
}

/** Longest `message` kept in a `TASK_FAILED` payload, characters. */
const MAX_FAILURE_MESSAGE = 1000;
/** Longest `code` kept in a `TASK_FAILED` payload, characters. */
const MAX_FAILURE_CODE = 64;

/**
 * Maps anything a handler threw to a `TASK_FAILED` payload; never leaks a stack trace, never throws
 * (a hostile error — a Proxy, throwing getters, a 100 MB message — gets a generic or shortened one).
 */
export function failureOf(error: unknown): TaskFailure {
  try {
    if (typeof error === 'object' && error !== null && 'code' in error) {
      const { code, message, retryable } = error as { code: unknown; message: unknown; retryable: unknown };
      if (typeof code === 'string' && code.length > 0) {
        return {
          code: code.slice(0, MAX_FAILURE_CODE),
          message: (typeof message === 'string' ? message : code).slice(0, MAX_FAILURE_MESSAGE),
          retryable: retryable === true,
        };
      }
    }
    const message = error instanceof Error && typeof error.message === 'string' ? error.message : '';
    return {
      code: 'TASK_EXECUTION_FAILED',
      message: (message || 'task handler failed').slice(0, MAX_FAILURE_MESSAGE),
      retryable: false,
    };
  } catch {
    return { code: 'TASK_EXECUTION_FAILED', message: 'task handler failed', retryable: false };
  }
}

/**
 * Awaits a handler's promises until the run's signal aborts (cancel, deadline, limit, shutdown): a
 * handler that never settles must not keep its run — and everything the run holds — forever.
 */
function interruptible(signal: AbortSignal): <T>(value: T | PromiseLike<T>) => Promise<T> {
  let interrupt: ((error: Error) => void) | undefined;
  signal.addEventListener('abort', () => interrupt?.(abortError()), { once: true });
  return <T>(value: T | PromiseLike<T>) =>
    new Promise<T>((resolve, reject) => {
      // Attached first: a handler that rejects after its run was aborted is settled, not unhandled.
      Promise.resolve(value).then(resolve, reject);
      if (signal.aborted) return reject(abortError());
      interrupt = reject;
    });
}

/** Runs the handler to its end, or until its signal aborts. Never rejects. */
export async function runTask(handler: TaskHandler, hooks: RunnerHooks): Promise<void> {
  const { signal } = hooks.context;
  const until = interruptible(signal);
  try {
    await hooks.started();
    const outcome = handler(hooks.context);
    let result: unknown;
    if (isAsyncGenerator(outcome)) {
      for (;;) {
        const step = await until(outcome.next());
        if (step.done) {
          result = step.value;
          break;
        }
        await hooks.emit(step.value);
      }
    } else {
      result = await until(outcome);
    }
    if (!signal.aborted) await hooks.completed(result === undefined ? null : result);
  } catch (error) {
    // After a cancel, deadline or limit the terminal event is already stored; the AbortError is noise.
    if (!signal.aborted) await hooks.failed(error).catch(() => undefined);
  }
}
