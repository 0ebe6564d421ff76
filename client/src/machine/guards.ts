/**
 * The named guards of the task stream machine: fallback, climb-back, credentials and reachability
 * decisions are guards, never branches inside actions. Each is a pure predicate over the context and
 * the event; the classification they share with the actions lives in `retry-plan.ts`.
 */
import { TaskBridgeError } from '@taskbridge/protocol';
import type { DoneActorEvent, EventObject } from 'xstate';
import type { Checkpoint } from '../checkpoint/checkpoint-store';
import type { TaskStreamContext } from './context';
import {
  CLOSES_BEFORE_FIRST_FRAME_TO_CHECK,
  givesUpTransport,
  isFatal,
  isGivenUp,
  isPolicyCloseBeforeAck,
  nothingSpeaksProtocol,
} from './retry-plan';

/** What a guard sees. */
interface GuardArgs {
  context: TaskStreamContext;
  event: EventObject;
}

function runIdOf(event: EventObject): string | undefined {
  return 'runId' in event && typeof event.runId === 'string' ? event.runId : undefined;
}

function outputOf(event: EventObject): unknown {
  return (event as Partial<DoneActorEvent>).output;
}

/** The guards, by the names the machine declaration uses. */
export const taskStreamGuards = {
  /** The event comes from the active run (a stopped run's late messages are ignored). */
  isActiveRun: ({ context, event }: GuardArgs) =>
    context.runs.active !== null && runIdOf(event) === context.runs.active.id,
  /** The event comes from the climb-back probe. */
  isProbeRun: ({ context, event }: GuardArgs) =>
    context.runs.probe !== null && runIdOf(event) === context.runs.probe.id,
  /** Other tabs may share the task (Web Locks and `BroadcastChannel`, not turned off). */
  sharesTabs: ({ context }: GuardArgs) => context.env.tabs !== null,
  /** The last observer is leaving. */
  isLastObserver: ({ context }: GuardArgs) => context.observers <= 1,
  /** The stored checkpoint already holds the terminal event: nothing to connect for. */
  isRestoredTerminal: ({ event }: GuardArgs) =>
    (outputOf(event) as Checkpoint | undefined)?.terminalEvent != null,
  /** The ladder is empty: the server offers nothing this environment (or `forceTransport`) can use. */
  hasNoTransport: ({ context }: GuardArgs) => context.transports.length === 0,
  startsOffline: ({ context }: GuardArgs) => !context.env.isOnline(),
  startsHidden: ({ context }: GuardArgs) => context.env.isHidden(),
  pausesWhenHidden: ({ context }: GuardArgs) => context.config.pauseWhenHidden,
  /** A stream that went live before did so on a better rung than this one. */
  isFirstLive: ({ context }: GuardArgs) => context.liveIndex === null,
  isBelowLastLive: ({ context }: GuardArgs) =>
    context.liveIndex !== null && context.index > context.liveIndex,
  /** Degraded and allowed to probe upward (never with `forceTransport`). */
  canClimb: ({ context }: GuardArgs) => context.config.forceTransport === null && context.index > 0,
  /** A 401, or a WebSocket 1008 before the ack (protocol/SPEC.md §6, §8). */
  isAuthRejection: ({ context }: GuardArgs) =>
    context.error?.code === 'AUTHENTICATION_ERROR' || isPolicyCloseBeforeAck(context),
  canRefreshCredentials: ({ context }: GuardArgs) =>
    context.env.refreshCredentials !== null && context.failures.authRefreshes === 0,
  /** A WebSocket 1008 before the ack that one poll can explain (auth? unknown task?). */
  canConfirmPolicyClose: ({ context }: GuardArgs) =>
    context.env.confirmTaskReachable !== null && isPolicyCloseBeforeAck(context),
  /** SSE ended before its first frame often enough to ask whether the task exists (protocol/SPEC.md §5). */
  needsReachabilityCheck: ({ context }: GuardArgs) =>
    context.env.confirmTaskReachable !== null &&
    context.failures.earlyEnds >= CLOSES_BEFORE_FIRST_FRAME_TO_CHECK,
  isFatal: ({ context }: GuardArgs) => isFatal(context),
  retriesExhausted: ({ context }: GuardArgs) => context.failures.attempt >= context.config.maxRetries,
  /** No live connection for `giveUpAfterMs`: the give-up policy ends the stream. */
  isGivenUp: ({ context }: GuardArgs) => isGivenUp(context),
  /** Every transport answered with something that is not the protocol (e.g. a login page). */
  nothingSpeaksProtocol: ({ context }: GuardArgs) => nothingSpeaksProtocol(context),
  /** The failure gives up on this transport for the next one down (the fallback). */
  givesUpTransport: ({ context }: GuardArgs) => givesUpTransport(context),
  /** There is a rung below the active one. */
  hasLowerRung: ({ context }: GuardArgs) => context.index < context.transports.length - 1,
  /** The reachability check answered with a fatal error (in the done event's `output`). */
  confirmedFatal: ({ event }: GuardArgs) => outputOf(event) instanceof TaskBridgeError,
};
