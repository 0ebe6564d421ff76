/**
 * The SDK's `AgentExecutor` seam for the blocking SendMessage: the request handler has already run
 * the message's turn on the engine (started the task or answered its question); the executor
 * publishes the task, follows it to its next interruption or its end, and publishes it again, so the
 * SDK's handler returns the task as it is then.
 */
import { UnsupportedOperationError } from '@a2a-js/sdk/errors';
import {
  AgentEvent,
  type AgentExecutor,
  type ExecutionEventBus,
  type RequestContext,
} from '@a2a-js/sdk/server';
import type { TaskEngine } from '../../engine/task-engine';
import { callerOf } from './caller';
import { foldTask } from './fold';
import { followTask } from './follow';

/** Follows TaskBridge tasks for the SDK's `DefaultRequestHandler` (blocking SendMessage). */
export class TaskBridgeAgentExecutor implements AgentExecutor {
  readonly #engine: TaskEngine;

  constructor(engine: TaskEngine) {
    this.#engine = engine;
  }

  /**
   * Publishes the task (`requestContext.taskId` is the TaskBridge task id), then, unless the request
   * asked to return immediately, waits for its next interruption or terminal state and publishes the
   * task again. Rejects only when the engine does (e.g. shut down).
   */
  execute = async (requestContext: RequestContext, eventBus: ExecutionEventBus): Promise<void> => {
    const { auth, connection } = callerOf(requestContext.context);
    const taskId = requestContext.taskId;
    eventBus.publish(AgentEvent.task((await foldTask(this.#engine, auth, taskId)).snapshot()));
    if (requestContext.request.configuration?.returnImmediately === true) return;
    // The stream's end rule (the terminal state, or the next interruption) is the blocking call's too.
    const follow = followTask({
      engine: this.#engine,
      auth,
      taskId,
      mode: 'send',
      ...(connection ? { connection } : {}),
    });
    for await (const _response of follow) {
      // Only the end matters here: the task is folded again below.
    }
    eventBus.publish(AgentEvent.task((await foldTask(this.#engine, auth, taskId)).snapshot()));
  };

  /**
   * Never called: cancelling needs the caller (tasks are owned), which this SDK hook does not get, so
   * `TaskBridgeRequestHandler.cancelTask` cancels on the engine itself.
   *
   * @throws `UnsupportedOperationError` always.
   */
  cancelTask = async (_taskId: string, _eventBus: ExecutionEventBus): Promise<void> => {
    throw new UnsupportedOperationError('the TaskBridge request handler cancels tasks itself');
  };
}
