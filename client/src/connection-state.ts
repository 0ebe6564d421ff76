/**
 * The public connection state of a task stream: a small, XState-free value. This is
 * the only file that reads machine snapshots.
 */
import type { TaskBridgeError, TransportName } from '@taskbridge/protocol';
import type { SnapshotFrom } from 'xstate';
import { toTaskBridgeError } from './errors';
import type { TabRole } from './machine/context';
import type { taskStreamMachine } from './machine/machine';

/**
 * Where a stream's connection is:
 * - `idle`: not started.
 * - `connecting`: opening a transport, waiting for its first frame, or refreshing credentials.
 * - `live`: a transport is delivering (events or heartbeats).
 * - `backoff`: waiting before the next attempt (`nextRetryAt`).
 * - `offline`: parked until the browser is back online (no retries burn battery).
 * - `paused`: parked while the page is hidden (only with `pauseWhenHidden`).
 * - `done`: the terminal event was delivered; every transport is closed.
 * - `failed`: a fatal error (or retries exhausted); see `error`.
 * - `stopped`: the stream was stopped before its terminal event.
 */
export type ConnectionStatus =
  'idle' | 'connecting' | 'live' | 'backoff' | 'offline' | 'paused' | 'done' | 'failed' | 'stopped';

/** A stream's connection, as the app sees it (protocol/SPEC.md §10). Plain data; safe to compare and serialise. */
export interface ConnectionState {
  status: ConnectionStatus;
  /** The transport running (or about to be retried); `null` when none is (idle, parked or final). */
  transport: TransportName | null;
  /** Failed attempts since a connection was last stable (reset once live for `stableConnectionMs`). */
  attempt: number;
  /** True when `transport` is not the best one available (a climb-back probe will try to go back up). */
  degraded: boolean;
  /** The better transport being probed in the background, if any. */
  probing: TransportName | null;
  /** When the next attempt starts, ms since the epoch, while in `backoff`; otherwise `null`. */
  nextRetryAt: number | null;
  /** The last error (cleared once live again); the fatal one when `failed`. */
  error: TaskBridgeError | null;
  /**
   * Which tab streams the task (cross-tab coordination, `TaskBridgeClientOptions.crossTab`): `leader`
   * (this tab holds the transport and writes the checkpoint), `follower` (another tab of this browser
   * streams it and posts every event here: `transport` is `null`; `status` is `connecting` until a
   * leader answers, then `live` — the leader's own connection state is not mirrored; a tab alone is a
   * follower only while it waits for the lock, usually a few ms) or `solo` (no coordination: turned off, no Web Locks or `BroadcastChannel`, the checkpoint
   * still loading, or the stream has ended).
   */
  role: TabRole;
}

/** The state of a stream that has not started. */
export const IDLE_CONNECTION_STATE: Readonly<ConnectionState> = Object.freeze({
  status: 'idle',
  transport: null,
  attempt: 0,
  degraded: false,
  probing: null,
  nextRetryAt: null,
  error: null,
  role: 'solo',
});

type MachineSnapshot = SnapshotFrom<typeof taskStreamMachine>;

// The machine's lifecycle states, as the public status: everything before `live` that is on its way
// there reads as `connecting`.
const LINK_STATUS = {
  choosing: 'connecting',
  running: 'connecting',
  recovering: 'connecting',
  refreshingCredentials: 'connecting',
  confirmingPolicyClose: 'connecting',
  confirmingEarlyClose: 'connecting',
  backoff: 'backoff',
  offline: 'offline',
  paused: 'paused',
} as const satisfies Record<string, ConnectionStatus>;

function statusOf(snapshot: MachineSnapshot): ConnectionStatus {
  const value = snapshot.value;
  if (value === 'stopped') return 'stopped';
  const lifecycle = value.attached.lifecycle;
  if (typeof lifecycle === 'string') {
    return lifecycle === 'done' || lifecycle === 'failed' ? lifecycle : 'connecting';
  }
  // A follower is live once a leader tab has answered it: that tab streams for it.
  if ('following' in lifecycle) return lifecycle.following === 'heard' ? 'live' : 'connecting';
  const link = lifecycle.link;
  if (typeof link === 'string') return LINK_STATUS[link];
  if ('running' in link && typeof link.running === 'object') return 'live';
  return LINK_STATUS[Object.keys(link)[0] as keyof typeof LINK_STATUS] ?? 'connecting';
}

/**
 * A follower is in `following`; a tab sharing its task that runs the transport (or resolves it) leads;
 * before that (restoring the checkpoint) and once the stream has ended, nothing is shared: `solo`.
 */
function roleOf({ value, context }: MachineSnapshot): TabRole {
  const lifecycle = value === 'stopped' ? value : value.attached.lifecycle;
  if (typeof lifecycle === 'object' && 'following' in lifecycle) return 'follower';
  const leads = lifecycle === 'resolving' || typeof lifecycle === 'object';
  return leads && context.env.tabs !== null ? 'leader' : 'solo';
}

/**
 * Maps a {@link taskStreamMachine} snapshot to a {@link ConnectionState}. An actor that crashed
 * (snapshot status `error`) maps to `failed` with the crash normalised (`INTERNAL_ERROR`).
 *
 * @param snapshot - `actor.getSnapshot()` of a task stream machine actor.
 */
export function toConnectionState(snapshot: MachineSnapshot): ConnectionState {
  const { context } = snapshot;
  if (snapshot.status === 'error') {
    return { ...IDLE_CONNECTION_STATE, status: 'failed', error: toTaskBridgeError(snapshot.error) };
  }
  const status = statusOf(snapshot);
  const role = roleOf(snapshot);
  const hasTransport =
    role !== 'follower' && (status === 'connecting' || status === 'live' || status === 'backoff');
  const transport = hasTransport ? (context.transports[context.index]?.name ?? null) : null;
  const { probe, probeIndex } = context.runs;
  const probeName =
    probe !== null && probeIndex !== null ? (context.transports[probeIndex]?.name ?? null) : null;
  return {
    status,
    transport,
    attempt: context.failures.attempt,
    degraded: transport !== null && context.index > 0,
    probing: status === 'live' ? probeName : null,
    nextRetryAt: status === 'backoff' ? context.nextRetryAt : null,
    error: context.error,
    role,
  };
}

/** True when two states would render the same (for `useSyncExternalStore`-style change detection). */
export function connectionStatesEqual(a: ConnectionState, b: ConnectionState): boolean {
  // Every field is a primitive or an error compared by identity.
  return (Object.keys(IDLE_CONNECTION_STATE) as (keyof ConnectionState)[]).every((key) => a[key] === b[key]);
}
