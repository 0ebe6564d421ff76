/**
 * Every event the task stream machine accepts: control events from the stream's store (observers,
 * the terminal event, stop), the environment (connectivity, page lifecycle) and lifecycle events from
 * its transport runs.
 */
import type { TaskBridgeError } from '@taskbridge/protocol';
import type { TransportRunEvent } from './transport-run';

/** Connectivity and page-lifecycle events the client forwards to every live stream (protocol/SPEC.md §10). */
export type EnvironmentEvent =
  /** Back online: retry at once, probe a better transport. */
  | { type: 'ONLINE' }
  /** Offline: park the stream (no retries burn battery). */
  | { type: 'OFFLINE' }
  | { type: 'VISIBILITY_HIDDEN' }
  | { type: 'VISIBILITY_VISIBLE' }
  /** The page came back from the bfcache: reconnect at once from the checkpoint. */
  | { type: 'PAGE_RESTORED' };

/** Events the stream's store sends to the machine. */
export type TaskStreamControlEvent =
  /** One more observer (a subscription or a `settled()` call). */
  | { type: 'RETAIN' }
  /** One observer fewer; the last one starts the detach grace. */
  | { type: 'RELEASE' }
  /** Stop for good (`client.close()`): closes every transport. */
  | { type: 'STOP' }
  /** The data path delivered the terminal event: close every transport, `done`. */
  | { type: 'TERMINAL' }
  /** The data path failed the stream (e.g. history trimmed under the `'fail'` policy). */
  | { type: 'FAIL'; error: TaskBridgeError }
  /** Cross-tab: this tab got the task's lock; run the transport. */
  | { type: 'LEAD' }
  /** Cross-tab: this tab lost or gave up the lock; stop the transport, follow the leader. */
  | { type: 'FOLLOW' }
  /** Cross-tab: the leader answered this follower (it is caught up: the stream reads as live). */
  | { type: 'HEARD' };

/** Every event the task stream machine accepts. */
export type TaskStreamEvent = TaskStreamControlEvent | EnvironmentEvent | TransportRunEvent;
