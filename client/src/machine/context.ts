/**
 * What one task stream machine holds: its input, its context, and how the context starts. Read the
 * context only through `toConnectionState()` outside this folder (STYLE.md habit 4).
 */
import type { TaskBridgeError, TransportName } from '@taskbridge/protocol';
import type { Transport } from '../transports/transport';
import type { ConnectionConfig } from './config';
import type { TransportHealthStore } from './transport-health';
import type { DataMessage, TransportRunInput } from './transport-run';

/**
 * Why the machine asks whether the task is reachable before deciding what a failure means:
 * - `policy-violation`: a WebSocket closed `1008` before its ack (protocol/SPEC.md §6: auth, not-found or a bad
 *   request, indistinguishable on the socket);
 * - `closed-before-first-frame`: an SSE response opened (200 + headers) and its body ended before any
 *   frame, twice in a row (protocol/SPEC.md §5 peer quirk: that is how the peer answers an unknown task or a bad
 *   cursor).
 */
export type ReachabilityCheckReason = 'policy-violation' | 'closed-before-first-frame';

/**
 * Asks the data path whether the task is reachable at all (usually one HTTP poll). Resolve with the
 * confirmed fatal error (e.g. `TASK_NOT_FOUND` from a 404) to fail the stream, or with `null` when the
 * task is reachable. On `null`, a `policy-violation` skips the WebSocket for the next transport down, and
 * a `closed-before-first-frame` is retried like any retryable failure. A rejection fails the stream with
 * the original error.
 *
 * @param request.taskId - the stream's task.
 * @param request.cursor - the cursor (last delivered `eventId`, or `null`), read when the check starts:
 *   poll with it as `afterEventId`, since the peer answers a bad cursor the same way as an unknown task.
 * @param request.error - the failure that raised the question (a `1008` close, or `CONNECTION_CLOSED`).
 * @param request.reason - see {@link ReachabilityCheckReason}.
 * @see protocol/SPEC.md §5 (SSE 200-then-abort), §6 (WebSocket 1008), §8 (errors).
 */
export type ConfirmTaskReachable = (request: {
  taskId: string;
  cursor: string | null;
  error: TaskBridgeError;
  reason: ReachabilityCheckReason;
}) => Promise<TaskBridgeError | null>;

/** Input of the task stream machine. */
export interface TaskStreamMachineInput {
  taskId: string;
  /** Transports in order of preference, already filtered by server capabilities and `isSupported()`. */
  transports: readonly Transport[];
  /** The sequencer's cursor (last delivered `eventId`, or `null`); read at each (re)connect, never cached. */
  getCursor: () => string | null;
  /**
   * Receives every event, heartbeat and malformed frame, synchronously, tagged with its transport (the
   * data path dedupes across the moment two transports overlap during a climb-back). Must not throw.
   */
  onMessage: (transport: TransportName, message: DataMessage) => void;
  /** Resolved policy; build it with `resolveConnectionConfig()`. */
  config: ConnectionConfig;
  /** Remembered per-origin transport health; omitted = nothing remembered. */
  health?: TransportHealthStore;
  /** Key for `health`, usually the server's URL origin. Default `''`. */
  origin?: string;
  /** Jitter source in `[0, 1)`. Default `Math.random`. */
  random?: () => number;
  /** Current time, ms since the epoch (for `nextRetryAt` and activity throttling). Default `Date.now()`. */
  now?: () => number;
  /** Refreshes credentials after an `AUTHENTICATION_ERROR` (once per outage; protocol/SPEC.md §8, §9). */
  refreshCredentials?: () => Promise<void>;
  /**
   * See {@link ConfirmTaskReachable}. Omitted: a WebSocket `1008` before the ack is fatal, and an SSE
   * stream that keeps ending before its first frame is retried like any retryable failure.
   */
  confirmTaskReachable?: ConfirmTaskReachable;
  /** Connectivity at start. Default true. */
  online?: boolean;
  /** Page visibility at start (only matters with `pauseWhenHidden`). Default false. */
  hidden?: boolean;
}

