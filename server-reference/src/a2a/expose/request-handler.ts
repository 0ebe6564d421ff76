/**
 * The bridge's A2A request handler: the SDK's `DefaultRequestHandler` over the engine. The SDK's
 * handler serves GetTask (through {@link EngineTaskStore}), the blocking SendMessage (through
 * {@link TaskBridgeAgentExecutor}), the card and the push-notification refusals; the bridge replaces
 * the four methods where the SDK's in-memory event bus falls short of the hazards:
 *
 * - `sendMessageStream` / `resubscribe`: the SDK streams from a per-task bus with an unbounded queue per
 *   stream (H3) and builds a resubscriber's snapshot from a store written by the first stream's reader,
 *   so a resubscriber can miss or repeat events (H2). The bridge streams each request from its own
 *   engine subscription (snapshot, then live; bounded; paced by the response; ended after the terminal
 *   state, H1).
 * - `cancelTask`: without a live bus the SDK would only write CANCELED into its store; the bridge
 *   cancels the TaskBridge task.
 * - `sendMessage`: the message's turn (start or answer) runs on the engine first, then the SDK's
 *   blocking path follows the task.
 */
import type {
  AgentCard,
  CancelTaskRequest,
  Message,
  SendMessageRequest,
  StreamResponse,
  SubscribeToTaskRequest,
  Task,
} from '@a2a-js/sdk';
import { TaskState } from '@a2a-js/sdk';
import { RequestMalformedError, TaskNotCancelableError, UnsupportedOperationError } from '@a2a-js/sdk/errors';
import { DefaultRequestHandler, type ServerCallContext } from '@a2a-js/sdk/server';
import type { TaskEngine } from '../../engine/task-engine';
import type { AuthContext } from '../../engine/types';
import { cancelOp } from '../../wire/operations';
import { callerOf } from './caller';
import { toA2AError } from './errors';
import { TaskBridgeAgentExecutor } from './executor';
import { foldTask } from './fold';
import { followTask } from './follow';
import { runTurn, type TurnOptions } from './message-turn';
import { EngineTaskStore } from './task-store';
import type { A2ATaskView } from './task-view';

/** Options of {@link TaskBridgeRequestHandler}. */
export interface TaskBridgeRequestHandlerOptions extends TurnOptions {
  /** The engine behind every A2A call. */
  engine: TaskEngine;
  /** The card as it is now (skills follow the registered task types; capabilities the configuration). */
  card: () => AgentCard;
}

/** A2A `historyLength`: absent → all, ≤ 0 → none, N → the N newest messages. */
function withHistoryLength(task: Task, historyLength: number | undefined): Task {
  if (historyLength !== undefined)
    task.history = historyLength <= 0 ? [] : task.history.slice(-historyLength);
  return task;
}

/** The SDK's request handler with the engine behind it (see the module comment for what it replaces). */
export class TaskBridgeRequestHandler extends DefaultRequestHandler {
  readonly #engine: TaskEngine;
  readonly #card: () => AgentCard;
  readonly #turn: TurnOptions;

