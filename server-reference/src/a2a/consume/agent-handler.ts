/**
 * `a2aAgentHandler`: a remote A2A agent as a TaskBridge task type. The handler streams the agent's
 * task (SendStreamingMessage) and turns it into TaskBridge events — artifact text → `TASK_MESSAGE`,
 * WORKING → `TASK_PROGRESS`, INPUT_REQUIRED / AUTH_REQUIRED → a suspension whose answer goes back as a
 * new message on the same A2A task, COMPLETED → the result, FAILED / REJECTED / CANCELED → a typed
 * failure — so every TaskBridge client follows any A2A agent with resume and transport fallback. A
 * dropped A2A stream is resumed with SubscribeToTask after a backoff, emitting only what was not
 * emitted yet; cancelling the TaskBridge task cancels the remote one.
 */
import type { Message, Part, StreamResponse } from '@a2a-js/sdk';
import type { Client, RequestOptions } from '@a2a-js/sdk/client';
import type { ActionAnswer, TaskContext, TaskHandler } from '../../engine/types';
import { createMessage, dataPart, textPart } from '../parts';
import { createRemoteClient, type RemoteAgentOptions, type RemoteClient } from './remote-client';
import { classifyFailure, remoteFailure } from './remote-failure';
import { type A2AAgentResult, type RemoteOutcome, RemoteTaskTracker } from './remote-task';

/** Reconnect policy after a dropped stream or a failed call (full jitter between the bounds). */
export interface ReconnectOptions {
  /**
   * How many times in a row a failed call (or a stream that ended early) is retried before the task
   * fails with `A2A_AGENT_UNREACHABLE`; any answer from the agent resets the count. Default 10.
   */
  attempts?: number;
  /** First backoff, ms. Default 250. */
  baseMs?: number;
  /** Backoff cap, ms. Default 5000. */
  maxMs?: number;
}

/** Options of {@link a2aAgentHandler}. */
export interface A2AAgentHandlerOptions extends RemoteAgentOptions {
  /**
   * The parts of the first message, from the task. Default: a text part with `input.text` when it is a
   * string, and a data part with the whole `input` when there is anything else (or no text).
   */
  message?: (context: TaskContext) => Part[];
  /**
   * The parts answering an INPUT_REQUIRED / AUTH_REQUIRED turn. Default: a text part (`payload.text`
   * when it is a string, else the action type) and a data part `{actionType, payload}` — which is what
   * a TaskBridge agent behind the A2A bridge reads.
   */
  answer?: (answer: ActionAnswer) => Part[];
  /** Default: see {@link ReconnectOptions}. */
  reconnect?: ReconnectOptions;
  /** How long cancelling the remote task may take after the TaskBridge task was cancelled, ms. Default 5000. */
  cancelTimeoutMs?: number;
}

/** The default first message: `input.text` as text, the rest of `input` as data. */
export function defaultMessageParts(context: TaskContext): Part[] {
  const { text, ...rest } = context.input;
  const parts: Part[] = [];
  if (typeof text === 'string') parts.push(textPart(text));
  if (typeof text !== 'string' || Object.keys(rest).length > 0) parts.push(dataPart(context.input));
  return parts;
}

/** The default answer: readable text plus `{actionType, payload}`. */
export function defaultAnswerParts(answer: ActionAnswer): Part[] {
  const text = typeof answer.payload.text === 'string' ? answer.payload.text : answer.actionType;
  return [textPart(text), dataPart({ actionType: answer.actionType, payload: answer.payload })];
}

/** Backoff before retry `attempt` (1-based): full jitter up to `min(maxMs, baseMs · 2^(attempt−1))`. */
export function reconnectDelayMs(
  attempt: number,
  options: ReconnectOptions = {},
  random: () => number = Math.random,
): number {
  const base = options.baseMs ?? 250;
  const max = options.maxMs ?? 5000;
  return Math.round(random() * Math.min(max, base * 2 ** Math.max(0, attempt - 1)));
}

type Step = { kind: 'send'; message: Message; answer: boolean } | { kind: 'subscribe' };

/** One remote task, followed for one TaskBridge task. */
class RemoteRun {
  readonly #context: TaskContext;
  readonly #options: A2AAgentHandlerOptions;
  readonly #tracker: RemoteTaskTracker;
  #remote: RemoteClient | undefined;
  #failures = 0;

