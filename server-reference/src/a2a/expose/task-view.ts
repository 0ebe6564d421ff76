/**
 * The A2A view of one TaskBridge task: the mapping of TaskBridge events to A2A stream responses (the
 * table in protocol/SPEC.md §14) and the `Task` snapshot those responses build up. A snapshot is the
 * fold of exactly the responses a stream carries, so "snapshot, then the responses after its cursor"
 * is the whole task, each part once.
 */
import {
  type Artifact,
  type Message,
  type StreamResponse,
  type Task,
  TaskState,
  type TaskStatus,
} from '@a2a-js/sdk';
import type { JsonObject, TaskEvent, TaskSuspendedPayload } from '@taskbridge/protocol';
import type { TaskRecord } from '../../engine/types';
import { createArtifact, createMessage, dataPart, type JsonRecord, textPart } from '../parts';

/** Id of the artifact that collects `TASK_MESSAGE` text, one part per event, streamed with `append`. */
export const OUTPUT_ARTIFACT_ID = 'output';
/** Id of the artifact holding the `TASK_COMPLETED` result as a data part (sent once, `lastChunk`). */
export const RESULT_ARTIFACT_ID = 'result';
/** Metadata key carrying the TaskBridge `eventId` an A2A event (or a snapshot's cursor) stands for. */
export const EVENT_ID_KEY = 'taskbridgeEventId';
/** Task metadata key holding the A2A `contextId` of a task created through the bridge. */
export const CONTEXT_ID_KEY = 'a2aContextId';
/**
 * Suspension reason codes shown as A2A `AUTH_REQUIRED` instead of `INPUT_REQUIRED` (the consume side
 * suspends with the first one when a remote agent asks for credentials).
 */
export const AUTH_REASON_CODES: ReadonlySet<string> = new Set(['a2a_auth_required', 'auth_required']);

const TERMINAL_STATES: ReadonlySet<TaskState> = new Set([
  TaskState.TASK_STATE_COMPLETED,
  TaskState.TASK_STATE_FAILED,
  TaskState.TASK_STATE_CANCELED,
  TaskState.TASK_STATE_REJECTED,
]);
const INTERRUPTED_STATES: ReadonlySet<TaskState> = new Set([
  TaskState.TASK_STATE_INPUT_REQUIRED,
  TaskState.TASK_STATE_AUTH_REQUIRED,
]);

/** True for COMPLETED, FAILED, CANCELED and REJECTED. */
export const isTerminalState = (state: TaskState | undefined): boolean =>
  state !== undefined && TERMINAL_STATES.has(state);
/** True for INPUT_REQUIRED and AUTH_REQUIRED. */
export const isInterruptedState = (state: TaskState | undefined): boolean =>
  state !== undefined && INTERRUPTED_STATES.has(state);

/** The text an INPUT_REQUIRED status shows: the interaction's question, else the allowed answers. */
function promptOf(suspension: TaskSuspendedPayload): string {
  const question = suspension.interaction?.question;
  if (typeof question === 'string' && question !== '') return question;
  return `Answer with one of: ${suspension.allowedActions.join(', ')}`;
}

/** The folded A2A task of one TaskBridge task, updated event by event. */
export class A2ATaskView {
  readonly #task: Task;
  #cursor: string | null = null;
  #outputChunks = 0;
  #lastSuspension: TaskSuspendedPayload | null = null;
  #suspensionOpen = false;

