/**
 * A subscriber's share of the server (hazard H3, protocol/SPEC.md §13): a session that waits for its
 * reader to drain waits at most so long, then gives the reader up; and a session whose reader takes
 * everything at once (a fast reader catching up on a long history) still hands the event loop back
 * regularly, so the other subscribers, the task and the budget timers are not starved.
 */

/**
 * Characters a session writes before it yields to the event loop (256 Ki: one turn of the loop
 * carries at most that much per subscriber).
 */
export const YIELD_EVERY_CHARS = 64 * 1024;

const nextTurn: (callback: () => void) => void =
  typeof globalThis.setImmediate === 'function'
    ? (callback) => globalThis.setImmediate(callback)
    : (callback) => globalThis.setTimeout(callback, 0);

/** Resolves in a later turn of the event loop (after pending I/O and timers). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => nextTurn(resolve));
}

/** The time half of one subscriber's budget: see {@link createDrainBudget}. */
export interface DrainBudget {
  /**
   * Waits for `drained` at most the budget's `timeoutMs` (`Infinity`: no limit).
   *
   * @returns `true` when it drained in time, `false` when the deadline passed first.
   */
  wait(drained: Promise<void>): Promise<boolean>;
  /** Stops the timer (the session ended). Idempotent. */
  dispose(): void;
}

/**
 * One subscriber's drain deadline. A reader behind on a fast stream makes its session wait for
 * almost every frame; one timer per session, re-armed only when it fires during a wait, replaces a
 * timer per wait (100,000 `setTimeout`s a second cost a fast WebSocket stream half its throughput).
 * Waits of one session are sequential.
 */
export function createDrainBudget(timeoutMs: number): DrainBudget {
  if (!Number.isFinite(timeoutMs)) {
    return { wait: (drained) => drained.then(() => true), dispose: () => undefined };
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  // The wait in progress: when it began, and how to end it as expired.
  let since: number | undefined;
  let expire: (() => void) | undefined;
  const check = () => {
    timer = undefined;
    if (since === undefined) return;
    const waited = Date.now() - since;
    if (waited >= timeoutMs) {
      since = undefined;
      expire?.();
      return;
    }
    timer = setTimeout(check, timeoutMs - waited);
  };
  return {
    wait(drained) {
      const started = Date.now();
      since = started;
      return new Promise<boolean>((resolve) => {
        expire = () => resolve(false);
        timer ??= setTimeout(check, timeoutMs);
        void drained.then(() => {
          if (since !== started) return;
          since = undefined;
          resolve(true);
        });
      });
    },
    dispose() {
      clearTimeout(timer);
      timer = undefined;
      since = undefined;
    },
  };
}
