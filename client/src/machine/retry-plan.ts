/**
 * How the machine reads a failure and what it does next (protocol/SPEC.md §8, §10): classification
 * (fatal, a connect-deadline miss, a WebSocket 1008 before the ack, an SSE stream that keeps ending
 * before its first frame), whether the failure gives up on the transport, and the wait before the next
 * attempt. Pure functions of the machine context; the machine's guards and actions call them.
 */
import { CloseCode, type TaskBridgeError, type TransportName } from '@taskbridge/protocol';
import { isNotProtocol } from '../errors';
import { backoffDelay, retryAfterFloor } from './backoff';
import { activeTransportName, type RunPhase, type TaskStreamContext } from './context';

/**
 * SSE runs in a row that open and then end before their first frame before the machine asks whether
 * the task is reachable (protocol/SPEC.md §5 peer quirk). Two, not one: a single early close is as
 * likely a network blip as an unknown task, and the check costs an HTTP request.
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
 * True for a WebSocket 1008 before the ack. protocol/SPEC.md §6: before the ack it may be auth,
 * not-found or a bad request; after it, it is not ours to guess.
 */
export function isPolicyCloseBeforeAck(context: TaskStreamContext): boolean {
  return (
    isPolicyViolationClose(context.error) &&
    context.failedIn !== 'live' &&
    activeTransportName(context) === 'websocket'
  );
}

/**
 * The count of SSE runs in a row that opened and ended before their first frame, after the active run
 * failed in `phase` with `error`: one more when it opened and ended without a frame
 * (`CONNECTION_CLOSED`), else 0. protocol/SPEC.md §5: the peer answers an unknown task or a bad cursor
 * with 200 + headers, then aborts the body; our server answers 404/400 before the headers.
 */
export function earlyEndsAfter(context: TaskStreamContext, phase: RunPhase, error: TaskBridgeError): number {
  const endedEarly =
    phase === 'awaitingFirstFrame' &&
    error.code === 'CONNECTION_CLOSED' &&
    activeTransportName(context) === 'sse';
  return endedEarly ? context.failures.earlyEnds + 1 : 0;
}

/** protocol/SPEC.md §8: 403/404/409/400/422 and anything else not retryable end the stream. */
export function isFatal(context: TaskStreamContext): boolean {
  return context.error === null || !context.error.retryable;
}

/** The current failure spends the current transport's budget of failures in a row. */
function spendsTransport(context: TaskStreamContext): boolean {
  return context.failures.onTransport + 1 >= context.config.maxConsecutiveFailuresPerTransport;
}

/**
 * Whether the current failure gives up on the current transport (never on the floor): a missed open or
 * first-frame deadline, or too many failures in a row (answers that are not the protocol — an HTML
 * page, a WebSocket frame before the ack — count like any other).
 */
export function givesUpTransport(context: TaskStreamContext): boolean {
  if (context.index >= context.transports.length - 1) return false;
  return isConnectDeadlineMiss(context.error) || spendsTransport(context);
}

/**
 * Every transport of the ladder has been given up on because it answered, failure after failure, with
 * something that is not the protocol (e.g. a login page): retrying cannot help.
 */
export function nothingSpeaksProtocol(context: TaskStreamContext): boolean {
  const said = new Set(notProtocolAfter(context));
  return context.transports.every((t) => said.has(t.name));
}

/** No live connection for `giveUpAfterMs` (checked at each failure). */
export function isGivenUp(context: TaskStreamContext): boolean {
  const { downSince } = context;
  return downSince !== null && context.env.now() - downSince >= context.config.giveUpAfterMs;
}

/**
 * The wait before the next attempt, ms (protocol/SPEC.md §10), never less than the server's
 * `Retry-After`:
 * - 0 when the next attempt is on a different transport: a fresh transport deserves an immediate first
 *   attempt (the wait that led here was already spent on the old one, and the ladder is at most three
 *   rungs, so this adds at most two undelayed attempts per outage, each following a jittered one);
 * - 0 for the first retry after a connection that was live, with `immediateReconnect` (a drop of a
 *   working connection is most often the connection, not the server; the attempt counter resets only
 *   after `stableConnectionMs`, so a flapping server gets one immediate retry, then jitter);
 * - otherwise exponential backoff with full jitter over `attempt`.
 */
export function retryDelayMs(context: TaskStreamContext, switchesTransport: boolean): number {
  const retryAfterMs = context.error?.retryAfterMs;
  const firstRetryAfterLive =
    context.config.immediateReconnect && context.failedIn === 'live' && context.failures.attempt === 0;
  if (switchesTransport || firstRetryAfterLive) return retryAfterFloor(retryAfterMs);
  return backoffDelay(
    context.failures.attempt,
    { ...context.config.backoff, retryAfterMs },
    context.env.random,
  );
}

type RetryPlan = Pick<TaskStreamContext, 'index' | 'failures' | 'nextRetryAt' | 'notProtocol'>;

/**
 * Transports given up on for answers that are not the protocol: this one too when the current failure
 * is such an answer and spends its budget.
 */
function notProtocolAfter(context: TaskStreamContext): readonly TransportName[] {
  const name = context.transports[context.index]?.name;
  if (name === undefined || context.notProtocol.includes(name)) return context.notProtocol;
  return isNotProtocol(context.error) && spendsTransport(context)
    ? [...context.notProtocol, name]
    : context.notProtocol;
}

/** The context changes of a retry on the next transport down (a fallback). */
export function fallBackPlan(context: TaskStreamContext): RetryPlan {
  const delay = retryDelayMs(context, true);
  const { failures } = context;
  return {
    index: context.index + 1,
    failures: { ...failures, attempt: failures.attempt + 1, onTransport: 0 },
    nextRetryAt: context.env.now() + delay,
    notProtocol: notProtocolAfter(context),
  };
}

/** The context changes of a retry on the same transport. */
export function retrySamePlan(context: TaskStreamContext): RetryPlan {
  const delay = retryDelayMs(context, false);
  const { failures } = context;
  return {
    index: context.index,
    failures: { ...failures, attempt: failures.attempt + 1, onTransport: failures.onTransport + 1 },
    nextRetryAt: context.env.now() + delay,
    notProtocol: notProtocolAfter(context),
  };
}