  /** Starts from the task record: SUBMITTED, with the creating message in the history. */
  constructor(record: TaskRecord) {
    const contextId =
      typeof record.metadata[CONTEXT_ID_KEY] === 'string' ? record.metadata[CONTEXT_ID_KEY] : '';
    const context = contextId || record.taskId;
    this.#task = {
      id: record.taskId,
      contextId: context,
      status: {
        state: TaskState.TASK_STATE_SUBMITTED,
        message: undefined,
        timestamp: new Date(record.createdAt).toISOString(),
      },
      artifacts: [],
      history: [
        createMessage({
          messageId: record.clientRequestId,
          role: 'user',
          taskId: record.taskId,
          contextId: context,
          parts: [dataPart({ taskType: record.taskType, input: record.input })],
        }),
      ],
      metadata: { [EVENT_ID_KEY]: null, taskType: record.taskType },
    };
  }

  /** The TaskBridge `eventId` of the last event folded in; `null` before the first. */
  get cursor(): string | null {
    return this.#cursor;
  }

  /** The A2A context id: the one the creating message gave (or got), else the task id. */
  get contextId(): string {
    return this.#task.contextId;
  }

  /** The current A2A state. */
  get state(): TaskState {
    return (this.#task.status as TaskStatus).state;
  }

  /** True once a terminal event was folded in. */
  get terminal(): boolean {
    return isTerminalState(this.state);
  }

  /** True while a suspension waits for its answer (INPUT_REQUIRED / AUTH_REQUIRED). */
  get interrupted(): boolean {
    return isInterruptedState(this.state);
  }

  /** The newest suspension, answered or not (an answer names it); `null` when there was none. */
  get lastSuspension(): TaskSuspendedPayload | null {
    return this.#lastSuspension;
  }

  /** True when {@link lastSuspension} still waits for its answer. */
  get suspensionOpen(): boolean {
    return this.#suspensionOpen;
  }

  /** A deep copy of the task as folded so far (the caller may change it freely). */
  snapshot(): Task {
    return structuredClone(this.#task);
  }

  /**
   * Folds one event in (events must come in `eventId` order, each once) and returns the A2A stream
   * responses that carry it, each with the event's id in its metadata (`taskbridgeEventId`).
   */
  apply(event: TaskEvent): StreamResponse[] {
    // Every task starts with TASK_STARTED: a fold that starts elsewhere lost its head to retention
    // (protocol/SPEC.md §11), and the snapshot says so rather than pass for the whole task.
    if (this.#cursor === null && event.type !== 'TASK_STARTED')
      (this.#task.metadata as JsonRecord).historyTrimmed = true;
    const responses = this.#map(event);
    for (const response of responses) this.#fold(response);
    this.#cursor = event.eventId;
    (this.#task.metadata as JsonRecord)[EVENT_ID_KEY] = event.eventId;
    return responses;
  }

  #map(event: TaskEvent): StreamResponse[] {
    const meta = { [EVENT_ID_KEY]: event.eventId };
    switch (event.type) {
      case 'TASK_STARTED':
        return [this.#status(TaskState.TASK_STATE_WORKING, event.createdAt, meta)];
      case 'TASK_PROGRESS': {
        const { progress, stage, message } = event.payload;
        return [
          this.#status(TaskState.TASK_STATE_WORKING, event.createdAt, {
            ...meta,
            progress,
            ...(stage === undefined ? {} : { stage }),
            ...(message === undefined ? {} : { message }),
          }),
        ];
      }
      case 'TASK_MESSAGE': {
        const append = this.#outputChunks > 0;
        this.#outputChunks += 1;
        const level = event.payload.level;
        return [
          this.#artifact(
            createArtifact(OUTPUT_ARTIFACT_ID, [textPart(event.payload.message)]),
            append,
            false,
            level === undefined ? meta : { ...meta, level },
          ),
        ];
      }
      case 'TASK_SUSPENDED': {
        const suspension = event.payload;
        this.#lastSuspension = suspension;
        this.#suspensionOpen = true;
        const state = AUTH_REASON_CODES.has(suspension.reasonCode)
          ? TaskState.TASK_STATE_AUTH_REQUIRED
          : TaskState.TASK_STATE_INPUT_REQUIRED;
        const details: JsonObject = {
          suspendId: suspension.suspendId,
          kind: suspension.kind,
          reasonCode: suspension.reasonCode,
          allowedActions: [...suspension.allowedActions],
          schemaVersion: suspension.schemaVersion,
          ...(suspension.expiresAt ? { expiresAt: suspension.expiresAt } : {}),
          ...(suspension.interaction === undefined ? {} : { interaction: suspension.interaction }),
          ...(suspension.uiHints === undefined ? {} : { uiHints: suspension.uiHints }),
        };
        const prompt = this.#agentMessage(event, [textPart(promptOf(suspension)), dataPart(details)]);
        return [this.#status(state, event.createdAt, meta, prompt)];
      }
      case 'TASK_ACTION_ACCEPTED': {
        const { suspendId, clientActionId, actionType } = event.payload;
        this.#suspensionOpen = false;
        this.#task.history.push(
          createMessage({
            messageId: clientActionId,
            role: 'user',
            taskId: this.#task.id,
            contextId: this.#task.contextId,
            parts: [dataPart({ actionType })],
          }),
        );
        return [
          this.#status(TaskState.TASK_STATE_WORKING, event.createdAt, {
            ...meta,
            suspendId,
            clientActionId,
            actionType,
          }),
        ];
      }
      case 'TASK_COMPLETED':
        return [
          this.#artifact(
            createArtifact(RESULT_ARTIFACT_ID, [dataPart(event.payload.result ?? null)]),
            false,
            true,
            meta,
          ),
          this.#status(TaskState.TASK_STATE_COMPLETED, event.createdAt, meta),
        ];
      case 'TASK_FAILED': {
        const { code, message, retryable } = event.payload;
        const text = this.#agentMessage(event, [textPart(`${code}: ${message}`)]);
        return [
          this.#status(TaskState.TASK_STATE_FAILED, event.createdAt, { ...meta, code, retryable }, text),
        ];
      }
      case 'TASK_CANCELLED': {
        const { reason, message } = event.payload;
        const text = this.#agentMessage(event, [textPart(message ?? reason)]);
        return [this.#status(TaskState.TASK_STATE_CANCELED, event.createdAt, { ...meta, reason }, text)];
      }
      default:
        // An event type this version does not know: nothing to show, but the cursor still moves.
        return [];
    }
  }

  #agentMessage(event: TaskEvent, parts: Message['parts']): Message {
    return createMessage({
      messageId: `${this.#task.id}:${event.eventId}`,
      role: 'agent',
      taskId: this.#task.id,
      contextId: this.#task.contextId,
      parts,
    });
  }

  #status(state: TaskState, timestamp: string, metadata: JsonRecord, message?: Message): StreamResponse {
    return {
      payload: {
        $case: 'statusUpdate',
        value: {
          taskId: this.#task.id,
          contextId: this.#task.contextId,
          status: { state, message, timestamp },
          metadata,
        },
      },
    };
  }

  #artifact(artifact: Artifact, append: boolean, lastChunk: boolean, metadata: JsonRecord): StreamResponse {
    return {
      payload: {
        $case: 'artifactUpdate',
        value: {
          taskId: this.#task.id,
          contextId: this.#task.contextId,
          artifact,
          append,
          lastChunk,
          metadata,
        },
      },
    };
  }

  // What an A2A client does with each response (the SDK's ResultManager does the same).
  #fold(response: StreamResponse): void {
    const payload = response.payload;
    if (payload?.$case === 'statusUpdate') {
      const status = payload.value.status as TaskStatus;
      this.#task.status = structuredClone(status);
      if (status.message) this.#task.history.push(structuredClone(status.message));
      // The task keeps what the latest updates said about it: progress, and a failure's code.
      const { progress, stage, code, retryable } = payload.value.metadata ?? {};
      const metadata = this.#task.metadata as JsonRecord;
      if (typeof progress === 'number') {
        metadata.progress = progress;
        if (typeof stage === 'string') metadata.stage = stage;
      }
      if (typeof code === 'string') Object.assign(metadata, { code, retryable });
    } else if (payload?.$case === 'artifactUpdate') {
      const artifact = payload.value.artifact as Artifact;
      const existing = this.#task.artifacts.find((a) => a.artifactId === artifact.artifactId);
      if (existing && payload.value.append) existing.parts.push(...structuredClone(artifact.parts));
      else if (existing) Object.assign(existing, structuredClone(artifact));
      else this.#task.artifacts.push(structuredClone(artifact));
    }
  }
}
