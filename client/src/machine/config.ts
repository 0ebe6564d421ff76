/**
 * Deadlines, backoff and fallback policy of one task stream (protocol/SPEC.md §10). Every default is the one the
 * SDK commits to; every value can be overridden per client or per stream.
 */
import type { TransportName } from '@taskbridge/protocol';
import type { BackoffOptions } from './backoff';

/** One deadline per transport, ms. */
export type TransportTimeouts = Readonly<Record<TransportName, number>>;

/** Liveness deadline per transport, ms. */
export type LivenessTimeouts = TransportTimeouts;

/** The resolved connection policy the state machine runs with (all fields set). */
export interface ConnectionConfig {
  /**
   * Open deadline per transport, ms: WS `101` / SSE headers / first checked poll response must arrive
   * within it. Missing it skips the transport at once, and the next one down starts without a backoff.
   * Defaults: `{ websocket: 2500, sse: 5000, polling: 5000 }`. protocol/SPEC.md §10 lists 5000; the WebSocket's
   * is shorter because an upgrade that a proxy never answers is the commonest silent failure, and a
   * false miss is cheap (SSE carries the same stream, and a climb-back probe returns to the WebSocket
   * after `probeDelayMs`), while each second spent here is a second the user sees nothing.
   */
  openTimeoutMs: TransportTimeouts;
  /**
   * First-frame deadline after open, ms (WS ack, or any event / JSON heartbeat on SSE). Catches a proxy
   * that buffers SSE: headers arrive, then silence. Missing it skips the transport at once.
   * Default 8000 (protocol/SPEC.md §10, §5 buffering detection).
   */
  firstFrameTimeoutMs: number;
  /**
   * Liveness deadline per transport, ms: no inbound frame for this long while live means the connection
   * is dead, and the machine reconnects. Default 2.5 × the server's heartbeat interval for that transport
   * when known, else 60000 (protocol/SPEC.md §10).
   */
  livenessTimeoutMs: LivenessTimeouts;
  /** Retry backoff (full jitter), ms. Default `{ baseMs: 500, maxMs: 10000 }` (protocol/SPEC.md §10). */
  backoff: BackoffOptions;
  /**
   * When a connection that was live (it delivered its first frame) drops, the first retry starts at once
   * (0 ms, or the server's `Retry-After`) instead of after a jittered backoff; from the second attempt on,
   * full jitter applies. Safe for a herd of clients: each client gets one immediate retry per drop, and
   * only after a live connection, not per attempt, since the attempt counter resets only once a connection
   * stays up for `stableConnectionMs`; a server that accepts then drops still sees jittered, growing waits.
   * Set false to jitter every retry (e.g. when many clients share one server that closes them all at once
   * on deploy). Default true.
   */
  immediateReconnect: boolean;
  /**
   * Retryable errors in a row on one transport before it is skipped for the next one down. The last
   * transport (the floor, usually polling) is never skipped. Default 2 (protocol/SPEC.md §10).
   */
  maxConsecutiveFailuresPerTransport: number;
  /**
   * Failed attempts in a row (since a connection was last stable) before the stream fails with the last
   * error. Default `Infinity` (protocol/SPEC.md §10: unlimited retries for retryable errors).
   */
  maxRetries: number;
  /**
   * The give-up policy: a stream that has had no live connection for this long fails with `TIMEOUT`
   * (`details.deadline = 'giveUp'`, the last error as `cause`), so `events$` and `settled()` always end
   * even when the server never comes back. Time paused by `pauseWhenHidden` does not count; time offline
   * does. Checked at each failed attempt, so it ends at the first failure past the deadline.
   * `Infinity` retries for ever. Default 300000 (5 min).
   */
  giveUpAfterMs: number;
  /**
   * A connection live this long counts as a success, ms: the attempt counter (backoff exponent,
   * `maxRetries`), the per-transport failure count and the spent credentials refresh reset. A connection
   * that drops sooner keeps backing off, so a server that accepts and drops cannot cause a tight loop.
   * Default 5000.
   */
  stableConnectionMs: number;
  /** First climb-back probe after this long degraded, ms; later probes back off from it. Default 30000. */
  probeDelayMs: number;
  /** Largest wait between climb-back probes, ms. Default 300000 (5 min). */
  probeMaxDelayMs: number;
  /** How long a transport given up on stays skipped for its origin, ms. Default 600000 (10 min). */
  healthTtlMs: number;
  /** Close the connection while the page is hidden and reconnect when visible. Default false. */
  pauseWhenHidden: boolean;
  /** Use only this transport: no fallback, no climb-back, no remembered health. Default null. */
  forceTransport: TransportName | null;
}

