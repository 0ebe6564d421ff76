// @vitest-environment happy-dom
// @vitest-environment-options {"settings":{"fetch":{"disableSameOriginPolicy":true}}}
import type { TaskBridgeClient } from '@taskbridge/client';
import { type UseTaskOptions, type UseTaskResult, useTask } from '@taskbridge/react';
import { act, cleanup, render, screen, waitFor } from '@testing-library/react';
import { Component, type ReactNode } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
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
  vi.restoreAllMocks();
});

const slow = { timeout: 5000 };
const SUMMARIZE = { taskType: 'summarize', input: { text: ARTICLE, tokenDelayMs: 20, maxSentences: 3 } };

/** Renders `useTask(options)`, keeping every result it rendered; the latest is `renders.at(-1)`. */
function renderTask(options: UseTaskOptions) {
  const renders: UseTaskResult[] = [];
  function Probe() {
    const task = useTask(options);
    renders.push(task);
    return (
      <p data-testid="status">
        {task.status}/{task.connection.status}
      </p>
    );
  }
  const view = render(<Probe />, { wrapper: providerFor(client) });
  const latest = () => {
    const task = renders.at(-1);
    if (task === undefined) throw new Error('not rendered');
    return task;
  };
  return { renders, latest, unmount: view.unmount };
}

const statusIs = (status: string) =>
  waitFor(() => expect(screen.getByTestId('status').textContent).toMatch(new RegExp(`^${status}/`)), slow);

describe('useTask against the reference server', () => {
  it('renders streamed text incrementally, then the full summary', async () => {
    const { renders, latest } = renderTask(SUMMARIZE);
    await statusIs('completed');
    const summary = (latest().result as { summary: string }).summary;
    expect(summary.split(' ').length).toBeGreaterThan(10);
    expect(latest().text).toBe(summary);
    const partial = renders.map((r) => r.text).filter((t) => t.length > 0 && t.length < summary.length);
    expect(partial.length).toBeGreaterThan(1);
    for (const text of partial) expect(summary.startsWith(text)).toBe(true);
    expect(latest().connection).toMatchObject({ status: 'done', attempt: 0 });
    expect(
      renders.some((r) => r.connection.status === 'live' && r.connection.transport === 'websocket'),
    ).toBe(true);
  });

  it('renders progress and stage as they arrive', async () => {
    const { renders, latest } = renderTask(SUMMARIZE);
    await statusIs('completed');
    const progress = renders.map((r) => r.progress);
    expect(progress[0]).toBeNull();
    expect(progress.some((p) => p !== null && p > 0 && p < 100)).toBe(true);
    expect(renders.map((r) => r.stage)).toContain('streaming');
    expect(latest()).toMatchObject({ progress: 100, stage: 'done' });
  });

  it('shows the suspension, then resumes to completion after submitAction("approve")', async () => {
    const { latest } = renderTask({ taskType: 'approval', input: { question: 'Ship it?' } });
    await statusIs('suspended');
    expect(latest().suspension).toMatchObject({
      allowedActions: ['approve', 'reject'],
      interaction: { question: 'Ship it?' },
    });
    await act(() => latest().submitAction('approve', { comment: 'lgtm' }));
    await statusIs('completed');
    expect(latest().suspension).toBeNull();
    expect(latest().result).toEqual({ approved: true, by: 'alice', comment: 'lgtm' });
  });

  it('cancels a running task', async () => {
    const { latest } = renderTask({ taskType: 'ticker', input: { count: 100_000, intervalMs: 10 } });
    await waitFor(() => expect(latest().text).toContain('tick 2'), slow);
    await act(() => latest().cancel('user clicked stop'));
    await statusIs('cancelled');
    expect(latest().failure).toBeNull();
  });

  it('reports a failed task as data', async () => {
    const { latest } = renderTask({ taskType: 'fail', input: { message: 'disk on fire' } });
    await statusIs('failed');
    expect(latest().error).toEqual({
      code: 'TASK_EXECUTION_FAILED',
      message: 'disk on fire',
      retryable: false,
    });
    expect(latest().failure).toBeNull();
  });

  it('attaches to an existing task by taskId', async () => {
    const taskId = await srv.createTask('ticker', { count: 5 });
    const { latest } = renderTask({ taskId });
    await statusIs('completed');
    expect(latest().taskId).toBe(taskId);
    expect(latest().text).toBe('tick 1tick 2tick 3tick 4tick 5');
  });

  it('reports an unknown task as failure data, without throwing', async () => {
    const { latest } = renderTask({ taskId: 'does-not-exist' });
    await waitFor(() => expect(latest().failure?.code).toBe('TASK_NOT_FOUND'), slow);
    expect(latest().connection.status).toBe('failed');
    await expect(latest().restart()).rejects.toMatchObject({ code: 'USAGE_ERROR' });
  });

  it('throws to an error boundary with throwOnError', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    class Boundary extends Component<{ children: ReactNode }, { code: string | null }> {
      override state = { code: null };
      static getDerivedStateFromError(error: unknown) {
        return { code: error instanceof Error && 'code' in error ? String(error.code) : 'unknown' };
      }
      override render() {
        return this.state.code === null ? (
          this.props.children
        ) : (
          <p data-testid="boundary">{this.state.code}</p>
        );
      }
    }
    function Task() {
      const task = useTask({ taskId: 'does-not-exist', throwOnError: true });
      return <p>{task.status}</p>;
    }
    render(
      <Boundary>
        <Task />
      </Boundary>,
      { wrapper: providerFor(client) },
    );
    await waitFor(() => expect(screen.getByTestId('boundary').textContent).toBe('TASK_NOT_FOUND'), slow);
  });

  it('closes the connection after the detach grace when unmounted mid-stream', async () => {
    const { latest, unmount } = renderTask(SUMMARIZE);
    await waitFor(() => expect(latest().text).not.toBe(''), slow);
    expect(srv.server.engine.subscriptionCount).toBe(1);
    unmount();
    // Still attached during the grace period (a StrictMode remount would reuse it)…
    expect(srv.server.engine.subscriptionCount).toBe(1);
    // …and closed once it has passed.
    await vi.waitFor(() => expect(srv.server.engine.subscriptionCount).toBe(0), slow);
    expect(latest().status).toBe('running');
  });
});
