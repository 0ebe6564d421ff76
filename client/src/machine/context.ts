/**
 * What one task stream machine holds: its input (the stream's data path and what the client shares
 * with every stream), its context, and how the context starts. Outside this folder, read the machine
 * only through `toConnectionState()`.
 */
import type { TaskBridgeError, TransportName } from '@taskbridge/protocol';
import type { Checkpoint } from '../checkpoint/checkpoint-store';
import type { CrossTabEnvironment } from '../cross-tab/environment';
import type { DiagnosticListener } from '../diagnostics';
import type { Transport } from '../transports/transport';
import { type ConnectionConfig, DEFAULT_CONNECTION_CONFIG } from './config';
import type { TransportHealthStore } from './transport-health';
import type { DataMessage, TransportRun, TransportRunInput } from './transport-run';

/**
 * Why the machine asks whether the task is reachable before deciding what a failure means:
 * - `policy-violation`: a WebSocket closed `1008` before its ack (protocol/SPEC.md §6: auth,
 *   not-found or a bad request, indistinguishable on the socket);
 * - `closed-before-first-frame`: an SSE response opened (200 + headers) and its body ended before any
 *   frame, twice in a row (protocol/SPEC.md §5 peer quirk: that is how the peer answers an unknown
 *   task or a bad cursor).
 */
export type ReachabilityCheckReason = 'policy-violation' | 'closed-before-first-frame';

/**
 * Asks whether the task is reachable at all (usually one HTTP poll). Resolve with the confirmed fatal
 * error (e.g. `TASK_NOT_FOUND` from a 404) to fail the stream, or with `null` when the task is
 * reachable. On `null`, a `policy-violation` skips the WebSocket for the next transport down, and a
 * `closed-before-first-frame` is retried like any retryable failure. A rejection fails the stream with
 * the original error.
 *
 * @param request.cursor - the cursor (last delivered `eventId`, or `null`), read when the check starts:
 *   poll with it as `afterEventId`, since the peer answers a bad cursor the same way as an unknown task.
 * @param request.error - the failure that raised the question (a `1008` close, or `CONNECTION_CLOSED`).
 * @see protocol/SPEC.md §5 (SSE 200-then-abort), §6 (WebSocket 1008), §8 (errors).
 */
export type ConfirmTaskReachable = (request: {
  taskId: string;
  cursor: string | null;
  error: TaskBridgeError;
  reason: ReachabilityCheckReason;
}) => Promise<TaskBridgeError | null>;

/**
 * The stream's data path, as the machine sees it: the cursor to resume from, where frames go, and
 * where a restored checkpoint goes. The machine never sees events one by one otherwise.
 */
export interface StreamPort {
  /** The task the stream follows. */
  readonly taskId: string;
  /** The last delivered `eventId` (or `null`): read at each (re)connect, never cached. */
  cursor(): string | null;
  /**
   * Receives every event, heartbeat and malformed frame, synchronously, tagged with its transport (the
   * data path dedupes across the moment two transports overlap during a climb-back). Must not throw.
   */
  deliver(transport: TransportName, message: DataMessage): void;
  /** Takes the stored checkpoint (`undefined`: none) before the first connection. Must not throw. */
  restore(checkpoint: Checkpoint | undefined): void;
  /** Writes the latest checkpoint now. */
  flush(): Promise<void>;
  /**
   * Cross-tab: hears each event the data path delivers, with the cursor it followed (the leader posts
   * it to the other tabs). Must not throw. `null`: none.
   */
  relay: ((transport: TransportName, message: EventMessage, after: string | null) => void) | null;
  /** False while this tab follows another: only the leader writes the shared checkpoint. */
  writes: boolean;
}

/** An event as the data path receives it. */
export type EventMessage = Extract<DataMessage, { type: 'event' }>;

/**
 * Which tab streams a task: `solo` (no cross-tab coordination: no Web Locks or `BroadcastChannel`,
 * turned off, or the stream is not running), `leader` (this tab holds the transport and writes the
 * checkpoint for every tab) or `follower` (another tab of the same origin and subject streams it and
 * posts its events here). See `ConnectionState.role`.
 */
export type TabRole = 'solo' | 'leader' | 'follower';

/** What a client shares with each of its streams' machines (one object per client). */
export interface StreamEnvironment {
  /** The task's stored checkpoint, if any. A rejection is reported and the stream starts afresh. */
  loadCheckpoint(taskId: string): Promise<Checkpoint | undefined>;
  /** Transports in preference order (capabilities applied) and the resolved connection config. */
  resolveTransports(): Promise<{ transports: readonly Transport[]; config: ConnectionConfig }>;
  /** Remembered per-origin transport health; `null` = nothing remembered. */
  health: TransportHealthStore | null;
  /** Key for `health`, usually the server's URL origin. */
  origin: string;
  /** Current time, ms since the epoch (`nextRetryAt`, activity throttling). */
  now(): number;
  /** Jitter source in `[0, 1)`. */
  random(): number;
  /** Refreshes credentials after an `AUTHENTICATION_ERROR` (once per outage; protocol/SPEC.md §8, §9). */
  refreshCredentials: (() => Promise<void>) | null;
  /**
   * See {@link ConfirmTaskReachable}. `null`: a WebSocket `1008` before the ack is fatal, and an SSE
   * stream that keeps ending before its first frame is retried like any retryable failure.
   */
  confirmTaskReachable: ConfirmTaskReachable | null;
  /** Where transitions report what they did. Must not throw. */
  diagnostic: DiagnosticListener;
  /** How long a stream stays attached after its last observer leaves, ms. */
  detachGraceMs: number;
  /** Connectivity now; read when a stream starts. */
  isOnline(): boolean;
  /** Page visibility now; read when a stream starts. */
  isHidden(): boolean;
  /** Cross-tab coordination; `null`: every stream runs alone. */
  tabs: CrossTabEnvironment | null;
}