/** The machine's context. Read it only through `toConnectionState()` outside this folder. */
export interface TaskStreamContext {
  readonly taskId: string;
  /** The ladder: transports in order, or only the forced one. */
  readonly transports: readonly Transport[];
  readonly getCursor: () => string | null;
  readonly onMessage: (transport: TransportName, message: DataMessage) => void;
  readonly config: ConnectionConfig;
  readonly health: TransportHealthStore | null;
  readonly origin: string;
  readonly random: () => number;
  readonly now: () => number;
  readonly refreshCredentials: (() => Promise<void>) | null;
  readonly confirmTaskReachable: ConfirmTaskReachable | null;
  /** Index in `transports` of the active (or next) transport. */
  index: number;
  /** Failed attempts since a connection was last stable; drives the backoff exponent and `maxRetries`. */
  attempt: number;
  /** Retryable failures in a row on `transports[index]` (reset once a connection is stable). */
  consecutiveFailures: number;
  runSeq: number;
  activeRunId: string | null;
  /** True once the active run reported `open` (SSE headers, WS `101`). */
  activeOpened: boolean;
  /** True once the active run delivered its first frame (WS ack): a 1008 after it is not a policy refusal. */
  activeConfirmed: boolean;
  /** SSE runs in a row that opened and then ended before their first frame (protocol/SPEC.md §5 peer quirk). */
  closedBeforeFirstFrame: number;
  /** Why the machine is asking `confirmTaskReachable`, while it is. */
  reachabilityCheck: ReachabilityCheckReason | null;
  probeRunId: string | null;
  probeIndex: number | null;
  /** Failed probes since the stream went live on its current transport; drives the probe backoff. */
  probeFailures: number;
  /** A credentials refresh was spent since a connection was last stable. */
  credentialsRefreshed: boolean;
  /** The last error (cleared when live); the final one in `failed`. */
  error: TaskBridgeError | null;
  /** Wait of the current backoff, ms. */
  retryDelayMs: number;
  /** When the current backoff ends, ms since the epoch. */
  nextRetryAt: number | null;
  online: boolean;
  hidden: boolean;
}

function mathRandom(): number {
  return Math.random();
}

function dateNow(): number {
  return Date.now();
}

/** The rung to start on: the first transport not remembered as unhealthy; the floor otherwise. */
function startIndex(transports: readonly Transport[], input: TaskStreamMachineInput): number {
  if (input.config.forceTransport !== null || input.health === undefined) return 0;
  const { health } = input;
  const origin = input.origin ?? '';
  const healthy = transports.findIndex((t) => !health.isUnhealthy(origin, t.name));
  return healthy === -1 ? Math.max(0, transports.length - 1) : healthy;
}

/**
 * The context a stream starts with: the ladder (only the forced transport with `forceTransport`), the
 * rung remembered health allows, and the injectable defaults (`Math.random`, `Date.now`) filled in.
 */
export function initialContext(input: TaskStreamMachineInput): TaskStreamContext {
  const forced = input.config.forceTransport;
  const transports = forced === null ? input.transports : input.transports.filter((t) => t.name === forced);
  return {
    taskId: input.taskId,
    transports,
    getCursor: input.getCursor,
    onMessage: input.onMessage,
    config: input.config,
    health: input.health ?? null,
    origin: input.origin ?? '',
    random: input.random ?? mathRandom,
    now: input.now ?? dateNow,
    refreshCredentials: input.refreshCredentials ?? null,
    confirmTaskReachable: input.confirmTaskReachable ?? null,
    index: startIndex(transports, input),
    attempt: 0,
    consecutiveFailures: 0,
    runSeq: 0,
    activeRunId: null,
    activeOpened: false,
    activeConfirmed: false,
    closedBeforeFirstFrame: 0,
    reachabilityCheck: null,
    probeRunId: null,
    probeIndex: null,
    probeFailures: 0,
    credentialsRefreshed: false,
    error: null,
    retryDelayMs: 0,
    nextRetryAt: null,
    online: input.online ?? true,
    hidden: input.hidden ?? false,
  };
}

/**
 * The transport on rung `index`.
 *
 * @throws {RangeError} when `index` is outside the ladder: indexes only ever move within it, so this is
 * a bug in the machine, not a runtime state.
 */
export function transportAt(context: TaskStreamContext, index: number): Transport {
  const transport = context.transports[index];
  if (transport === undefined) throw new RangeError(`no transport at index ${index}`);
  return transport;
}

/** The active (or next) transport's name. */
export function activeTransportName(context: TaskStreamContext): TransportName {
  return transportAt(context, context.index).name;
}

/** The input of a transport run on rung `index`, named `runId`. */
export function runInputAt(context: TaskStreamContext, index: number, runId: string): TransportRunInput {
  const transport = transportAt(context, index);
  const liveness = context.config.livenessTimeoutMs[transport.name];
  return {
    runId,
    transport,
    taskId: context.taskId,
    getCursor: context.getCursor,
    onMessage: context.onMessage,
    // Throttling shortens the effective liveness deadline by at most this much: keep it a small slice.
    activityThrottleMs: Math.min(1_000, liveness / 10),
    now: context.now,
  };
}