/** What a caller may set; everything left out takes its default (see {@link ConnectionConfig}). */
export interface ConnectionConfigInput {
  /**
   * One open deadline for every transport, ms, or some transports' deadlines (the rest keep theirs).
   * Default `{ websocket: 2500, sse: 5000, polling: 5000 }` (protocol/SPEC.md §10).
   */
  openTimeoutMs?: number | Partial<Record<TransportName, number>>;
  /** First-frame deadline after open, ms. Default 8000 (protocol/SPEC.md §10). */
  firstFrameTimeoutMs?: number;
  /**
   * One liveness deadline for every transport, ms; wins over `heartbeatIntervalMs`. Default: 2.5 × the
   * heartbeat interval when known, else 60000 (protocol/SPEC.md §10).
   */
  livenessTimeoutMs?: number;
  /**
   * Heartbeat intervals the server advertises, ms (capabilities `heartbeatIntervalMs`, protocol/SPEC.md §1 E2);
   * each known positive one sets that transport's liveness deadline to 2.5 × the interval. Default: none
   * (the client fills it from capabilities).
   */
  heartbeatIntervalMs?: Partial<Record<TransportName, number>>;
  /** Retry backoff, ms; each field left out keeps its default. Default `{ baseMs: 500, maxMs: 10000 }`. */
  backoff?: Partial<BackoffOptions>;
  /** First retry after a live connection drops starts at once. Default true. */
  immediateReconnect?: boolean;
  /** Retryable errors in a row before a transport is skipped (never the floor). Default 2 (protocol/SPEC.md §10). */
  maxConsecutiveFailuresPerTransport?: number;
  /** Failed attempts in a row before the stream fails. Default `Infinity` (protocol/SPEC.md §10). */
  maxRetries?: number;
  /** Fail after this long without a live connection, ms; `Infinity` never. Default 300000 (5 min). */
  giveUpAfterMs?: number;
  /** Time live after which a connection counts as a success, ms. Default 5000. */
  stableConnectionMs?: number;
  /** First climb-back probe after this long degraded, ms. Default 30000 (protocol/SPEC.md §10). */
  probeDelayMs?: number;
  /** Largest wait between climb-back probes, ms. Default 300000. */
  probeMaxDelayMs?: number;
  /** How long a transport given up on stays skipped for its origin, ms. Default 600000. */
  healthTtlMs?: number;
  /** Close the connection while the page is hidden, reconnect when visible. Default false. */
  pauseWhenHidden?: boolean;
  /** Use only this transport (no fallback, no climb-back, no remembered health). Default `null` (none). */
  forceTransport?: TransportName | null;
}

/** Liveness when the heartbeat interval is unknown, ms (protocol/SPEC.md §10). */
export const DEFAULT_LIVENESS_TIMEOUT_MS = 60_000;

/** Liveness deadline as a multiple of the heartbeat interval (protocol/SPEC.md §10). */
export const LIVENESS_HEARTBEAT_FACTOR = 2.5;

/** Open deadline of SSE and polling, ms (protocol/SPEC.md §10). */
export const DEFAULT_OPEN_TIMEOUT_MS = 5_000;

/** Open deadline of the WebSocket, ms: shorter than protocol/SPEC.md §10's 5000 (see `ConnectionConfig.openTimeoutMs`). */
export const DEFAULT_WEBSOCKET_OPEN_TIMEOUT_MS = 2_500;

/**
 * The protocol/SPEC.md §10 defaults (WebSocket open deadline aside, see above), frozen. Durations in ms;
 * liveness is the unknown-heartbeat value (60000) for every transport.
 */
