/**
 * One A2A message turn on the engine: a message without a `taskId` starts a task (its `messageId` is
 * the idempotency key, `clientRequestId`); a message on a task waiting for input answers the
 * suspension (its `messageId` is the `clientActionId`). Both go through the wire operations, so they
 * are validated exactly as the HTTP routes validate them (protocol/SPEC.md §2, §7).
 */
import type { Message } from '@a2a-js/sdk';
import { RequestMalformedError, UnsupportedOperationError } from '@a2a-js/sdk/errors';
import type { TaskEngine } from '../../engine/task-engine';
import type { AuthContext } from '../../engine/types';
import { actionOp, createTaskOp } from '../../wire/operations';
import { dataOf, isRecord, type JsonRecord, joinedText } from '../parts';
import { toA2AError, terminalTaskError } from './errors';
import { foldTask } from './fold';
import { CONTEXT_ID_KEY } from './task-view';

/** How the bridge reads a message that starts a task. */
export interface TurnOptions {
  /** Task types an A2A message may start. */
  taskTypes: () => readonly string[];
  /**
   * Task type for a message that names none (plain text): its text becomes `input.text`. Default: none
   * (such a message is refused, pointing at the agent card's skills).
   */
  defaultTaskType?: string;
}

/** The first data part that is a JSON object, or `undefined`. */
function firstRecord(message: Message): JsonRecord | undefined {
  for (const part of message.parts) {
    const data = dataOf(part);
    if (isRecord(data)) return data;
  }
  return undefined;
}

/** `{taskType, input}` of a starting message (see {@link runTurn}). */
function startOf(message: Message, options: TurnOptions): { taskType: string; input: JsonRecord } {
  const data = firstRecord(message);
  const taskTypes = options.taskTypes();
  const named = typeof data?.taskType === 'string' ? data.taskType : undefined;
  const fromMetadata =
    typeof message.metadata?.taskType === 'string' ? (message.metadata.taskType as string) : undefined;
  const taskType = named ?? fromMetadata ?? options.defaultTaskType;
  if (taskType === undefined) {
    throw new RequestMalformedError(
      'name a task type: send a data part {"taskType": …, "input": {…}} (the agent card lists them as skills)',
    );
  }
  if (!taskTypes.includes(taskType)) {
    throw new RequestMalformedError(
      `unknown task type ${taskType.slice(0, 64)} (the agent card lists the skills)`,
    );
  }
  if (named !== undefined) {
    const input = data?.input ?? {};
    if (!isRecord(input)) throw new RequestMalformedError('input must be a JSON object');
    return { taskType, input };
  }
  return { taskType, input: { ...(data ?? {}), text: joinedText(message.parts) } };
}

/** `{actionType, payload}` of an answering message for a suspension allowing `allowed`. */
function answerOf(
  message: Message,
  allowed: readonly string[],
): { actionType: string; payload?: JsonRecord } {
  const data = firstRecord(message);
  const text = joinedText(message.parts).trim();
  const payload = isRecord(data?.payload) ? data.payload : text !== '' ? { text } : undefined;
  const withPayload = (actionType: string) =>
    payload === undefined ? { actionType } : { actionType, payload };
  if (typeof data?.actionType === 'string') return withPayload(data.actionType);
  const spoken = allowed.find((action) => action.toLowerCase() === text.toLowerCase());
  if (spoken !== undefined) return { actionType: spoken };
  if (allowed.length === 1) return withPayload(allowed[0] as string);
  throw new RequestMalformedError(
    `answer with a data part {"actionType": …, "payload": {…}} or the text of one of: ${allowed.join(', ')}`,
  );
}

/**
 * Runs the turn a message asks for and returns the task it concerns.
 *
 * - No `taskId`: starts a task. The task type comes from a data part `{taskType, input}`, else
 *   `message.metadata.taskType`, else {@link TurnOptions.defaultTaskType} (the text becomes
 *   `input.text`). A repeated `messageId` returns the same task (idempotent, protocol/SPEC.md §2).
 * - A `taskId`: answers the task's newest suspension with a data part `{actionType, payload?}`, the
 *   bare text of an allowed action (e.g. `approve`), or any text when only one action is allowed
 *   (`payload: {text}`). A repeated `messageId` is deduplicated (protocol/SPEC.md §7).
 *
 * @throws `RequestMalformedError` (bad message, unknown task type, action not allowed),
 *   `TaskNotFoundError`, `UnsupportedOperationError` (terminal task, not waiting for input, already
 *   answered, expired).
 */
export async function runTurn(
  engine: TaskEngine,
  auth: AuthContext,
  message: Message,
  options: TurnOptions,
): Promise<string> {
  if (!message.messageId) throw new RequestMalformedError('message.messageId is required');
  try {
    if (!message.taskId) {
      const { taskType, input } = startOf(message, options);
      const contextId = message.contextId || globalThis.crypto.randomUUID();
      const { body } = await createTaskOp(engine, auth, {
        clientRequestId: message.messageId,
        taskType,
        input,
        metadata: { [CONTEXT_ID_KEY]: contextId },
      });
      return body.taskId;
    }
    const taskId = message.taskId;
    const view = await foldTask(engine, auth, taskId);
    if (message.contextId && message.contextId !== view.contextId) {
      throw new RequestMalformedError(`contextId ${message.contextId} does not match task ${taskId}`);
    }
    const suspension = view.lastSuspension;
    if (suspension === null) {
      if (view.terminal) throw terminalTaskError(taskId, view.state, 'modified');
      throw new UnsupportedOperationError(`Task ${taskId} is not waiting for input`);
    }
    const { body } = await actionOp(engine, auth, taskId, {
      suspendId: suspension.suspendId,
      clientActionId: message.messageId,
      ...answerOf(message, suspension.allowedActions),
    });
    if (body.status === 'ACCEPTED' || body.status === 'DEDUPLICATED') return taskId;
    if (view.terminal) throw terminalTaskError(taskId, view.state, 'modified');
    throw new UnsupportedOperationError(
      body.status === 'REJECTED_EXPIRED'
        ? `the question of task ${taskId} expired`
        : `Task ${taskId} is not waiting for input (its question was already answered)`,
    );
  } catch (error) {
    throw toA2AError(error);
  }
}
