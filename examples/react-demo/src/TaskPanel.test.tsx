// @vitest-environment happy-dom
/**
 * The demo's task panel against the MSW kit (the demo handlers, no backend): what it shows once a task
 * ended, when the task cannot be followed any more, and which transport its badge names.
 */
import {
  createMemoryCheckpointStore,
  createMemoryTransportHealthStore,
  createTaskBridgeClient,
  type TaskBridgeClient,
} from '@taskbridge/client';
import { TaskBridgeProvider } from '@taskbridge/react';
import { createTaskBridgeHandlers } from '@taskbridge/server-reference/msw';
import { installMswNodeGlobals, setupTaskBridgeServer } from '@taskbridge/server-reference/msw/node';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Run } from './run-store';
import { TaskPanel } from './TaskPanel';

const restoreGlobals = installMswNodeGlobals();
const BASE_URL = 'http://demo.test';
const kit = createTaskBridgeHandlers({ baseUrl: BASE_URL });
const server = setupTaskBridgeServer(kit);

let client: TaskBridgeClient;
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  cleanup();
  client.close();
  kit.resetFaults();
});
afterAll(() => {
  kit.close();
  server.close();
  restoreGlobals();
});

function createClient(): TaskBridgeClient {
  client = createTaskBridgeClient({
    baseUrl: BASE_URL,
    getAccessToken: () => 'demo',
    checkpointStore: createMemoryCheckpointStore(),
    transportHealth: createMemoryTransportHealthStore(),
    connection: { openTimeoutMs: 300, firstFrameTimeoutMs: 300, backoff: { baseMs: 10, maxMs: 50 } },
    environment: null,
  });
  return client;
}

function showRun(run: Partial<Run> & Pick<Run, 'taskType'>): void {
  const full: Run = { resumeKey: `run-${Math.random()}`, input: {}, fileName: null, taskId: null, ...run };
  render(
    <TaskBridgeProvider client={client}>
      <TaskPanel run={full} files={[]} onReset={() => undefined} />
    </TaskBridgeProvider>,
  );
}

const byTestId = (id: string) => screen.getByTestId(id);
const statusShown = () => byTestId('task-status').dataset.status;
const TEXT = 'Rivers carry water to the sea. Rivers also carry sediment and sediment builds deltas. '.repeat(
  8,
);

describe('the demo once a task ended', () => {
  it('an approval task that completed says completed, not its last stage (awaiting_approval)', async () => {
    createClient();
    showRun({ taskType: 'approval' });
    fireEvent.click(await screen.findByTestId('approve'));
    await waitFor(() => expect(statusShown()).toBe('completed'));
    expect(byTestId('stage').textContent).toBe('100% · completed');
    expect(byTestId('progress').getAttribute('value')).toBe('100');
    expect(screen.queryByTestId('cancel')).toBeNull();
  });

  it('a task cancelled mid-stream says cancelled where it stopped, not "streaming"', async () => {
    createClient();
    showRun({ taskType: 'summarize', input: { text: TEXT, tokenDelayMs: 25 } });
    await waitFor(() => expect(byTestId('stage').textContent).toContain('streaming'), { timeout: 5000 });
    fireEvent.click(byTestId('cancel'));
    await waitFor(() => expect(statusShown()).toBe('cancelled'));
    expect(byTestId('stage').textContent).toMatch(/^\d+% · cancelled$/);
    expect(screen.queryByTestId('cancel')).toBeNull();
  });
});

describe('the demo when the task cannot be followed', () => {
  it('TASK_NOT_FOUND (e.g. the server restarted): no running status, no Cancel, the error shown', async () => {
    createClient();
    showRun({ taskType: 'summarize', taskId: 'task-the-server-forgot' });
    await waitFor(() => expect(byTestId('failure').textContent).toContain('TASK_NOT_FOUND'));
    expect(statusShown()).toBe('unreachable');
    expect(screen.queryByTestId('cancel')).toBeNull();
    expect(byTestId('stage').textContent).toBe('0% · stopped (TASK_NOT_FOUND)');
  });
});

describe('the transport badge', () => {
  it('names every transport the stream went live on, also those before the panel mounted, and the last one at the end', async () => {
    createClient();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    kit.registerHandler('gated', async (ctx) => {
      await ctx.message('before ');
      await gate;
      await ctx.message('after');
      return { done: true };
    });
    // The stream is already live on WebSocket when the panel mounts (a reload, another component).
    const { taskId, stream } = await client.startTask({ taskType: 'gated' });
    const followed = stream.snapshot$.subscribe();
    await waitFor(() => expect(stream.getConnectionState().status).toBe('live'));
    showRun({ taskType: 'summarize', taskId });
    await waitFor(() => expect(byTestId('transport-path').textContent).toBe('websocket'));

    kit.setFaults({ websocket: { kind: 'refuse' }, sse: { kind: 'refuse' } });
    kit.dropConnections();
    await waitFor(() => expect(byTestId('connection-badge').dataset.transport).toBe('polling'), {
      timeout: 5000,
    });
    release();
    await waitFor(() => expect(statusShown()).toBe('completed'));
    expect(byTestId('transport-path').textContent).toBe('websocket → polling');
    expect(byTestId('connection-badge').dataset.transport).toBe('polling');
    followed.unsubscribe();
  });
});
