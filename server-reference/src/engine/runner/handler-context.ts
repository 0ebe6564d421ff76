/**
 * The {@link TaskContext} a handler receives: emits go through its {@link Execution}, `suspend()`
 * registers the suspension in the store, announces it and waits for the answer.
 */
import type { JsonObject } from '@taskbridge/protocol';
import type { EventBuilder } from '../event-builder';
import type { SuspensionRecord, SuspensionStore } from '../state/suspension-store';
import type { StoredTask } from '../state/task-registry';
import { checkSuspendOptions } from '../handler-output';
import type { ActionAnswer, TaskContext, TaskYield } from '../types';
import { abortError } from './abort-error';
import { suspensionExpired, waitForAnswer } from './answer-wait';
import type { Execution } from './execution';
import { setLongTimeout } from './long-timeout';

/** What a handler context is made of. */
export interface HandlerContextDeps {
  execution: Execution;
  task: StoredTask;
  suspensions: SuspensionStore;
  build: EventBuilder;
  /** Clock, ms since epoch (suspension expiry). */
  now: () => number;
  /** Id generator for `suspendId`s. */
  generateId: () => string;
}

/** Builds the context of one run. */
export function createHandlerContext(deps: HandlerContextDeps): TaskContext {
  const { execution, task, suspensions, build, now, generateId } = deps;
  const { taskId, signal } = execution;

  const resumeSuspension = async (known: SuspensionRecord): Promise<ActionAnswer> => {
    const { suspendId } = known;
    if (known.state === 'expired') throw suspensionExpired(suspendId);
    const left = known.expiresAt === null ? undefined : known.expiresAt - now();
    return waitForAnswer(execution, suspensions, suspendId, left, { announced: true }).answer;
  };

  const suspend = async (requested: unknown): Promise<ActionAnswer> => {
    if (execution.closed) throw abortError();
    // Checked before anything is registered: bad options fail this call (and, uncaught, the task).
    const options = checkSuspendOptions(requested, now());
    const suspendId = generateId();
    const expiresAt = options.expiresInMs === undefined ? null : now() + options.expiresInMs;
    // Built first: options that cannot become an event fail here, before anything is registered.
    const event = build.suspended(taskId, suspendId, options, expiresAt);
    const known = await suspensions.open(taskId, {
      suspendId,
      allowedActions: [...options.allowedActions],
      expiresAt,
    });
    // An earlier run of this task (on a worker that was lost) suspended here already: its
    // TASK_SUSPENDED is out, and its answer may be decided. Nothing is announced twice.
    if (known) return resumeSuspension(known);
    const wait = waitForAnswer(execution, suspensions, suspendId, options.expiresInMs);
    try {
      await execution.append(event);
    } catch (error) {
      wait.cancel();
      throw error;
    }
    return wait.answer;
  };

  // A bad emit is a rejected promise like any other failed emit, never a synchronous throw.
  const emit = (item: TaskYield): Promise<void> => {
    try {
      return execution.emit(build.fromYield(taskId, item)).then(() => undefined);
    } catch (error) {
      return Promise.reject(error);
    }
  };

  return {
    taskId,
    taskType: task.taskType,
    input: task.input as JsonObject,
    attachments: task.attachments,
    auth: task.auth,
    signal,
    progress: (progress, details) => emit({ type: 'progress', progress, ...details }),
    message: (message, level) =>
      emit(level === undefined ? { type: 'message', message } : { type: 'message', message, level }),
    suspend,
    sleep: (ms) =>
      new Promise<void>((resolve, reject) => {
        if (signal.aborted) return reject(abortError());
        const cancel = setLongTimeout(
          () => {
            signal.removeEventListener('abort', onAbort);
            resolve();
          },
          Number.isFinite(ms) ? ms : 0,
        );
        const onAbort = () => {
          cancel();
          reject(abortError());
        };
        signal.addEventListener('abort', onAbort, { once: true });
      }),
  };
}