  constructor(options: TaskBridgeRequestHandlerOptions) {
    const { engine } = options;
    // No bus outlives its request: every stream and every blocking call follows the engine itself.
    super(
      options.card(),
      new EngineTaskStore(engine),
      new TaskBridgeAgentExecutor(engine),
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      { keepBusAliveStates: [] },
    );
    this.#engine = engine;
    this.#card = options.card;
    this.#turn = {
      taskTypes: options.taskTypes,
      ...(options.defaultTaskType === undefined ? {} : { defaultTaskType: options.defaultTaskType }),
    };
  }

  /** The card as the server is configured now (hazard H7). */
  override async getAgentCard(): Promise<AgentCard> {
    return this.#card();
  }

  /**
   * SendMessage: runs the turn, then (unless the task is already terminal) lets the SDK's blocking
   * path follow the task to its next interruption or its end. Returns the task folded from its events.
   */
  override async sendMessage(
    params: SendMessageRequest,
    context: ServerCallContext,
  ): Promise<Message | Task> {
    const { auth } = callerOf(context);
    const message = this.#messageOf(params);
    const taskId = await runTurn(this.#engine, auth, message, this.#turn);
    const view = await this.#fold(auth, taskId);
    if (!view.terminal) {
      try {
        await super.sendMessage(
          { ...params, message: { ...message, taskId, contextId: view.contextId } },
          context,
        );
      } catch (error) {
        // The task may have ended between the turn and the SDK's own check: its end is the answer.
        if (!(await this.#fold(auth, taskId)).terminal) throw error;
      }
    }
    return withHistoryLength(
      (await this.#fold(auth, taskId)).snapshot(),
      params.configuration?.historyLength,
    );
  }

  /**
   * SendStreamingMessage: runs the turn, then streams the task (snapshot, live updates) until it ends
   * or asks for input again.
   *
   * @throws `UnsupportedOperationError` when streaming is not served (hazard H7).
   */
  override async *sendMessageStream(
    params: SendMessageRequest,
    context: ServerCallContext,
  ): AsyncGenerator<StreamResponse, void, undefined> {
    this.#requireStreaming('Streaming is not supported.');
    const { auth, connection } = callerOf(context);
    const taskId = await runTurn(this.#engine, auth, this.#messageOf(params), this.#turn);
    yield* this.#withHistoryLength(
      followTask({ engine: this.#engine, auth, taskId, mode: 'send', ...(connection ? { connection } : {}) }),
      params.configuration?.historyLength,
    );
  }

  /**
   * SubscribeToTask: the task's snapshot, then its live updates, each once (hazard H2).
   *
   * @throws `UnsupportedOperationError` for a task in a terminal state (as the SDK documents) or when
   *   streaming is not served (hazard H7); `TaskNotFoundError`; `RequestMalformedError` without an id.
   */
  override async *resubscribe(
    params: SubscribeToTaskRequest,
    context: ServerCallContext,
  ): AsyncGenerator<StreamResponse, void, undefined> {
    this.#requireStreaming('Streaming (and thus resubscription) is not supported.');
    const { auth, connection } = callerOf(context);
    const taskId = this.#taskIdOf(params.id);
    yield* followTask({
      engine: this.#engine,
      auth,
      taskId,
      mode: 'subscribe',
      ...(connection ? { connection } : {}),
    });
  }

  /**
   * CancelTask: cancels the TaskBridge task (protocol/SPEC.md §7) and returns it CANCELED; a task
   * already CANCELED is returned as it is.
   *
   * @throws `TaskNotCancelableError` for a task that ended otherwise (also when it ends first);
   *   `TaskNotFoundError`.
   */
  override async cancelTask(params: CancelTaskRequest, context: ServerCallContext): Promise<Task> {
    const { auth } = callerOf(context);
    const taskId = this.#taskIdOf(params.id);
    const before = await this.#fold(auth, taskId);
    if (before.state === TaskState.TASK_STATE_CANCELED) return before.snapshot();
    if (before.terminal) throw new TaskNotCancelableError(`Task not cancelable: ${taskId}`);
    try {
      await cancelOp(this.#engine, auth, taskId, { reason: 'cancelled_by_a2a_client' });
    } catch (error) {
      throw toA2AError(error);
    }
    const after = await this.#fold(auth, taskId);
    if (after.state !== TaskState.TASK_STATE_CANCELED)
      throw new TaskNotCancelableError(`Task not cancelable: ${taskId}`);
    return after.snapshot();
  }

  #requireStreaming(message: string): void {
    if (!this.#card().capabilities?.streaming) throw new UnsupportedOperationError(message);
  }

  #messageOf(params: SendMessageRequest): Message {
    if (!params.message) throw new RequestMalformedError('request.message is required.');
    return params.message;
  }

  #taskIdOf(id: string | undefined): string {
    if (!id || id.trim() === '') throw new RequestMalformedError('Task ID is required');
    return id;
  }

  async #fold(auth: AuthContext, taskId: string): Promise<A2ATaskView> {
    try {
      return await foldTask(this.#engine, auth, taskId);
    } catch (error) {
      throw toA2AError(error);
    }
  }

  async *#withHistoryLength(
    stream: AsyncGenerator<StreamResponse, void, undefined>,
    historyLength: number | undefined,
  ): AsyncGenerator<StreamResponse, void, undefined> {
    for await (const response of stream) {
      if (response.payload?.$case === 'task') withHistoryLength(response.payload.value, historyLength);
      yield response;
    }
  }
}
