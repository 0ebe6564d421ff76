// @taskbridge/server-reference: the TaskBridge v1 reference server. Explicit exports, grouped by layer.

// Engine (transport-free)
export type { Subscription, SubscriptionItem } from './engine/subscription';
export type { CreateTaskResult, PollOptions, TaskEngineOptions } from './engine/task-engine';
export { createTaskEngine, TaskEngine } from './engine/task-engine';
export { checkCursor, MAX_JSON_DEPTH } from './engine/validation';
export type { EngineLimitOptions, EngineLimits } from './engine/limits';
export {
  DEFAULT_MAX_EVENT_PAYLOAD_BYTES,
  DEFAULT_MAX_EVENTS_WRITTEN_PER_TASK,
  DEFAULT_MAX_IN_FLIGHT_TASKS_PER_SUBJECT,
  DEFAULT_MAX_STREAMS,
  DEFAULT_MAX_STREAMS_PER_SUBJECT,
  DEFAULT_MAX_TASK_BYTES,
  DEFAULT_TASK_DEADLINE_MS,
  resolveEngineLimits,
} from './engine/limits';
export { MAX_TIMER_DELAY_MS } from './engine/runner/long-timeout';

// Runtimes: what runs the handlers (in-process here; BullMQ workers in `/worker`)
export type { RuntimeContext, TaskRuntime, TaskRuntimeFactory } from './runtime/runtime';
export type { InProcessRuntime } from './runtime/in-process';
export { createInProcessRuntime } from './runtime/in-process';

// Engine state: the backend interfaces and the memory backend
export type { RetentionOptions, RetentionSettings, TaskBridgeBackend } from './engine/state/backend';
export type { ControlChannel, ControlListener, ControlMessage } from './engine/state/control-channel';
export type {
  AppendOptions,
  AppendResult,
  EventListener,
  EventPage,
  EventStore,
  LiveOptions,
  NewTaskEvent,
  StreamHead,
} from './engine/state/event-store';
export { isCursorTrimmed } from './engine/state/history-trimmed';
export type { IdempotencyRecord, IdempotencyStore } from './engine/state/idempotency-store';
export type {
  ActionDecision,
  ActionRequestToDecide,
  SuspensionRecord,
  SuspensionStore,
} from './engine/state/suspension-store';
export type { StoredTask, TaskPatch, TaskRegistry } from './engine/state/task-registry';
export type { MemoryBackendOptions } from './engine/state/memory/memory-backend';
export {
  createMemoryBackend,
  DEFAULT_FINISHED_TASK_TTL_MS,
  DEFAULT_IDEMPOTENCY_TTL_MS,
  DEFAULT_MAX_EVENTS_PER_TASK,
  resolveRetention,
} from './engine/state/memory/memory-backend';
export type { MemoryEventStore, MemoryEventStoreOptions } from './engine/state/memory/memory-event-store';
export { createMemoryEventStore } from './engine/state/memory/memory-event-store';

// The Redis backend (many server processes on one Redis)
export type { RedisBackendOptions, RedisConnectionSpec } from './engine/state/redis/index';
export {
  BACKEND_UNAVAILABLE,
  createRedisBackend,
  DEFAULT_COMMAND_TIMEOUT_MS,
  DEFAULT_REDIS_KEY_PREFIX,
} from './engine/state/redis/index';
export type {
  ActionAnswer,
  Attachment,
  AuthContext,
  SuspendOptions,
  TaskContext,
  TaskHandler,
  TaskInputValidator,
  TaskRecord,
  TaskYield,
} from './engine/types';

// Demo handlers
export type { SummarizeOptions, SummaryStats, TickerOptions } from './handlers/index';
export {
  approval,
  createSummarizeHandler,
  createTickerHandler,
  demoHandlers,
  extractiveSummary,
  fail,
  greet,
  ticker,
} from './handlers/index';

// Auth: resolvers, stream tickets, cross-site checks
export type { AuthRequest, AuthResolver } from './auth/auth';
export type { DemoAuthOptions } from './auth/demo';
export { createDemoAuthResolver } from './auth/demo';
export type { JwtAuthOptions } from './auth/jwt';
export { createJwtAuthResolver } from './auth/jwt';
export type { MemoryTicketStoreOptions } from './auth/memory-ticket-store';
export { createMemoryTicketStore } from './auth/memory-ticket-store';
export type { OriginCheckRequest } from './auth/origin-check';
export { checkRequestOrigin } from './auth/origin-check';
export type { StreamTicketOptions, StreamTickets } from './auth/stream-tickets';
export { createStreamTickets } from './auth/stream-tickets';
export type { TicketGrant, TicketStore } from './auth/ticket-store';

// HTTP adapter
export type { LogEntry, Logger } from './logger';
export { jsonLineLogger, silentLogger } from './logger';
export type { ExtensionHost, ServerExtension } from './extensions';
export type { ReferenceServerOptions, SubscriberBudget, TransportSwitches, UploadOptions } from './options';
export type { ReferenceServer } from './server';
export { createReferenceServer } from './server';
