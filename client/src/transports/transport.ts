/**
 * The one shape every transport has: a transport only translates a platform API
 * (WebSocket, EventSource, fetch) into a typed stream of {@link TransportMessage}s. It never retries,
 * never falls back, never deduplicates: the machine owns the control path and the sequencer owns the
 * data path.
 */
import type {
  EventConformance,
  HistoryTrimmed,
  ProtocolValidationError,
  TaskBridgeError,
  TaskEvent,
  TransportName,
  UnknownTaskEvent,
} from '@taskbridge/protocol';

/**
 * What a transport reports, in order:
 * - `open`: the connection is up (WS `open`, SSE headers checked, first poll response checked).
 * - `ack`: the WebSocket subscription was confirmed (counts as the first frame; nothing comes before it).
 * - `event`: one task event (known, off-schema or unknown type), in server order, duplicates included.
 * - `heartbeat`: a heartbeat frame or keep-alive comment; proves liveness, never an event or cursor.
 * - `history-trimmed`: the server no longer has every event after the cursor; what follows starts at
 *   `firstRetainedEventId` (protocol/SPEC.md §11). Comes before those events.
 * - `malformed`: a frame that could not be parsed; reported for diagnostics, the transport keeps going.
 * - `error`: the transport has stopped with a typed error; nothing follows.
 * - `closed`: the server ended the stream cleanly (e.g. after a terminal event); nothing follows.
 */
export type TransportMessage =
  | { type: 'open' }
  | { type: 'ack' }
  | { type: 'event'; event: TaskEvent | UnknownTaskEvent; conformance: EventConformance }
  | { type: 'heartbeat' }
  | { type: 'history-trimmed'; info: HistoryTrimmed }
  | { type: 'malformed'; error: ProtocolValidationError; raw: string }
  | { type: 'error'; error: TaskBridgeError }
  | { type: 'closed' };

/** Receives a transport's messages; must not throw and must not block. */
export type TransportSink = (message: TransportMessage) => void;

/** One connection attempt for one task. */
export interface TransportRequest {
  taskId: string;
  /**
   * Current cursor (last delivered `eventId`, or `null` to replay from the oldest retained event).
   * Read at the moment of (re)connect and, for polling, before each request; never cached.
   */
  getCursor(): string | null;
  /** Aborting closes the connection at once; the transport then reports nothing more. */
  signal: AbortSignal;
}

/** A transport: `websocket`, `sse` or `polling`. */
export interface Transport {
  readonly name: TransportName;
  /** False when the environment lacks what the transport needs (e.g. no `WebSocket` constructor). */
  isSupported(): boolean;
  /** Opens one connection. Messages go to `sink` until `error`/`closed` or until `request.signal` aborts. */
  connect(request: TransportRequest, sink: TransportSink): void;
}
