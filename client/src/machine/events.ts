/**
 * Every event the task stream machine accepts: control events from the stream's owner (the client
 * facade) and lifecycle events from its transport runs.
 */
import type { TransportRunEvent } from './transport-run';

/** Events the owner of a stream (the client facade) sends to the machine. */
export type TaskStreamControlEvent =
  /** Start connecting (from `idle`). */
  | { type: 'START' }
  /** Stop for good (last subscriber gone): closes every transport. */
  | { type: 'STOP' }
  /** The sequencer delivered the terminal event: close every transport, `done`. */
  | { type: 'TERMINAL' }
  | { type: 'ONLINE' }
  | { type: 'OFFLINE' }
  | { type: 'VISIBILITY_HIDDEN' }
  | { type: 'VISIBILITY_VISIBLE' }
  /** The page came back from the bfcache: reconnect at once from the checkpoint. */
  | { type: 'PAGE_RESTORED' };

/** Every event the task stream machine accepts. */
export type TaskStreamEvent = TaskStreamControlEvent | TransportRunEvent;
