// @vitest-environment node
// Node, not happy-dom: server rendering must work where `window`, `document`, `indexedDB` and
// `localStorage` do not exist at all.
import {
  createMemoryCheckpointStore,
  createTaskBridgeClient,
  type TaskBridgeClient,
} from '@taskbridge/client';
import { TaskBridgeProvider, useTask, useTaskSelector } from '@taskbridge/react';
import { renderToString } from 'react-dom/server';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

let client: TaskBridgeClient;
beforeEach(() => {
  client = createTaskBridgeClient({
    baseUrl: 'http://127.0.0.1:9',
    checkpointStore: createMemoryCheckpointStore(),
    environment: null,
  });
});
afterEach(() => {
  client.close();
  vi.restoreAllMocks();
});

function Summary() {
  const task = useTask({ taskType: 'summarize', input: { text: 'Hello there.' }, resumeKey: 'ssr' });
  const progress = useTaskSelector(task.taskId, (s) => s.progress ?? 0);
  return <p>{`${task.status}|${task.connection.status}|${progress}|${task.text}`}</p>;
}

function Attached() {
  const task = useTask({ taskId: 'task-1' });
  return <p>{`${task.taskId}|${task.status}|${task.connection.status}`}</p>;
}

describe('server rendering', () => {
  it('renders the idle state of a task to start, and starts nothing', () => {
    expect(typeof (globalThis as { window?: unknown }).window).toBe('undefined');
    const startTask = vi.spyOn(client, 'startTask');
    const html = renderToString(
      <TaskBridgeProvider client={client}>
        <Summary />
      </TaskBridgeProvider>,
    );
    expect(html).toBe('<p>idle|idle|0|</p>');
    expect(startTask).not.toHaveBeenCalled();
  });

  it('renders the idle state of a task to attach to, without opening its stream', () => {
    const task = vi.spyOn(client, 'task');
    const html = renderToString(
      <TaskBridgeProvider client={client}>
        <Attached />
      </TaskBridgeProvider>,
    );
    expect(html).toBe('<p>task-1|idle|idle</p>');
    expect(task).not.toHaveBeenCalled();
  });
});
