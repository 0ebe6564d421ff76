/**
 * Deciding an action (protocol/SPEC.md §7): the suspension store decides atomically; this file builds
 * the request it decides on and turns the non-status decisions into errors.
 */
import { type ClientActionRequest, TaskBridgeError } from '@taskbridge/protocol';
import { actionFingerprint } from './fingerprint';
import type { TaskBridgeBackend } from './state/backend';
import type { ActionDecision } from './state/suspension-store';

/**
 * Asks the suspension store to decide `request`, telling it whether the task already has its terminal
 * event (then an open suspension is `REJECTED_ALREADY_RESOLVED`).
 */
export async function decideAction(
  backend: Pick<TaskBridgeBackend, 'events' | 'suspensions'>,
  taskId: string,
  request: ClientActionRequest,
  subject: string,
  now: number,
): Promise<ActionDecision> {
  const head = await backend.events.head(taskId);
  return backend.suspensions.decide(
    taskId,
    {
      suspendId: request.suspendId,
      clientActionId: request.clientActionId,
      actionType: request.actionType,
      fingerprint: actionFingerprint(request.suspendId, request.actionType, request.payload),
      answer: {
        suspendId: request.suspendId,
        clientActionId: request.clientActionId,
        actionType: request.actionType,
        payload: request.payload ?? {},
        subject,
      },
    },
    now,
    head.terminal !== null,
  );
}

/** The error of a decision that is not a protocol/SPEC.md §7 status: 409 or 404. */
export function actionError(
  decision: Extract<ActionDecision, { status: 'CONFLICT' | 'NOT_ALLOWED' | 'NOT_FOUND' }>,
  request: ClientActionRequest,
): TaskBridgeError {
  switch (decision.status) {
    case 'CONFLICT':
      return new TaskBridgeError({
        code: 'IDEMPOTENCY_CONFLICT',
        message: `clientActionId ${request.clientActionId} was already used with a different action`,
      });
    case 'NOT_ALLOWED':
      return new TaskBridgeError({
        code: 'IDEMPOTENCY_CONFLICT',
        message: `actionType ${request.actionType} is not allowed; expected one of ${decision.allowedActions.join(', ')}`,
        details: { allowedActions: [...decision.allowedActions] },
      });
    case 'NOT_FOUND':
      return new TaskBridgeError({
        code: 'TASK_NOT_FOUND',
        message: `suspension ${request.suspendId} not found`,
        details: { suspendId: request.suspendId },
      });
  }
}
