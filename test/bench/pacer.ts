/**
 * A shared clock and a paced producer, so the raw servers and our server generate latency events the
 * same way.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A timestamp in ms (sub-µs precision) that processes on one machine can compare: the system's monotonic
 * clock (`process.hrtime`, CLOCK_MONOTONIC on Linux, one clock for every process). Not
 * `performance.timeOrigin + performance.now()`: each process fixes its `timeOrigin` from the wall clock
 * at start-up, and the error of that reading (measured here: up to ≈ 4 ms) differs from process to
 * process, so a stamp from a server compared with a client's clock carried that process's error into
 * every latency, and the raw baseline and our server each carried their own.
 */
export function sharedClockMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
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
