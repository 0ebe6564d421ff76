/**
 * Timers for any delay. `setTimeout` keeps its delay in a signed 32-bit integer: a delay past
 * 2^31−1 ms (about 24.8 days) fires after 1 ms (Node warns `TimeoutOverflowWarning`) — a suspension
 * advertising an expiry 35 days away expired at once. Long delays are chained in steps the timer
 * accepts.
 */

/** The longest delay `setTimeout` honours, ms: 2^31−1 (about 24.8 days). */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/**
 * Calls `callback` after `delayMs` (any finite number ≥ 0; negative = at once), in unref'd steps of
 * at most {@link MAX_TIMER_DELAY_MS}, so a pending expiry never keeps a process alive.
 *
 * @returns the cancel function (idempotent).
 */
export function setLongTimeout(callback: () => void, delayMs: number): () => void {
  let left = Math.max(0, delayMs);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    const step = Math.min(left, MAX_TIMER_DELAY_MS);
    left -= step;
    timer = setTimeout(left > 0 ? arm : callback, step);
    (timer as { unref?: () => void }).unref?.();
  };
  arm();
  return () => clearTimeout(timer);
}
