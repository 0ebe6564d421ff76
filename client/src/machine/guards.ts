/**
 * The named guards of the task stream machine (STYLE.md habit 3: fallback and climb-back are guards).
 * Each is a pure predicate over the context and the event; the decisions they share with the actions
 * (classification, fallback) live in `retry-plan.ts`.
 */
import { TaskBridgeError } from '@taskbridge/protocol';
import type { EventObject } from 'xstate';
import type { TaskStreamContext } from './context';
import { isFatal, isPolicyCloseBeforeAck, needsReachabilityCheck } from './retry-plan';

/** What a guard sees. */
interface GuardArgs {
  context: TaskStreamContext;
  event: EventObject;
}

function runIdOf(event: EventObject): string | undefined {
  return 'runId' in event && typeof event.runId === 'string' ? event.runId : undefined;
}

/** The guards, by the names the machine declaration uses. */
export const taskStreamGuards = {
  /** The event comes from the active run (a stopped run's late messages are ignored). */
  isActiveRun: ({ context, event }: GuardArgs) =>
    context.activeRunId !== null && runIdOf(event) === context.activeRunId,
  /** The event comes from the climb-back probe. */
  isProbeRun: ({ context, event }: GuardArgs) =>
    context.probeRunId !== null && runIdOf(event) === context.probeRunId,
  hasNoTransport: ({ context }: GuardArgs) => context.transports.length === 0,
  isOnline: ({ context }: GuardArgs) => context.online,
  isOffline: ({ context }: GuardArgs) => !context.online,
  pausesWhenHidden: ({ context }: GuardArgs) => context.config.pauseWhenHidden,
  isPausedByVisibility: ({ context }: GuardArgs) => context.config.pauseWhenHidden && context.hidden,
  /** Degraded and allowed to probe upward (never with `forceTransport`). */
  canClimb: ({ context }: GuardArgs) => context.config.forceTransport === null && context.index > 0,
  canRefreshCredentials: ({ context }: GuardArgs) =>
    context.refreshCredentials !== null && !context.credentialsRefreshed,
  isPolicyCloseBeforeAck: ({ context }: GuardArgs) => isPolicyCloseBeforeAck(context),
  /** SSE ended before its first frame often enough to ask whether the task exists (protocol/SPEC.md §5). */
  needsReachabilityCheck: ({ context }: GuardArgs) => needsReachabilityCheck(context),
  canConfirmReachable: ({ context }: GuardArgs) => context.confirmTaskReachable !== null,
  /** The running reachability check is about a WebSocket 1008 (else an SSE stream ending early). */
  isCheckingPolicyViolation: ({ context }: GuardArgs) => context.reachabilityCheck === 'policy-violation',
  isAuthError: ({ context }: GuardArgs) => context.error?.code === 'AUTHENTICATION_ERROR',
  isFatal: ({ context }: GuardArgs) => isFatal(context),
  retriesExhausted: ({ context }: GuardArgs) => context.attempt >= context.config.maxRetries,
  /** The reachability check answered with a fatal error (in the done event's `output`). */
  confirmedFatal: ({ event }: GuardArgs) => 'output' in event && event.output instanceof TaskBridgeError,
};
