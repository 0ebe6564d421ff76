// @taskbridge/protocol: the TaskBridge v1 wire contract (protocol/SPEC.md). Explicit exports, grouped by topic.

export {
  ACCESS_TOKEN_QUERY_PARAM,
  CloseCode,
  HEARTBEAT_TYPE,
  LAST_EVENT_ID_QUERY_PARAM,
  PollLimits,
  PROTOCOL_VERSION,
  STREAM_TICKET_QUERY_PARAM,
} from './constants';
// Errors
export type { ErrorCode, ErrorEnvelope } from './errors';
export { ERROR_CODES, ERROR_STATUS } from './errors';
// Event ids
export type { EventIdOrder } from './event-id';
export { compareEventIds, isNewerEventId, parseEventId } from './event-id';
// Events
export type {
  JsonObject,
  MessageLevel,
  SuspensionKind,
  TaskActionAcceptedPayload,
  TaskCancelledPayload,
  TaskCompletedPayload,
  TaskEvent,
  TaskEventOf,
  TaskEventPayloads,
  TaskEventType,
  TaskFailedPayload,
  TaskMessagePayload,
  TaskProgressPayload,
  TaskStartedPayload,
  TaskSuspendedPayload,
  TerminalEventType,
  TerminalTaskEvent,
  UnknownTaskEvent,
} from './events';
export {
  isKnownEventType,
  isTerminalEvent,
  isTerminalEventType,
  TASK_EVENT_TYPES,
  TERMINAL_EVENT_TYPES,
} from './events';
// Frames
export type {
  ServerFrame,
  SseHeartbeatFrame,
  SubscribeFrame,
  SubscriptionConfirmedFrame,
  WebSocketHeartbeatFrame,
} from './frames';
// History trimmed (protocol/SPEC.md §11)
export type { HistoryTrimmed, HistoryTrimmedSseData } from './history-trimmed';
export { HISTORY_TRIMMED_EXTENSION, HISTORY_TRIMMED_SSE_EVENT } from './history-trimmed';
// HTTP bodies
export type {
  CancelTaskRequest,
  CancelTaskResponse,
  CapabilitiesResponse,
  CapabilitiesRetention,
  ClientActionRequest,
  ClientActionResponse,
  ClientActionStatus,
  CreateTaskRequest,
  HealthResponse,
  PollEventsResponse,
  PollQuery,
  ReadyResponse,
  StreamTicketRequest,
  StreamTicketResponse,
  TaskCreatedResponse,
  TaskStatus,
  TaskStatusResponse,
  TransportName,
} from './http';
// Routes and constants
export type { RouteName, RouteTemplates } from './routes';
export { createRouteTemplates, DEFAULT_ROUTES, expandRoute, routeParams } from './routes';
export type {
  A2AFailureCode,
  ClientErrorCode,
  TaskBridgeErrorCode,
  TaskBridgeErrorOptions,
  TaskFailureCode,
} from './taskbridge-error';
export { TaskBridgeError } from './taskbridge-error';
// Validation
export type {
  EventConformance,
  EventParseResult,
  ParseResult,
  ProtocolViolationCode,
  SchemaIssue,
} from './validation';
export {
  ProtocolValidationError,
  parseCancelTaskRequest,
  parseCancelTaskResponse,
  parseCapabilitiesResponse,
  parseClientActionRequest,
  parseClientActionResponse,
  parseCreateTaskRequest,
  parseErrorEnvelope,
  parseHistoryTrimmedSseData,
  parseJson,
  parsePollEventsResponse,
  parseServerFrame,
  parseSubscribeFrame,
  parseTaskCreatedResponse,
  parseTaskEvent,
  parseTaskStatusResponse,
} from './validation';
