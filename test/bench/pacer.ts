/**
 * A shared clock and a paced producer, so the raw servers and our server generate latency events the
 * same way.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Wall-clock time in ms with sub-ms precision. Processes on one machine read the same system clock, so
 * a timestamp taken in the server process can be compared with one taken in a client process.
 */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * Yields `1..count` at `ratePerSec` on average: wakes every ~1 ms and yields every event that is due,
 * so timer lateness is caught up instead of lowering the rate. Stops early when `signal` aborts.
 */
export async function* paced(
  count: number,
  ratePerSec: number,
  signal?: AbortSignal,
): AsyncGenerator<number> {
  const start = performance.now();
  const periodMs = 1000 / ratePerSec;
  let i = 1;
  while (i <= count && !signal?.aborted) {
    const due = Math.min(count, Math.floor((performance.now() - start) / periodMs) + 1);
    for (; i <= due; i++) yield i;
    if (i <= count) await sleep(1);
  }
}