export const DEFAULT_CONNECTION_CONFIG: Readonly<ConnectionConfig> = Object.freeze({
  openTimeoutMs: Object.freeze({
    websocket: DEFAULT_WEBSOCKET_OPEN_TIMEOUT_MS,
    sse: DEFAULT_OPEN_TIMEOUT_MS,
    polling: DEFAULT_OPEN_TIMEOUT_MS,
  }),
  firstFrameTimeoutMs: 8_000,
  livenessTimeoutMs: Object.freeze({
    websocket: DEFAULT_LIVENESS_TIMEOUT_MS,
    sse: DEFAULT_LIVENESS_TIMEOUT_MS,
    polling: DEFAULT_LIVENESS_TIMEOUT_MS,
  }),
  backoff: Object.freeze({ baseMs: 500, maxMs: 10_000 }),
  immediateReconnect: true,
  maxConsecutiveFailuresPerTransport: 2,
  maxRetries: Number.POSITIVE_INFINITY,
  giveUpAfterMs: 300_000,
  stableConnectionMs: 5_000,
  probeDelayMs: 30_000,
  probeMaxDelayMs: 300_000,
  healthTtlMs: 600_000,
  pauseWhenHidden: false,
  forceTransport: null,
});

function livenessFor(transport: TransportName, input: ConnectionConfigInput): number {
  if (input.livenessTimeoutMs !== undefined) return input.livenessTimeoutMs;
  const heartbeat = input.heartbeatIntervalMs?.[transport];
  return heartbeat !== undefined && heartbeat > 0
    ? heartbeat * LIVENESS_HEARTBEAT_FACTOR
    : DEFAULT_LIVENESS_TIMEOUT_MS;
}

function openTimeoutFor(transport: TransportName, input: ConnectionConfigInput): number {
  const value = input.openTimeoutMs;
  if (typeof value === 'number') return value;
  return value?.[transport] ?? DEFAULT_CONNECTION_CONFIG.openTimeoutMs[transport];
}

/**
 * Fills a partial config with the protocol/SPEC.md §10 defaults.
 *
 * @param input - the caller's overrides; `undefined` fields take their default.
 * @returns a complete {@link ConnectionConfig}; never throws.
 * @example
 * resolveConnectionConfig({ heartbeatIntervalMs: { sse: 5_000 } }).livenessTimeoutMs.sse // 12_500
 * resolveConnectionConfig({ openTimeoutMs: { sse: 3_000 } }).openTimeoutMs // { websocket: 2_500, sse: 3_000, polling: 5_000 }
 */
export function resolveConnectionConfig(input: ConnectionConfigInput = {}): ConnectionConfig {
  const defaults = DEFAULT_CONNECTION_CONFIG;
  return {
    openTimeoutMs: {
      websocket: openTimeoutFor('websocket', input),
      sse: openTimeoutFor('sse', input),
      polling: openTimeoutFor('polling', input),
    },
    firstFrameTimeoutMs: input.firstFrameTimeoutMs ?? defaults.firstFrameTimeoutMs,
    livenessTimeoutMs: {
      websocket: livenessFor('websocket', input),
      sse: livenessFor('sse', input),
      polling: livenessFor('polling', input),
    },
    backoff: {
      baseMs: input.backoff?.baseMs ?? defaults.backoff.baseMs,
      maxMs: input.backoff?.maxMs ?? defaults.backoff.maxMs,
    },
    immediateReconnect: input.immediateReconnect ?? defaults.immediateReconnect,
    maxConsecutiveFailuresPerTransport:
      input.maxConsecutiveFailuresPerTransport ?? defaults.maxConsecutiveFailuresPerTransport,
    maxRetries: input.maxRetries ?? defaults.maxRetries,
    giveUpAfterMs: input.giveUpAfterMs ?? defaults.giveUpAfterMs,
    stableConnectionMs: input.stableConnectionMs ?? defaults.stableConnectionMs,
    probeDelayMs: input.probeDelayMs ?? defaults.probeDelayMs,
    probeMaxDelayMs: input.probeMaxDelayMs ?? defaults.probeMaxDelayMs,
    healthTtlMs: input.healthTtlMs ?? defaults.healthTtlMs,
    pauseWhenHidden: input.pauseWhenHidden ?? defaults.pauseWhenHidden,
    forceTransport: input.forceTransport ?? defaults.forceTransport,
  };
}
