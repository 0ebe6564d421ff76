/**
 * A suspended handler waiting for its answer (protocol/SPEC.md §7): woken by the control channel's
 * "answer arrived", it reads the decided answer from the suspension store (durable, so the answer
 * survives a missed message); the expiry timer asks the store to expire the suspension, which an
 * answer that won the race overrides; the run's abort rejects it.
 */
import { TaskBridgeError } from '@taskbridge/protocol';
import type { SuspensionStore } from '../state/suspension-store';
import type { ActionAnswer } from '../types';
import { abortError } from './abort-error';
import type { Execution } from './execution';
import { setLongTimeout } from './long-timeout';

/** A pending wait; `cancel()` drops it without settling (the suspension was never announced). */
export interface AnswerWait {
  /**
   * Resolves with the accepted answer; rejects with `TaskBridgeError` `SUSPENSION_EXPIRED`, an
   * `AbortError` when the run stops, or the store's error.
   */
  answer: Promise<ActionAnswer>;
  cancel(): void;
}

/** The error a suspension that nobody answered in time rejects with. */
export function suspensionExpired(suspendId: string): TaskBridgeError {
  return new TaskBridgeError({
    code: 'SUSPENSION_EXPIRED',
    message: `suspension ${suspendId} expired`,
    retryable: false,
    details: { suspendId },
  });
}

/**
 * Starts waiting for the answer to `suspendId`. Start it before the `TASK_SUSPENDED` event is
 * appended: a client may answer as soon as it sees the event.
 *
 * @param expiresInMs - the suspension's expiry, ms, any finite value (≤ 0: at once; long delays are
 *   chained); `undefined` = never.
 * @param options.announced - the suspension was announced by an earlier run (a re-run on another
 *   worker): its answer may already be stored, so the store is read once at the start too.
 */
export function waitForAnswer(
  execution: Execution,
  suspensions: SuspensionStore,
  suspendId: string,
  expiresInMs: number | undefined,
  options: { announced?: boolean } = {},
): AnswerWait {
  const { taskId, signal } = execution;
  let finished = false;
  let cancelTimer: () => void = () => undefined;
  let detach: () => void = () => undefined;
  const cleanUp = () => {
    finished = true;
    cancelTimer();
    detach();
    signal.removeEventListener('abort', onAbort);
  };
  let settle: { resolve(answer: ActionAnswer): void; reject(error: unknown): void } | undefined;
  const answer = new Promise<ActionAnswer>((resolve, reject) => {
    settle = { resolve, reject };
  });
  const succeed = (value: ActionAnswer) => {
    if (finished) return;
    cleanUp();
    settle?.resolve(value);
  };
  const fail = (error: unknown) => {
    if (finished) return;
    cleanUp();
    settle?.reject(error);
  };
  function onAbort() {
    fail(abortError());
  }
  const take = () => {
    suspensions.takeAnswer(taskId, suspendId).then((value) => value && succeed(value), fail);
  };
  const expire = () => {
    suspensions.expire(taskId, suspendId).then((record) => {
      // An answer accepted just before the timer fired wins the race.
      if (record?.state === 'answered') return take();
      fail(suspensionExpired(suspendId));
    }, fail);
  };

  detach = execution.onAnswer(suspendId, take);
  signal.addEventListener('abort', onAbort, { once: true });
  if (signal.aborted) onAbort();
  if (options.announced && !finished) take();
  if (expiresInMs !== undefined && !finished) {
    // Chained: a plain setTimeout of 3e9 ms fires after 1 ms (32-bit overflow).
    cancelTimer = setLongTimeout(expire, expiresInMs);
  }
  // Observed by the handler's await, or by nobody when cancelled: never an unhandled rejection.
  answer.catch(() => undefined);
  return { answer, cancel: cleanUp };
}