  constructor(context: TaskContext, options: A2AAgentHandlerOptions) {
    this.#context = context;
    this.#options = options;
    this.#tracker = new RemoteTaskTracker({
      message: (text) => context.message(text),
      progress: (progress, details) => context.progress(progress, details),
    });
  }

  async run(): Promise<A2AAgentResult> {
    const context = this.#context;
    const onAbort = () => void this.#cancelRemote();
    context.signal.addEventListener('abort', onAbort, { once: true });
    try {
      let step: Step = {
        kind: 'send',
        answer: false,
        // The TaskBridge task id: an agent that deduplicates by message id (a TaskBridge one does)
        // starts one remote task however often the first message is resent.
        message: createMessage({
          messageId: context.taskId,
          role: 'user',
          parts: (this.#options.message ?? defaultMessageParts)(context),
          metadata: { taskbridgeTaskId: context.taskId, taskType: context.taskType },
        }),
      };
      for (;;) {
        const next = await this.#attempt(step);
        if (next.kind === 'done') return next.result;
        step = next.step;
      }
    } finally {
      context.signal.removeEventListener('abort', onAbort);
    }
  }

  /** One call (send or subscribe) and the stream it returns; says what to do next. */
  async #attempt(
    step: Step,
  ): Promise<{ kind: 'done'; result: A2AAgentResult } | { kind: 'next'; step: Step }> {
    let received = false;
    let outcome: RemoteOutcome | undefined;
    let remote: RemoteClient | undefined;
    try {
      remote = await this.#client();
      for await (const response of this.#open(remote.client, step)) {
        received = true;
        this.#failures = 0;
        outcome = await this.#tracker.apply(response);
        if (outcome.kind !== 'running') break;
      }
    } catch (error) {
      this.#context.signal.throwIfAborted();
      const verdict = classifyFailure(error, remote?.lastStatus(), step.kind === 'subscribe');
      if (verdict.kind === 'fail') throw verdict.error;
      if (verdict.kind === 'retry') return this.#retry(step, received, verdict.reason);
      // Resubscribing found the task finished: its final state is in GetTask.
      try {
        outcome = await this.#tracker.applyTask(await this.#getTask());
      } catch (getError) {
        this.#context.signal.throwIfAborted();
        const again = classifyFailure(getError, remote?.lastStatus(), false);
        if (again.kind === 'fail') throw again.error;
        return this.#retry(
          { kind: 'subscribe' },
          false,
          again.kind === 'retry' ? again.reason : 'GetTask failed',
        );
      }
    }
    this.#context.signal.throwIfAborted();
    if (outcome === undefined || outcome.kind === 'running') {
      return this.#retry(step, received, 'the stream ended before the task did');
    }
    // Outside the try: a failure of the remote task is the task's failure, not a reason to retry.
    return this.#settle(outcome);
  }

  #open(client: Client, step: Step): AsyncGenerator<StreamResponse, void, undefined> {
    const options: RequestOptions = { signal: this.#context.signal };
    if (step.kind === 'send')
      return client.sendMessageStream(
        { tenant: '', message: step.message, configuration: undefined, metadata: undefined },
        options,
      );
    return client.resubscribeTask({ tenant: '', id: this.#tracker.taskId ?? '' }, options);
  }

  /** Ends the run (result or typed failure), or asks the question and makes the answer the next step. */
  async #settle(
    outcome: Exclude<RemoteOutcome, { kind: 'running' }>,
  ): Promise<{ kind: 'done'; result: A2AAgentResult } | { kind: 'next'; step: Step }> {
    if (outcome.kind === 'completed') return { kind: 'done', result: outcome.result };
    if (outcome.kind === 'failed') throw outcome.error;
    const answer = await this.#context.suspend(outcome.question.suspend);
    return {
      kind: 'next',
      step: {
        kind: 'send',
        answer: true,
        message: createMessage({
          // The TaskBridge clientActionId: a TaskBridge agent deduplicates a resent answer.
          messageId: answer.clientActionId,
          role: 'user',
          taskId: this.#tracker.taskId ?? '',
          contextId: this.#tracker.contextId,
          parts: (this.#options.answer ?? defaultAnswerParts)(answer),
        }),
      },
    };
  }

  /** After a failure: back off, then resend or resubscribe. */
  async #retry(step: Step, received: boolean, reason: string): Promise<{ kind: 'next'; step: Step }> {
    this.#failures += 1;
    const attempts = this.#options.reconnect?.attempts ?? 10;
    if (this.#failures > attempts) {
      throw remoteFailure(
        'A2A_AGENT_UNREACHABLE',
        `the agent stayed unreachable after ${attempts} attempts (${reason})`,
        true,
      );
    }
    await this.#context.sleep(reconnectDelayMs(this.#failures, this.#options.reconnect));
    // Nothing known about a remote task yet: the first message must go again.
    if (this.#tracker.taskId === undefined) return { kind: 'next', step };
    // The message reached the agent (it answered), or it was the first one and the task exists.
    if (step.kind === 'subscribe' || received || !step.answer)
      return { kind: 'next', step: { kind: 'subscribe' } };
    // An answer that may or may not have arrived: resend it only while the agent still waits for one
    // (an agent without idempotent message ids would run a resent answer twice).
    let stillAsking: boolean;
    try {
      stillAsking = this.#tracker.stillAsking(await this.#getTask());
    } catch (error) {
      this.#context.signal.throwIfAborted();
      const verdict = classifyFailure(error, this.#remote?.lastStatus(), false);
      if (verdict.kind === 'fail') throw verdict.error;
      return this.#retry(step, received, 'GetTask failed');
    }
    return { kind: 'next', step: stillAsking ? step : { kind: 'subscribe' } };
  }

  async #getTask() {
    const remote = await this.#client();
    return remote.client.getTask(
      { tenant: '', id: this.#tracker.taskId ?? '' },
      { signal: this.#context.signal },
    );
  }

  async #client(): Promise<RemoteClient> {
    this.#remote ??= await createRemoteClient(this.#options, this.#context);
    return this.#remote;
  }

  // Best effort: the TaskBridge task is already cancelled; the remote one should stop too.
  async #cancelRemote(): Promise<void> {
    const taskId = this.#tracker.taskId;
    if (taskId === undefined) return;
    try {
      const remote = await this.#client();
      await remote.client.cancelTask(
        { tenant: '', id: taskId, metadata: undefined },
        { signal: AbortSignal.timeout(this.#options.cancelTimeoutMs ?? 5000) },
      );
    } catch {
      // Already finished, unreachable or not cancelable: nothing more to do.
    }
  }
}

/**
 * A task handler that runs a remote A2A agent (see the module comment). Its result is an
 * {@link A2AAgentResult}; its failures carry the `A2A_*` codes of `A2AFailureCode`.
 *
 * @example
 * const server = createReferenceServer({
 *   handlers: { ...demoHandlers, research: a2aAgentHandler({ url: 'https://agent.example.com' }) },
 * });
 */
export function a2aAgentHandler(options: A2AAgentHandlerOptions): TaskHandler {
  return (context) => new RemoteRun(context, options).run();
}
