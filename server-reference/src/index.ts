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

// HTTP adapter
export type { AuthRequest, AuthResolver, DemoAuthOptions } from './auth/auth';
export { createDemoAuthResolver } from './auth/auth';
export type { LogEntry, Logger } from './logger';
export { jsonLineLogger, silentLogger } from './logger';
export type { ExtensionHost, ServerExtension } from './extensions';
export type { ReferenceServerOptions, TransportSwitches, UploadOptions } from './options';
export type { ReferenceServer } from './server';
export { createReferenceServer } from './server';
