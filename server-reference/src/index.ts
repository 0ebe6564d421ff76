// @taskbridge/server-reference: the TaskBridge v1 reference server. Explicit exports, grouped by layer.

// Engine (transport-free)
export type { EventListener, EventPage, EventStore, NewTaskEvent, RetentionInfo } from './engine/event-store';
export type { MemoryEventStoreOptions } from './engine/memory-event-store';
export { createMemoryEventStore } from './engine/memory-event-store';
export type { Subscription, SubscriptionItem } from './engine/subscription';
export type { CreateTaskResult, PollOptions, TaskEngineOptions } from './engine/task-engine';
export { checkCursor, createTaskEngine, TaskEngine } from './engine/task-engine';
export type {
  ActionAnswer,
  Attachment,
  AuthContext,
  SuspendOptions,
  TaskContext,
  TaskHandler,
  TaskRecord,
  TaskYield,
} from './engine/types';

// Demo handlers
export type { SummarizeOptions, SummaryStats } from './handlers/index';
export {
  approval,
  createSummarizeHandler,
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
export type { ReferenceServerOptions, SubscriberBudget, TransportSwitches, UploadOptions } from './options';
export type { ReferenceServer } from './server';
export { createReferenceServer } from './server';
