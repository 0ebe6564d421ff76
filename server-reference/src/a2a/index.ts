// @taskbridge/server-reference/a2a: the A2A bridge (needs the optional peer `@a2a-js/sdk`).
// Expose: TaskBridge task types as an A2A agent. Consume: an A2A agent as a TaskBridge task type.

// Expose
export type { AgentCardFields, AgentCardInput, SkillDescription } from './expose/agent-card';
export { buildAgentCard } from './expose/agent-card';
export type { StreamConnection } from './expose/caller';
export { connectionOf, TaskBridgeA2AUser } from './expose/caller';
export { toA2AError } from './expose/errors';
export { TaskBridgeAgentExecutor } from './expose/executor';
export { foldTask } from './expose/fold';
export type { FollowMode, FollowOptions } from './expose/follow';
export { followTask } from './expose/follow';
export type { TurnOptions } from './expose/message-turn';
export { runTurn } from './expose/message-turn';
export type { TaskBridgeRequestHandlerOptions } from './expose/request-handler';
export { TaskBridgeRequestHandler } from './expose/request-handler';
export type { A2ABridgeOptions } from './expose/router';
export { a2aBridge, createA2ARouter } from './expose/router';
export { EngineTaskStore } from './expose/task-store';
export {
  A2ATaskView,
  AUTH_REASON_CODES,
  CONTEXT_ID_KEY,
  EVENT_ID_KEY,
  isInterruptedState,
  isTerminalState,
  OUTPUT_ARTIFACT_ID,
  RESULT_ARTIFACT_ID,
} from './expose/task-view';

// Consume
export type { A2AAgentHandlerOptions, ReconnectOptions } from './consume/agent-handler';
export {
  a2aAgentHandler,
  defaultAnswerParts,
  defaultMessageParts,
  reconnectDelayMs,
} from './consume/agent-handler';
export type { RemoteAgentOptions, RemoteClient } from './consume/remote-client';
export { bearerAuth, createRemoteClient } from './consume/remote-client';
export type { FailureVerdict } from './consume/remote-failure';
export { classifyFailure, remoteFailure } from './consume/remote-failure';
export type { A2AAgentResult, RemoteOutcome, RemoteQuestion, RemoteTaskSink } from './consume/remote-task';
export { RemoteTaskTracker } from './consume/remote-task';

// Message parts
export type { JsonRecord, MessageFields } from './parts';
export {
  createArtifact,
  createMessage,
  dataOf,
  dataPart,
  isRecord,
  joinedText,
  textOf,
  textPart,
} from './parts';
