/**
 * The suspension seam (protocol/SPEC.md §3 `TASK_SUSPENDED`, §7 actions): open suspensions, their
 * allowed actions and expiry, and the decided answers — durable, so an answer accepted by one process
 * reaches the handler running in another, even one that restarted.
 */
import type { ActionAnswer } from '../types';

/** A suspension as stored. */
export interface SuspensionRecord {
  suspendId: string;
  /** Action types accepted; anything else is a 409. */
  allowedActions: readonly string[];
  /** ms since epoch, or `null` = never expires. */
  expiresAt: number | null;
  /**
   * `open` (waiting), `answered` (an action was accepted; its answer is in `answer`) or `expired`
   * (nobody answered in time; the task fails).
   */
  state: 'open' | 'answered' | 'expired';
  /** The accepted answer once `state` is `answered`. */
  answer: ActionAnswer | null;
  /** True once the runner took the answer with {@link SuspensionStore.takeAnswer}. */
  delivered: boolean;
}

/** An action to decide on (protocol/SPEC.md §7), with the answer to store if it is accepted. */
export interface ActionRequestToDecide {
  suspendId: string;
  clientActionId: string;
  actionType: string;
  /** Identity of the action for deduplication (suspendId, actionType, payload). */
  fingerprint: string;
  /** Stored as the decided answer when the action is accepted. */
  answer: ActionAnswer;
}

/**
 * The decision on an action, taken atomically by the store. The first four are protocol/SPEC.md §7
 * statuses; the last three become errors: `CONFLICT` and `NOT_ALLOWED` a 409
 * `IDEMPOTENCY_CONFLICT`, `NOT_FOUND` a 404 `TASK_NOT_FOUND`.
 */
export type ActionDecision =
  | { status: 'ACCEPTED'; answer: ActionAnswer }
  | { status: 'DEDUPLICATED' }
  | { status: 'REJECTED_ALREADY_RESOLVED' }
  | { status: 'REJECTED_EXPIRED' }
  /** The `clientActionId` was already used for a different action. */
  | { status: 'CONFLICT' }
  /** `actionType` is not one of the suspension's `allowedActions`. */
  | { status: 'NOT_ALLOWED'; allowedActions: readonly string[] }
  /** No such suspension on this task. */
  | { status: 'NOT_FOUND' };

/**
 * Suspensions per task. Kept until the task is evicted; answers stay until the runner took them.
 */
export interface SuspensionStore {
  /**
   * Registers an open suspension (before its `TASK_SUSPENDED` event is appended), once: a `suspendId`
   * already registered (a re-run of the task on another worker suspending again at the same point)
   * is left as it is.
   *
   * @returns `null` when it was registered now, else the suspension as stored (its answer included).
   */
  open(
    taskId: string,
    suspension: Pick<SuspensionRecord, 'suspendId' | 'allowedActions' | 'expiresAt'>,
  ): Promise<SuspensionRecord | null>;
  /**
   * Decides an action atomically (one decision per `clientActionId`, one accepted answer per
   * suspension, across processes), in this order: a known `clientActionId` → `DEDUPLICATED` (same
   * fingerprint) or `CONFLICT`; unknown suspension → `NOT_FOUND`; expired (state `expired`, or open,
   * past `expiresAt` at `now` and the task not terminal) → `REJECTED_EXPIRED`; task terminal or
   * suspension answered → `REJECTED_ALREADY_RESOLVED`; type not allowed → `NOT_ALLOWED`; else the
   * suspension becomes `answered` with `request.answer` and the result is `ACCEPTED`.
   *
   * @param now - ms since epoch, for the expiry check.
   * @param taskTerminal - the task already has its terminal event.
   */
  decide(
    taskId: string,
    request: ActionRequestToDecide,
    now: number,
    taskTerminal: boolean,
  ): Promise<ActionDecision>;
  /**
   * The runner's expiry: an `open` suspension becomes `expired`. Atomic with {@link decide}: when an
   * answer won the race, the suspension stays `answered`.
   *
   * @returns the suspension after the call, or `null` when unknown.
   */
  expire(taskId: string, suspendId: string): Promise<SuspensionRecord | null>;
  /**
   * The decided answer for the runner, once `answered` (marks it `delivered`); `null` while open,
   * expired or unknown. Repeatable: a runner that restarts reads it again.
   */
  takeAnswer(taskId: string, suspendId: string): Promise<ActionAnswer | null>;
}
