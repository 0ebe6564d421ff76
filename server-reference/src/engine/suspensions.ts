/**
 * Open and resolved suspensions of one task (protocol/SPEC.md §3 `TASK_SUSPENDED`, §7 actions).
 */
import type { ClientActionRequest, ClientActionStatus } from '@taskbridge/protocol';
import { TaskBridgeError } from '@taskbridge/protocol';
import { stableStringify } from './idempotency';
import type { ActionAnswer } from './types';

interface Suspension {
  suspendId: string;
  allowedActions: readonly string[];
  /** ms since epoch, or null. */
  expiresAt: number | null;
  state: 'open' | 'resolved' | 'expired';
  resolve: (answer: ActionAnswer) => void;
  reject: (error: unknown) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** The decision on an action request, before any event is written. */
export type ActionDecision =
  | { status: Exclude<ClientActionStatus, 'ACCEPTED'> }
  | { status: 'ACCEPTED'; accept: () => { answer: ActionAnswer; resume: () => void } };

/** Per-task registry of suspensions and the actions answered so far. */
export class SuspensionRegistry {
  readonly #suspensions = new Map<string, Suspension>();
  readonly #actions = new Map<string, string>();
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  /** Registers a suspension; the promise settles when an action is accepted, it expires, or it is aborted. */
  open(
    suspendId: string,
    allowedActions: readonly string[],
    expiresInMs: number | undefined,
  ): Promise<ActionAnswer> {
    return new Promise<ActionAnswer>((resolve, reject) => {
      const expiresAt = expiresInMs === undefined ? null : this.#now() + expiresInMs;
      const suspension: Suspension = {
        suspendId,
        allowedActions,
        expiresAt,
        state: 'open',
        resolve,
        reject,
        timer: undefined,
      };
      if (expiresInMs !== undefined) {
        suspension.timer = setTimeout(() => {
          if (suspension.state !== 'open') return;
          suspension.state = 'expired';
          reject(
            new TaskBridgeError({
              code: 'SUSPENSION_EXPIRED',
              message: `suspension ${suspendId} expired`,
              retryable: false,
              details: { suspendId },
            }),
          );
        }, expiresInMs);
        (suspension.timer as { unref?: () => void }).unref?.();
      }
      this.#suspensions.set(suspendId, suspension);
    });
  }

  /**
   * Decides an action (protocol/SPEC.md §7): DEDUPLICATED for an identical repeat, 409 for a conflicting
   * repeat or a type outside `allowedActions`, 404 for an unknown suspension, REJECTED_* for resolved,
   * expired or terminal; otherwise ACCEPTED with an `accept()` that marks the suspension resolved at
   * once (so a concurrent repeat is deduplicated) and returns `resume()`, which wakes the handler.
   *
   * @throws {TaskBridgeError} `IDEMPOTENCY_CONFLICT` (409) or `TASK_NOT_FOUND` (404).
   */
  decide(request: ClientActionRequest, subject: string, taskTerminal: boolean): ActionDecision {
    const fingerprint = stableStringify([request.suspendId, request.actionType, request.payload ?? {}]);
    const previous = this.#actions.get(request.clientActionId);
    if (previous !== undefined) {
      if (previous === fingerprint) return { status: 'DEDUPLICATED' };
      throw new TaskBridgeError({
        code: 'IDEMPOTENCY_CONFLICT',
        message: `clientActionId ${request.clientActionId} was already used with a different action`,
      });
    }
    const suspension = this.#suspensions.get(request.suspendId);
    if (!suspension) {
      throw new TaskBridgeError({
        code: 'TASK_NOT_FOUND',
        message: `suspension ${request.suspendId} not found`,
        details: { suspendId: request.suspendId },
      });
    }
    // Expiry first: an expired suspension fails the task, and a late answer should learn why.
    const expired =
      suspension.state === 'expired' ||
      (suspension.state === 'open' && suspension.expiresAt !== null && this.#now() >= suspension.expiresAt);
    if (expired) return { status: 'REJECTED_EXPIRED' };
    if (taskTerminal || suspension.state === 'resolved') return { status: 'REJECTED_ALREADY_RESOLVED' };
    if (!suspension.allowedActions.includes(request.actionType)) {
      throw new TaskBridgeError({
        code: 'IDEMPOTENCY_CONFLICT',
        message: `actionType ${request.actionType} is not allowed; expected one of ${suspension.allowedActions.join(', ')}`,
        details: { allowedActions: [...suspension.allowedActions] },
      });
    }
    return {
      status: 'ACCEPTED',
      accept: () => {
        suspension.state = 'resolved';
        if (suspension.timer) clearTimeout(suspension.timer);
        this.#actions.set(request.clientActionId, fingerprint);
        const answer: ActionAnswer = {
          suspendId: request.suspendId,
          clientActionId: request.clientActionId,
          actionType: request.actionType,
          payload: request.payload ?? {},
          subject,
        };
        return { answer, resume: () => suspension.resolve(answer) };
      },
    };
  }

  /** Rejects every open suspension (task cancelled or engine shut down). */
  abortAll(reason: unknown): void {
    for (const suspension of this.#suspensions.values()) {
      if (suspension.state !== 'open') continue;
      suspension.state = 'resolved';
      if (suspension.timer) clearTimeout(suspension.timer);
      suspension.reject(reason);
    }
  }
}
