/**
 * The time half of a subscriber's budget (hazard H3, protocol/SPEC.md §13): a session that waits for
 * its reader to drain waits at most this long, then gives the reader up.
 */

/**
 * Waits for `drained` at most `timeoutMs` (`Infinity`: no limit).
 *
 * @returns `true` when it drained in time, `false` when the deadline passed first.
 */
export function drainedWithin(drained: Promise<void>, timeoutMs: number): Promise<boolean> {
  if (!Number.isFinite(timeoutMs)) return drained.then(() => true);
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    void drained.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
