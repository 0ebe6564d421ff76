/**
 * WebSocket and SSE control frames (protocol/SPEC.md §5, §6). Heartbeats are not events: clients filter
 * `type === "HEARTBEAT"` before validating, deduplicating or checkpointing.
 */
import type { TaskEvent, UnknownTaskEvent } from './events';
import type { HistoryTrimmed } from './history-trimmed';

/** The one text frame a client sends on the WebSocket (protocol/SPEC.md §6). No extra keys are allowed. */
export interface SubscribeFrame {
  action: 'subscribe';
  taskId: string;
  /** Replay strictly after this id; `null` replays from the oldest retained event. */
  lastEventId: string | null;
}

/** The server's acknowledgement of a {@link SubscribeFrame} (protocol/SPEC.md §6). */
export interface SubscriptionConfirmedFrame {
  type: 'SUBSCRIPTION_CONFIRMED';
  taskId: string;
  replayStartedAfterEventId: string | null;
  live: boolean;
  /**
   * Present only when events after `replayStartedAfterEventId` were deleted by retention; the replay
   * then starts at the first retained event (our extension, protocol/SPEC.md §11).
   */
  historyTrimmed?: HistoryTrimmed;
}

/** A WebSocket heartbeat frame (protocol/SPEC.md §6). */
export interface WebSocketHeartbeatFrame {
  type: 'HEARTBEAT';
  taskId: string;
  live: boolean;
}

/**
 * A JSON heartbeat sent as an SSE `data:` frame without an `id:` line (protocol/SPEC.md §5). The peer adds an
 * `eventId` such as `"hb-…"` that must never be used as a cursor.
 */
export interface SseHeartbeatFrame {
  type: 'HEARTBEAT';
  taskId?: string;
  eventId?: string;
  [key: string]: unknown;
}

/** Any frame a server sends over the WebSocket, classified by {@link parseServerFrame}. */
export type ServerFrame =
  | { kind: 'ack'; frame: SubscriptionConfirmedFrame }
  | { kind: 'heartbeat'; frame: WebSocketHeartbeatFrame | SseHeartbeatFrame }
  | { kind: 'event'; event: TaskEvent; offSchema: boolean }
  | { kind: 'unknown-event'; event: UnknownTaskEvent };
