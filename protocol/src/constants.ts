/** Protocol constants (protocol/SPEC.md §4–§6, §10). */

/** The protocol this package implements. */
export const PROTOCOL_VERSION = 'taskbridge-v1';

/** WebSocket close codes used by TaskBridge (protocol/SPEC.md §6). */
export const CloseCode = {
  /** Normal closure: sent right after a terminal event. */
  NORMAL: 1000,
  /** Server going away (graceful shutdown). */
  GOING_AWAY: 1001,
  /** Binary frame received (our server; the peer crashes with 1006). */
  UNSUPPORTED_DATA: 1003,
  /** Abnormal closure, never sent on the wire: the connection dropped. */
  ABNORMAL: 1006,
  /** Bad JSON, wrong shape, unknown or foreign task, auth failure. */
  POLICY_VIOLATION: 1008,
  /** Subscriber queue overflowed (hazard H3): resume from the checkpoint. */
  TRY_AGAIN_LATER: 1013,
  /** Server error. */
  INTERNAL_ERROR: 1011,
} as const;

/** Poll query limits (protocol/SPEC.md §4). */
export const PollLimits = {
  /** Max `waitTimeoutMs`, ms. */
  MAX_WAIT_TIMEOUT_MS: 60_000,
  /** Max `maxEvents`. */
  MAX_EVENTS: 500,
  /** Default `maxEvents`. */
  DEFAULT_MAX_EVENTS: 100,
} as const;

/** The message type of a heartbeat frame; never an event (protocol/SPEC.md §3). */
export const HEARTBEAT_TYPE = 'HEARTBEAT';

/** Query parameter carrying a bearer token where headers cannot be set (protocol/SPEC.md §9, E). */
export const ACCESS_TOKEN_QUERY_PARAM = 'access_token';

/** Query parameter alternative to the `Last-Event-ID` header on the SSE route (protocol/SPEC.md §5, E). */
export const LAST_EVENT_ID_QUERY_PARAM = 'lastEventId';

/**
 * Query parameter carrying a single-use stream ticket on the WebSocket upgrade URL and the SSE URL
 * (our extension, protocol/SPEC.md §12).
 */
export const STREAM_TICKET_QUERY_PARAM = 'ticket';
