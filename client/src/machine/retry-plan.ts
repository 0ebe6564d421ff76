/**
 * How the machine reads a failure and what it does next (protocol/SPEC.md §8, §10): classification (fatal, a
 * connect-deadline miss, a WebSocket 1008 before the ack, an SSE stream that keeps ending before its
 * first frame), whether the failure gives up on the transport, and the wait before the next attempt.
 * Pure functions of the machine context; the machine's guards and actions call them.
 */
import { CloseCode, type TaskBridgeError, type TransportName } from '@taskbridge/protocol';
import { backoffDelay } from './backoff';
import { activeTransportName, type TaskStreamContext } from './context';

/**
 * SSE runs in a row that open and then end before their first frame before the machine asks whether
 * the task is reachable (protocol/SPEC.md §5 peer quirk). Two, not one: a single early close is as likely a
 * network blip as an unknown task, and the check costs an HTTP request.
 */
export const CLOSES_BEFORE_FIRST_FRAME_TO_CHECK = 2;

/** True for a `TIMEOUT` from the open or first-frame deadline: the transport is skipped at once. */
export function isConnectDeadlineMiss(error: TaskBridgeError | null): boolean {
  const deadline = error?.code === 'TIMEOUT' ? error.details.deadline : undefined;
  return deadline === 'open' || deadline === 'firstFrame';
}

/**
 * True for a WebSocket close `1008` (policy violation). The WebSocket transport reports a close as a
 * `TaskBridgeError` whose `details.closeCode` is the close code (protocol/SPEC.md §6).
 */
export function isPolicyViolationClose(error: TaskBridgeError | null): boolean {
  return error?.details.closeCode === CloseCode.POLICY_VIOLATION;
}

/**
 * True for a WebSocket 1008 before the ack. protocol/SPEC.md §6: before the ack it may be auth, not-found or a
 * bad request; after it, it is not ours to guess.
 */
export function isPolicyCloseBeforeAck(context: TaskStreamContext): boolean {
  return (
    isPolicyViolationClose(context.error) &&
    !context.activeConfirmed &&
    activeTransportName(context) === 'websocket'
  );
}

/**
 * The count of SSE runs in a row that opened and ended before their first frame, after the active run
 * ended with `context.error`: one more when this run did too (opened, no frame, `CONNECTION_CLOSED`),
 * else 0. protocol/SPEC.md §5: the peer answers an unknown task or a bad cursor with 200 + headers, then aborts
 * the body; our server answers 404/400 before the headers.
 */
export function closesBeforeFirstFrameAfterFailure(context: TaskStreamContext): number {
  const endedEarly =
    context.activeOpened &&
    !context.activeConfirmed &&
    context.error?.code === 'CONNECTION_CLOSED' &&
    activeTransportName(context) === 'sse';
  return endedEarly ? context.closedBeforeFirstFrame + 1 : 0;
}

/** True when SSE ended before its first frame often enough to ask whether the task is reachable. */
export function needsReachabilityCheck(context: TaskStreamContext): boolean {
  return context.closedBeforeFirstFrame >= CLOSES_BEFORE_FIRST_FRAME_TO_CHECK;
}

/** protocol/SPEC.md §8: 403/404/409/400/422 and anything else not retryable end the stream. */
export function isFatal(context: TaskStreamContext): boolean {
  return context.error === null || !context.error.retryable;
}

/** Whether the current failure gives up on the current transport (never on the floor). */
export function givesUpTransport(context: TaskStreamContext, forceSkip: boolean): boolean {
  if (context.index >= context.transports.length - 1) return false;
  return (
    forceSkip ||
    isConnectDeadlineMiss(context.error) ||
    context.consecutiveFailures + 1 >= context.config.maxConsecutiveFailuresPerTransport
  );
}

/** The transport the current failure gives up on (to remember as unhealthy), or `null`. */
export function givenUpTransport(context: TaskStreamContext, forceSkip: boolean): TransportName | null {
  return givesUpTransport(context, forceSkip) ? activeTransportName(context) : null;
}

function retryAfterFloor(error: TaskBridgeError | null): number {
  const retryAfterMs = error?.retryAfterMs;
  return retryAfterMs !== undefined && Number.isFinite(retryAfterMs) ? Math.max(0, retryAfterMs) : 0;
}

/**
 * The wait before the next attempt, ms (protocol/SPEC.md §10), never less than the server's `Retry-After`:
 * - 0 when the next attempt is on a different transport: a fresh transport deserves an immediate first
 *   attempt (the wait that led here was already spent on the old one, and the ladder is at most three
 *   rungs, so this adds at most two undelayed attempts per outage, each following a jittered one);
 * - 0 for the first retry after a connection that was live, with `immediateReconnect` (a drop of a
 *   working connection is most often the connection, not the server; the attempt counter resets only
 *   after `stableConnectionMs`, so a flapping server gets one immediate retry, then jitter);
 * - otherwise exponential backoff with full jitter over `attempt` ({@link backoffDelay}).
 */
export function retryDelayMs(context: TaskStreamContext, switchesTransport: boolean): number {
  const floor = retryAfterFloor(context.error);
  const firstRetryAfterLive =
    context.config.immediateReconnect && context.activeConfirmed && context.attempt === 0;
  if (switchesTransport || firstRetryAfterLive) return floor;
  return backoffDelay(context.attempt, context.config.backoff, context.random, context.error?.retryAfterMs);
}

/** The context changes of a retry: the next rung, the counters, and the backoff before it (protocol/SPEC.md §10). */
export function planRetry(
  context: TaskStreamContext,
  forceSkip: boolean,
): Pick<TaskStreamContext, 'index' | 'consecutiveFailures' | 'attempt' | 'retryDelayMs' | 'nextRetryAt'> {
  const skip = givesUpTransport(context, forceSkip);
  const delay = retryDelayMs(context, skip);
  return {
    index: skip ? context.index + 1 : context.index,
    consecutiveFailures: skip ? 0 : context.consecutiveFailures + 1,
    attempt: context.attempt + 1,
    retryDelayMs: delay,
    nextRetryAt: context.now() + delay,
  };
}
