// @vitest-environment happy-dom
// @vitest-environment-options {"settings":{"fetch":{"disableSameOriginPolicy":true}}}
import type { TaskBridgeClient } from '@taskbridge/client';
import { useTask, useTaskEvents, useTaskSelector } from '@taskbridge/react';
import { cleanup, render, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/reference-server';
import { ARTICLE, createTestClient, providerFor } from './support';

let srv: TestServer;
let client: TaskBridgeClient;
beforeEach(async () => {
  srv = await startTestServer();
  client = createTestClient(srv);
});
afterEach(async () => {
  cleanup();
  client.close();
  await srv.close();
});

const slow = { timeout: 5000 };

describe('under StrictMode (double render, mount/unmount/mount)', () => {
  it('starts one task and holds one network subscription for it', async () => {
    const subscriptions: number[] = [];
    function Summary() {
      const task = useTask({ taskType: 'summarize', input: { text: ARTICLE, tokenDelayMs: 20 } });
      if (task.status === 'running') subscriptions.push(srv.server.engine.subscriptionCount);
      return <p data-testid="status">{task.status}</p>;
    }
    render(<Summary />, { wrapper: providerFor(client), reactStrictMode: true });
    await waitFor(() => expect(screen.getByTestId('status').textContent).toBe('completed'), slow);
    expect(srv.server.engine.taskCount).toBe(1);
    expect(subscriptions.length).toBeGreaterThan(5);
    expect(new Set(subscriptions)).toEqual(new Set([1]));
  });

  it('useTaskEvents sees each event exactly once, in order', async () => {
    const { taskId } = await client.startTask({ taskType: 'ticker', input: { count: 30, intervalMs: 2 } });
    const seen: { eventId: string; type: string }[] = [];
    function Listener() {
      useTaskEvents(taskId, (event) => seen.push({ eventId: event.eventId, type: event.type }));
      const status = useTaskSelector(taskId, (s) => s.status);
      return <p data-testid="status">{status}</p>;
    }
    render(<Listener />, { wrapper: providerFor(client), reactStrictMode: true });
    await waitFor(() => expect(screen.getByTestId('status').textContent).toBe('completed'), slow);
    const ids = seen.map((e) => e.eventId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(seen.filter((e) => e.type === 'TASK_MESSAGE')).toHaveLength(30);
    expect(seen.at(-1)?.type).toBe('TASK_COMPLETED');
    expect(srv.server.engine.taskCount).toBe(1);
  });
});

describe('useTaskSelector', () => {
  it('re-renders only when the selected value changes', async () => {
    const { taskId } = await client.startTask({ taskType: 'ticker', input: { count: 60, intervalMs: 1 } });
    const rendered: string[] = [];
    function Status() {
      const status = useTaskSelector(taskId, (s) => s.status);
      rendered.push(status);
      return <p data-testid="status">{status}</p>;
    }
    render(<Status />, { wrapper: providerFor(client) });
    await waitFor(() => expect(screen.getByTestId('status').textContent).toBe('completed'), slow);
    expect(client.task(taskId).getSnapshot().eventCount).toBeGreaterThan(60);
    expect(rendered).toEqual(['idle', 'running', 'completed']);
  });
});
