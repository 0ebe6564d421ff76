// @taskbridge/react: React hooks over @taskbridge/client. Explicit exports, grouped by section.

// Provider
export type { TaskBridgeProviderProps } from './provider';
export { TaskBridgeProvider, useTaskBridgeClient } from './provider';

// Hooks
export type { AttachTaskOptions, StartTaskOptions, UseTaskOptions, UseTaskResult } from './use-task';
export { useTask } from './use-task';
export type { TaskStartRequest } from './use-task-start';
export { useTaskSelector } from './use-task-selector';
export { useTaskEvents } from './use-task-events';