/** Input of the task stream machine. */
export interface TaskStreamMachineInput {
  stream: StreamPort;
  env: StreamEnvironment;
}

/** The transport runs of a stream, each named by its id (`run-<seq>`). */
export interface Runs {
  /** How many runs were started (names the next one). */
  readonly seq: number;
  /** The active run: the transport the stream uses (or is connecting). */
  readonly active: TransportRun | null;
  /** A climb-back probe of a better transport, running beside the active one. */
  readonly probe: TransportRun | null;
  /** The probe's rung. */
  readonly probeIndex: number | null;
}

/** Failure counters since a connection was last stable (reset once one stays up). */
export interface Failures {
  /** Failed attempts; drives the backoff exponent and `maxRetries`. */
  readonly attempt: number;
  /** Retryable failures in a row on the current transport (reset on a fallback). */
  readonly onTransport: number;
  /** Credentials refreshes (one is allowed per outage). */
  readonly authRefreshes: number;
  /** SSE runs in a row that opened and then ended before their first frame (protocol/SPEC.md §5). */
  readonly earlyEnds: number;
}

/** Where the active run was when it failed: before its open, before its first frame, or live. */
export type RunPhase = 'connecting' | 'awaitingFirstFrame' | 'live';

/**
 * The machine's context. Read it only through `toConnectionState()` outside this folder. Kept to few
 * top-level fields on purpose: XState copies it on every assignment, and a copy with many fields falls
 * into V8's slow dictionary mode (several times the memory, on every stream).
 */
export interface TaskStreamContext {
  readonly stream: StreamPort;
  readonly env: StreamEnvironment;
  /** The ladder once resolved: transports in order, or only the forced one. Empty before. */
  transports: readonly Transport[];
  config: ConnectionConfig;
  /** Observers attached (subscriptions, `settled()` calls). */
  observers: number;
  /** Index in `transports` of the active (or next) transport. */
  index: number;
  /** Rung of the last connection that went live (`null`: none yet): says fallback from climb-back. */
  liveIndex: number | null;
  failures: Failures;
  runs: Runs;
  /** Failed probes since the stream went live on its current transport; drives the probe backoff. */
  probeFailures: number;
  /** The last error (cleared when live); the final one in `failed`. */
  error: TaskBridgeError | null;
  /** Where the active run was when it last failed. */
  failedIn: RunPhase | null;
  /** When the current backoff ends, ms since the epoch. */
  nextRetryAt: number | null;
  /** Transports that answered with something that is not the protocol since the stream was last live. */
  notProtocol: readonly TransportName[];
  /** Since when the stream has had no live connection, ms since the epoch; `null` while live. */
  downSince: number | null;
}

/** No failures: the counters after a stable connection. */
export const NO_FAILURES: Failures = { attempt: 0, onTransport: 0, authRefreshes: 0, earlyEnds: 0 };

/** No transport refused the protocol yet (one shared array, not one per stream). */
export const NONE_NOT_PROTOCOL: readonly TransportName[] = Object.freeze([]);

const NO_RUNS: Runs = { seq: 0, active: null, probe: null, probeIndex: null };

/** The context a stream starts with: no ladder yet (resolved after the checkpoint), one observer. */
export function initialContext({ stream, env }: TaskStreamMachineInput): TaskStreamContext {
  return {
    stream,
    env,
    transports: [],
    config: DEFAULT_CONNECTION_CONFIG,
    observers: 1,
    index: 0,
    liveIndex: null,
    failures: NO_FAILURES,
    runs: NO_RUNS,
    probeFailures: 0,
    error: null,
    failedIn: null,
    nextRetryAt: null,
    notProtocol: NONE_NOT_PROTOCOL,
    downSince: null,
  };
}

/**
 * The ladder a stream runs on (only the forced transport with `forceTransport`) and the rung
 * remembered health lets it start on: the first transport not remembered as unhealthy; the floor
 * otherwise.
 */
export function ladderFor(
  env: StreamEnvironment,
  resolved: { transports: readonly Transport[]; config: ConnectionConfig },
): Pick<TaskStreamContext, 'transports' | 'config' | 'index'> {
  const { config } = resolved;
  const forced = config.forceTransport;
  const transports =
    forced === null ? resolved.transports : resolved.transports.filter((t) => t.name === forced);
  const { health, origin } = env;
  let index = 0;
  if (forced === null && health !== null) {
    const healthy = transports.findIndex((t) => !health.isUnhealthy(origin, t.name));
    index = healthy === -1 ? Math.max(0, transports.length - 1) : healthy;
  }
  return { transports, config, index };
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
    taskId: context.stream.taskId,
    stream: context.stream,
    // Throttling shortens the effective liveness deadline by at most this much: keep it a small slice.
    activityThrottleMs: Math.min(1_000, liveness / 10),
    now: context.env.now,
  };
}
