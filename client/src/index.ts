// @taskbridge/client: the framework-agnostic TaskBridge client. Explicit exports, grouped by section.

// Client
export type { ActiveTask, TaskBridgeClient, TaskBridgeClientOptions } from './client';
export { createTaskBridgeClient } from './client';
export type { StartedTask, StartTaskParams } from './task-starter';
export type { TaskStream, TaskStreamState } from './task-stream-api';
export type { SubmitActionOptions } from './task-commands';
export type { EnvironmentSource } from './environment';
export type { EnvironmentEvent } from './machine/events';
export type { Clock } from './clock';
export type { StreamInspectionEvent, StreamInspector } from './inspection';
export type { HistoryTrimmedInfo, HistoryTrimmedPolicy } from './history-trimmed';

// Task state
export type {
  TaskSnapshot,
  TaskSnapshotError,
  TaskSnapshotMessage,
  TaskSnapshotStatus,
  TaskSnapshotSuspension,
} from './task-snapshot';
export { initialTaskSnapshot, reduceTaskSnapshot } from './task-snapshot';
export type { ConnectionState, ConnectionStatus } from './connection-state';
export type { TabRole } from './machine/context';
export type { CrossTabOptions } from './cross-tab/environment';
export { IDLE_CONNECTION_STATE } from './connection-state';

// Wire types apps handle directly (re-exported so apps need not depend on the protocol package)
export type {
  JsonObject,
  TaskEvent,
  TaskEventType,
  TaskStatus,
  TerminalTaskEvent,
  HistoryTrimmed,
  TransportName,
  UnknownTaskEvent,
} from '@taskbridge/protocol';
export { isTerminalEvent } from '@taskbridge/protocol';

// Errors and diagnostics
export type { ClientErrorCode, TaskBridgeErrorCode } from '@taskbridge/protocol';
export { TaskBridgeError } from '@taskbridge/protocol';
export type { Diagnostic, DiagnosticListener } from './diagnostics';
export type { DuplicateReason } from './sequencer';

// Connection configuration
export type { ConnectionConfig, ConnectionConfigInput } from './machine/config';
export { DEFAULT_CONNECTION_CONFIG, resolveConnectionConfig } from './machine/config';
export type { BackoffOptions } from './machine/backoff';
export type { RequestRetryOptions } from './retry';
export type {
  ClientPlatform,
  ConnectionOptions,
  EventSourceConstructor,
  EventSourceLike,
  FetchFunction,
  WebSocketAuthMode,
  TransportContext,
  TransportContextHooks,
  WebSocketConstructor,
  WebSocketLike,
} from './platform';
export type { RouteFunction, RouteOptions } from './routes';
export { createTransportContext, EVENT_SOURCE_SENDS_HEADERS } from './platform';
export type { FileAttachment } from './http';

// Checkpoints
export type {
  Checkpoint,
  CheckpointRecord,
  CheckpointStore,
  PendingStart,
} from './checkpoint/checkpoint-store';
export { createMemoryCheckpointStore } from './checkpoint/memory';
export type { IndexedDbCheckpointStoreOptions } from './checkpoint/indexeddb';
export { createIndexedDbCheckpointStore } from './checkpoint/indexeddb';
export type { DefaultCheckpointStoreOptions, ResilientCheckpointStoreOptions } from './checkpoint/fallback';
export { createDefaultCheckpointStore, createResilientCheckpointStore } from './checkpoint/fallback';

// Transport health
export type { TransportHealthStore } from './machine/transport-health';
export {
  createLocalStorageTransportHealthStore,
  createMemoryTransportHealthStore,
} from './machine/transport-health';

// Transports (for custom transports and tests). The recovery machine stays internal: exporting it put
// XState's declarations into the public types, which fail an app's `tsc` under
// `exactOptionalPropertyTypes` with `skipLibCheck: false` (the packaging test checks both).
export type {
  PollingTransportOptions,
  Transport,
  TransportMessage,
  TransportRequest,
  TransportSink,
} from './transports/index';
export { createPollingTransport, createSseTransport, createWebSocketTransport } from './transports/index';
export type { MemoryScript, MemoryStep, MemoryTransportOptions } from './transports/memory';
export { MemoryTransport, memoryStep } from './transports/memory';
