/**
 * The {@link TaskContext} a handler receives: emits go through its {@link Execution}, `suspend()`
 * registers the suspension in the store, announces it and waits for the answer.
 */
import type { JsonObject } from '@taskbridge/protocol';
import type { EventBuilder } from '../event-builder';
import type { SuspensionStore } from '../state/suspension-store';
import type { StoredTask } from '../state/task-registry';
import type { ActionAnswer, SuspendOptions, TaskContext } from '../types';
import { abortError } from './abort-error';
import { waitForAnswer } from './answer-wait';
import type { Execution } from './execution';

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

  const suspend = async (options: SuspendOptions): Promise<ActionAnswer> => {
    if (execution.closed) throw abortError();
    const suspendId = generateId();
    const expiresAt = options.expiresInMs === undefined ? null : now() + options.expiresInMs;
    // Built first: options that cannot become an event fail here, before anything is registered.
    const event = build.suspended(taskId, suspendId, options, expiresAt);
    await suspensions.open(taskId, { suspendId, allowedActions: [...options.allowedActions], expiresAt });
    const wait = waitForAnswer(execution, suspensions, suspendId, options.expiresInMs);
    try {
      await execution.append(event);
    } catch (error) {
      wait.cancel();
      throw error;
    }
    return wait.answer;
  };

  return {
    taskId,
    taskType: task.taskType,
    input: task.input as JsonObject,
    attachments: task.attachments,
    auth: task.auth,
    signal,
    progress: (progress, details) =>
      execution
        .emit(build.fromYield(taskId, { type: 'progress', progress, ...details }))
        .then(() => undefined),
    message: (message, level) =>
      execution
        .emit(
          build.fromYield(
            taskId,
            level === undefined ? { type: 'message', message } : { type: 'message', message, level },
          ),
        )
        .then(() => undefined),
    suspend,
    sleep: (ms) =>
      new Promise<void>((resolve, reject) => {
        if (signal.aborted) return reject(abortError());
        const timer = setTimeout(() => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        }, ms);
        const onAbort = () => {
          clearTimeout(timer);
          reject(abortError());
        };
        signal.addEventListener('abort', onAbort, { once: true });
      }),
  };
}
