/**
 * What a TaskBridge task has taken from one remote A2A task so far. A2A stream events carry no ids, and
 * a dropped stream is resumed with SubscribeToTask, which starts with a `Task` snapshot holding every
 * artifact part so far: counting the parts already emitted per artifact lets the snapshot give back
 * only the missing ones, so each chunk becomes one `TASK_MESSAGE`, once, in order. Events from a
 * TaskBridge agent also carry `metadata.taskbridgeEventId`, which drops exact repeats.
 */
import {
  type Artifact,
  type Message,
  type StreamResponse,
  type Task,
  TaskState,
  type TaskStatus,
} from '@a2a-js/sdk';
import { compareEventIds, type JsonObject, parseEventId, type SuspensionKind } from '@taskbridge/protocol';
import type { SuspendOptions } from '../../engine/types';
import { EVENT_ID_KEY, RESULT_ARTIFACT_ID } from '../expose/task-view';
import { dataOf, isRecord, joinedText, textOf } from '../parts';
import { remoteFailure } from './remote-failure';
import type { TaskBridgeError } from '@taskbridge/protocol';

/** The result of a remote-agent task (its `TASK_COMPLETED` result). */
export interface A2AAgentResult {
  /** The remote task's id. */
  taskId: string;
  /** The remote context id. */
  contextId: string;
  /** Every text part the agent streamed, joined, in order (each was also a `TASK_MESSAGE`). */
  text: string;
  /** The data parts of the agent's artifacts, by artifact id. */
  data: Record<string, unknown[]>;
  /** The data of a `result` artifact (what a TaskBridge agent completes with), when there is one. */
  result?: unknown;
}

/** What the agent asked for: the suspension the TaskBridge task opens. */
export interface RemoteQuestion {
  /** Which A2A interruption it was. */
  state: 'input-required' | 'auth-required';
  /** The suspension to open (reason, allowed actions, the question as `interaction`). */
  suspend: SuspendOptions;
}

/** Where a remote task stands after a stream response. */
export type RemoteOutcome =
  | { kind: 'running' }
  | { kind: 'completed'; result: A2AAgentResult }
  | { kind: 'failed'; error: TaskBridgeError }
  | { kind: 'interrupted'; question: RemoteQuestion };

/** What the tracker writes to the TaskBridge task. */
export interface RemoteTaskSink {
  /** Appends a `TASK_MESSAGE` (one artifact text part). */
  message(text: string): Promise<void>;
  /** Appends a `TASK_PROGRESS`; `progress` is a percentage (the engine clamps it to 0–100). */
  progress(progress: number, details: { stage?: string; message?: string }): Promise<void>;
}

const SUSPENSION_KINDS: ReadonlySet<string> = new Set([
  'USER_ACTION_REQUIRED',
  'EXTERNAL_CONFIRMATION_PENDING',
  'SYSTEM_PAUSED',
]);

const strings = (value: unknown): string[] | undefined =>
  Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string')
    ? (value as string[])
    : undefined;

// A question is its status message (agents give each one an id), else the moment it was asked.
const questionKey = (status: TaskStatus): string =>
  `${status.state}:${status.message?.messageId ?? ''}:${status.message ? '' : (status.timestamp ?? '')}`;

/** The remote task as far as this TaskBridge task has followed it. */
export class RemoteTaskTracker {
  #taskId: string | undefined;
  #contextId = '';
  readonly #emitted = new Map<string, number>();
  readonly #data: Record<string, unknown[]> = {};
  #text = '';
  #lastEventId: string | null = null;
  #progress = 0;
  /** Identifies the last question asked, so the same question seen again is not asked twice. */
  #questionKey: string | undefined;
  readonly #sink: RemoteTaskSink;

  constructor(sink: RemoteTaskSink) {
    this.#sink = sink;
  }

  /** The remote task id, once the agent named it. */
  get taskId(): string | undefined {
    return this.#taskId;
  }

  /** The remote context id ('' until known). */
  get contextId(): string {
    return this.#contextId;
  }

