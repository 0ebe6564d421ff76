/**
 * The deadlines of one task stream (protocol/SPEC.md §10), read from the resolved config for the
 * transport they apply to, and the `TIMEOUT` error a missed one becomes. Pure: the machine's named
 * delays call these.
 */
import type { TaskBridgeError, TransportName } from '@taskbridge/protocol';
import { timeoutError } from '../errors';
import { activeTransportName, type TaskStreamContext, transportAt } from './context';

/** The deadlines of one connection. */
export type Deadline = 'open' | 'firstFrame' | 'liveness';

/** How long `transport` may take to deliver what `deadline` waits for, ms. */
export function deadlineMs(context: TaskStreamContext, deadline: Deadline, transport: TransportName): number {
  const { config } = context;
  switch (deadline) {
    case 'open':
      return config.openTimeoutMs[transport];
    case 'firstFrame':
      return config.firstFrameTimeoutMs;
    case 'liveness':
      return config.livenessTimeoutMs[transport];
  }
}

/** The active transport's `deadline`, ms. */
export function activeDeadlineMs(context: TaskStreamContext, deadline: Deadline): number {
  return deadlineMs(context, deadline, activeTransportName(context));
}

/**
 * How long a climb-back probe may take to confirm (open + first frame of the probed transport), ms.
 * Reads `probeIndex` when a probe runs; before one starts, the rung the next probe will try.
 */
export function probeTimeoutMs(context: TaskStreamContext): number {
  const index = context.runs.probeIndex ?? nextProbeIndex(context);
  const name = transportAt(context, index).name;
  return deadlineMs(context, 'open', name) + deadlineMs(context, 'firstFrame', name);
}

/**
 * The rung the next climb-back probe tries: the best one first; each failed probe tries the next one
 * down (still above the active one), then wraps.
 */
export function nextProbeIndex(context: TaskStreamContext): number {
  return context.probeFailures % context.index;
}

/** What is left of the current backoff, ms. */
export function retryDelayMs(context: TaskStreamContext): number {
  return Math.max(0, (context.nextRetryAt ?? 0) - context.env.now());
}

/** The wait before the next climb-back probe, ms: `probeDelayMs`, doubled per failed probe, capped. */
export function probeDelayMs(context: TaskStreamContext): number {
  const { config } = context;
  return Math.min(config.probeMaxDelayMs, config.probeDelayMs * 2 ** context.probeFailures);
}

/**
 * The error a missed deadline of the active transport becomes: `TIMEOUT` (retryable) with
 * `details = { deadline, transport, timeoutMs }`.
 */
export function deadlineError(context: TaskStreamContext, deadline: Deadline): TaskBridgeError {
  const transport = activeTransportName(context);
  return timeoutError({ deadline, transport, timeoutMs: deadlineMs(context, deadline, transport) });
}
