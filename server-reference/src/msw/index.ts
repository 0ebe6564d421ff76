// @taskbridge/server-reference/msw: the reference server as MSW 2 handlers. Explicit exports.

// Kit
export type { TaskBridgeHandlersOptions, TaskBridgeMswKit } from './kit';
export { createTaskBridgeHandlers } from './kit';

// Faults
export type {
  AuthFault,
  FaultCount,
  HistoryFault,
  LatencyFault,
  PollingFault,
  SseFault,
  TaskBridgeFaults,
  WebSocketFault,
} from './faults';

// Scripting
export type { ScriptStep } from './scripted-task';
export { scriptedTask } from './scripted-task';