  /** Folds one stream response in, emitting what it adds, and says where the task stands. */
  async apply(response: StreamResponse): Promise<RemoteOutcome> {
    const payload = response.payload;
    switch (payload?.$case) {
      case 'task':
        return this.applyTask(payload.value);
      case 'statusUpdate': {
        if (this.#repeated(payload.value.metadata)) return { kind: 'running' };
        this.#taskId ??= payload.value.taskId;
        return this.#status(payload.value.status, payload.value.metadata, true);
      }
      case 'artifactUpdate': {
        if (this.#repeated(payload.value.metadata)) return { kind: 'running' };
        this.#taskId ??= payload.value.taskId;
        if (payload.value.artifact) await this.#artifact(payload.value.artifact, !payload.value.append);
        return { kind: 'running' };
      }
      case 'message':
        // An agent may answer with a message and no task at all: that message is the whole answer.
        return this.#messageOnly(payload.value);
      default:
        return { kind: 'running' };
    }
  }

  /** Folds a task snapshot in (first stream response, SubscribeToTask, GetTask): only new parts are emitted. */
  async applyTask(task: Task): Promise<RemoteOutcome> {
    this.#taskId = task.id;
    this.#contextId = task.contextId;
    for (const artifact of task.artifacts) await this.#artifact(artifact, true);
    const cursor = task.metadata?.[EVENT_ID_KEY];
    if (typeof cursor === 'string' && parseEventId(cursor)) this.#lastEventId = cursor;
    return this.#status(task.status, undefined, false);
  }

  /** True when `task` still waits on the question last asked (an answer may not have arrived). */
  stillAsking(task: Task): boolean {
    const status = task.status;
    const state = status?.state;
    const waiting =
      state === TaskState.TASK_STATE_INPUT_REQUIRED || state === TaskState.TASK_STATE_AUTH_REQUIRED;
    return waiting && questionKey(status as TaskStatus) === this.#questionKey;
  }

  // Drops an event a TaskBridge agent already sent (its id is not newer than the last one seen).
  #repeated(metadata: Record<string, unknown> | undefined): boolean {
    const id = metadata?.[EVENT_ID_KEY];
    if (typeof id !== 'string' || !parseEventId(id)) return false;
    if (this.#lastEventId !== null && compareEventIds(id, this.#lastEventId) === -1) return true;
    this.#lastEventId = id;
    return false;
  }

  // `cumulative`: the artifact holds every part so far (snapshot, or a replace); else its parts are new.
  async #artifact(artifact: Artifact, cumulative: boolean): Promise<void> {
    const id = artifact.artifactId;
    const emitted = this.#emitted.get(id) ?? 0;
    const fresh = cumulative ? artifact.parts.slice(emitted) : artifact.parts;
    this.#emitted.set(id, cumulative ? Math.max(emitted, artifact.parts.length) : emitted + fresh.length);
    for (const part of fresh) {
      const text = textOf(part);
      if (text !== undefined) {
        this.#text += text;
        await this.#sink.message(text);
        continue;
      }
      const data = dataOf(part);
      if (data !== undefined) (this.#data[id] ??= []).push(data);
    }
  }

  async #status(
    status: TaskStatus | undefined,
    metadata: Record<string, unknown> | undefined,
    live: boolean,
  ): Promise<RemoteOutcome> {
    const state = status?.state;
    const text = status?.message ? joinedText(status.message.parts) : '';
    switch (state) {
      case TaskState.TASK_STATE_COMPLETED:
        return { kind: 'completed', result: this.#result() };
      case TaskState.TASK_STATE_FAILED: {
        const retryable = metadata?.retryable === true;
        return {
          kind: 'failed',
          error: remoteFailure('A2A_TASK_FAILED', text || 'the agent failed the task', retryable),
        };
      }
      case TaskState.TASK_STATE_REJECTED:
        return {
          kind: 'failed',
          error: remoteFailure('A2A_TASK_REJECTED', text || 'the agent rejected the task'),
        };
      case TaskState.TASK_STATE_CANCELED:
        return {
          kind: 'failed',
          error: remoteFailure('A2A_TASK_CANCELED', text || 'the remote task was cancelled'),
        };
      case TaskState.TASK_STATE_INPUT_REQUIRED:
      case TaskState.TASK_STATE_AUTH_REQUIRED: {
        // The turn after an answer starts with the task as it was when the answer arrived, still
        // showing the question just answered: that is not a new question.
        const key = questionKey(status as TaskStatus);
        if (key === this.#questionKey) return { kind: 'running' };
        this.#questionKey = key;
        return { kind: 'interrupted', question: this.#question(state, status?.message, text) };
      }
      case TaskState.TASK_STATE_WORKING:
        if (live) await this.#working(metadata, text);
        return { kind: 'running' };
      default:
        return { kind: 'running' };
    }
  }

  // WORKING → TASK_PROGRESS: the agent's own percentage when it sends one, else the last one.
  async #working(metadata: Record<string, unknown> | undefined, text: string): Promise<void> {
    if (typeof metadata?.progress === 'number' && Number.isFinite(metadata.progress))
      this.#progress = metadata.progress;
    const stage = typeof metadata?.stage === 'string' ? metadata.stage : 'working';
    const message = text || (typeof metadata?.message === 'string' ? metadata.message : '');
    await this.#sink.progress(this.#progress, message ? { stage, message } : { stage });
  }

  #question(state: TaskState, message: Message | undefined, text: string): RemoteQuestion {
    const auth = state === TaskState.TASK_STATE_AUTH_REQUIRED;
    const details = message?.parts.map(dataOf).find(isRecord);
    const interaction: JsonObject = {
      ...(isRecord(details?.interaction) ? details.interaction : {}),
      ...(text ? { question: text } : {}),
      remoteTaskId: this.#taskId ?? '',
    };
    const kind =
      typeof details?.kind === 'string' && SUSPENSION_KINDS.has(details.kind) ? details.kind : undefined;
    return {
      state: auth ? 'auth-required' : 'input-required',
      suspend: {
        reasonCode: auth
          ? 'a2a_auth_required'
          : typeof details?.reasonCode === 'string'
            ? details.reasonCode
            : 'a2a_input_required',
        allowedActions: strings(details?.allowedActions) ?? ['respond'],
        kind:
          (kind as SuspensionKind | undefined) ??
          (auth ? 'EXTERNAL_CONFIRMATION_PENDING' : 'USER_ACTION_REQUIRED'),
        interaction,
        ...(isRecord(details?.uiHints) ? { uiHints: details.uiHints } : {}),
      },
    };
  }

  async #messageOnly(message: Message): Promise<RemoteOutcome> {
    this.#contextId ||= message.contextId;
    for (const part of message.parts) {
      const text = textOf(part);
      if (text !== undefined) {
        this.#text += text;
        await this.#sink.message(text);
      } else if (dataOf(part) !== undefined) (this.#data.message ??= []).push(dataOf(part));
    }
    return { kind: 'completed', result: this.#result() };
  }

  #result(): A2AAgentResult {
    const result = this.#data[RESULT_ARTIFACT_ID];
    return {
      taskId: this.#taskId ?? '',
      contextId: this.#contextId,
      text: this.#text,
      data: { ...this.#data },
      ...(result && result.length === 1 ? { result: result[0] } : {}),
    };
  }
}
