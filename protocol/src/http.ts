/**
 * HTTP request and response bodies (protocol/SPEC.md §2, §4, §7, E1, E2).
 */
import type { JsonObject, TaskEvent, TerminalTaskEvent } from './events';
import type { HistoryTrimmed } from './history-trimmed';

/** Lifecycle status of a task as reported by create, status and poll responses. */
export type TaskStatus = 'ACCEPTED' | 'RUNNING' | 'COMPLETED' | 'FAILED' | 'CANCELLED';

/** JSON body of `POST /api/v1/tasks` (protocol/SPEC.md §2). `clientRequestId` is the idempotency key. */
export interface CreateTaskRequest {
  clientRequestId: string;
  taskType: string;
  /** Optional on our server (defaults to `{}`); the peer requires it, so clients always send it. */
  input?: JsonObject;
  /** Not compared for idempotency. */
  metadata?: JsonObject;
}

/** Response of create: 201 for a new task, 200 with `deduplicated: true` for a repeat (protocol/SPEC.md §2). */
export interface TaskCreatedResponse {
  taskId: string;
  status: TaskStatus;
  clientRequestId: string;
  deduplicated: boolean;
}

/** Query of `GET /tasks/{taskId}/events` (protocol/SPEC.md §4). */
export interface PollQuery {
  afterEventId?: string;
  /** Long-poll wait in ms, 0–60000. Clients always send it: the peer defaults to 0. */
  waitTimeoutMs?: number;
  /** 1–500, default 100. */
  maxEvents?: number;
}

/** Response of a poll (protocol/SPEC.md §4). `taskStatus` is our extension (E). */
export interface PollEventsResponse {
  taskId: string;
  events: TaskEvent[];
  nextAfterEventId: string | null;
  hasMore: boolean;
  taskStatus?: TaskStatus;
  /**
   * Present only when events after `afterEventId` were deleted by retention; `events` then start at
   * the first retained event (our extension, protocol/SPEC.md §11).
   */
  historyTrimmed?: HistoryTrimmed;
}

/** Optional body of `POST /tasks/{taskId}/cancel` (protocol/SPEC.md §7). */
export interface CancelTaskRequest {
  reason?: string;
}

/** Response of cancel, always 202 (protocol/SPEC.md §7). */
export interface CancelTaskResponse {
  taskId: string;
  status: 'CANCELLATION_REQUESTED' | 'ALREADY_TERMINAL';
}

/** Body of `POST /tasks/{taskId}/actions` (protocol/SPEC.md §7); `clientActionId` is the idempotency key. */
export interface ClientActionRequest {
  clientActionId: string;
  suspendId: string;
  actionType: string;
  payload?: JsonObject;
  metadata?: JsonObject;
}

/** Outcome of an action (protocol/SPEC.md §7). */
export type ClientActionStatus =
  'ACCEPTED' | 'DEDUPLICATED' | 'REJECTED_ALREADY_RESOLVED' | 'REJECTED_EXPIRED';

/** Response of an action (protocol/SPEC.md §7). */
export interface ClientActionResponse {
  taskId: string;
  suspendId: string;
  clientActionId: string;
  status: ClientActionStatus;
}

/** E1: `GET /api/v1/tasks/{taskId}`. */
export interface TaskStatusResponse {
  taskId: string;
  taskType: string;
  status: TaskStatus;
  /** ISO-8601 UTC. */
  createdAt: string;
  /** ISO-8601 UTC. */
  updatedAt: string;
  lastEventId: string | null;
  terminalEvent: TerminalTaskEvent | null;
}

/** A transport name, in the client's default preference order. */
export type TransportName = 'websocket' | 'sse' | 'polling';

/** E2: `GET /api/v1/capabilities`, derived from the server's actual configuration (hazard H7). */
export interface CapabilitiesResponse {
  protocolVersion: string;
  transports: TransportName[];
  /** Heartbeat intervals in ms. */
  heartbeatIntervalMs: { websocket: number; sse: number };
  /** What the server keeps (hazard H7); `null` = unbounded / never expires. */
  retention: CapabilitiesRetention;
  /**
   * Protocol extensions the server speaks, e.g. `"history-trimmed"` (protocol/SPEC.md §11). Absent on
   * a plain TaskBridge v1 server.
   */
  extensions?: string[];
  limits: { maxEventsPerPoll: number; maxWaitTimeoutMs: number; maxUploadBytes: number };
  routes: Record<string, string>;
  /**
   * True when the server mints single-use stream tickets at `routes.streamTickets` (our extension,
   * protocol/SPEC.md §12); absent on servers without them (a TaskBridge v1 peer).
   */
  streamTickets?: boolean;
}

/** Body of `POST /api/v1/stream-tickets` (our extension, protocol/SPEC.md §12). */
export interface StreamTicketRequest {
  /** The task the ticket may stream; it must be the caller's (else 404, as everywhere). */
  taskId: string;
}

/** 201 response of `POST /api/v1/stream-tickets` (protocol/SPEC.md §12). */
export interface StreamTicketResponse {
  /** Opaque, single-use, ≥ 128 random bits (base64url); send it as the `ticket` query parameter. */
  ticket: string;
  taskId: string;
  /** ISO-8601 UTC; the ticket is refused after this instant. */
  expiresAt: string;
}

/** The `retention` block of capabilities (protocol/SPEC.md §1 E2, §11). */
export interface CapabilitiesRetention {
  /** Events kept per task, oldest trimmed first; `null` = unbounded. */
  maxEventsPerTask: number | null;
  /** ms a finished task (and its events) is kept after its terminal event; `null` = forever. */
  finishedTaskTtlMs?: number | null;
  /** ms a `clientRequestId` is remembered for idempotent creates; `null` = forever. */
  idempotencyTtlMs?: number | null;
}

/** `GET /health`. */
export interface HealthResponse {
  status: 'ok';
}

/** `GET /ready`; 503 when `not_ready`. */
export interface ReadyResponse {
  status: 'ready' | 'not_ready';
  details: Record<string, unknown>;
}
