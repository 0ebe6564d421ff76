// @vitest-environment happy-dom
/**
 * A React component tested against the MSW kit: no backend, the same engine and protocol as the
 * reference server, and faults scripted per test.
 */
import { installMswNodeGlobals, setupTaskBridgeServer } from '@taskbridge/server-reference/msw/node';
import {
  createMemoryCheckpointStore,
  createMemoryTransportHealthStore,
  createTaskBridgeClient,
  type TaskBridgeClient,
} from '@taskbridge/client';
import { TaskBridgeProvider } from '@taskbridge/react';
import { createTaskBridgeHandlers, scriptedTask } from '@taskbridge/server-reference/msw';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ChatAnswer } from './chat-answer';

// Node 20 lacks WebSocket/EventSource globals; MSW needs them before `listen()` (happy-dom's are kept).
const restoreGlobals = installMswNodeGlobals();
const BASE_URL = 'http://api.example.test';
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

function renderChat(taskType: string, prompt: string) {
  client = createTaskBridgeClient({
    baseUrl: BASE_URL,
    getAccessToken: () => 'alice',
    checkpointStore: createMemoryCheckpointStore(),
    transportHealth: createMemoryTransportHealthStore(),
    connection: { openTimeoutMs: 300, firstFrameTimeoutMs: 300, backoff: { baseMs: 10, maxMs: 50 } },
    environment: null,
  });
  return render(
    <TaskBridgeProvider client={client}>
      <ChatAnswer taskType={taskType} prompt={prompt} />
    </TaskBridgeProvider>,
  );
}

const text = (testId: string) => screen.getByTestId(testId).textContent;

describe('<ChatAnswer> on the MSW kit', () => {
  it('renders the streamed tokens, then the completed answer', async () => {
    kit.registerHandler(
      'chat',
      scriptedTask([
        { type: 'message', message: 'Hel', delayMs: 10 },
        { type: 'message', message: 'lo', delayMs: 10 },
        { type: 'message', message: '!', delayMs: 10 },
        { type: 'complete', result: { text: 'Hello!' } },
      ]),
    );
    renderChat('chat', 'greet me');
    await waitFor(() => expect(text('status')).toBe('completed'));
    expect(text('answer')).toBe('Hello!');
  });

  it('three tokens, then the WebSocket is blocked, then it completes over SSE', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    kit.registerHandler('gated-chat', async (ctx) => {
      for (const token of ['Hel', 'lo', ' world']) await ctx.message(token);
      await gate;
      await ctx.message('!');
      return { text: 'Hello world!' };
    });
    renderChat('gated-chat', 'blocked');
    await waitFor(() => expect(text('answer')).toBe('Hello world'));
    expect(text('transport')).toBe('websocket');

    kit.setFaults({ websocket: { kind: 'refuse' } });
    kit.dropConnections();
    await waitFor(() => expect(text('transport')).toBe('sse'));
    release();

    await waitFor(() => expect(text('status')).toBe('completed'));
    expect(text('answer')).toBe('Hello world!');
  });

  it('shows an approve button while suspended, and completes once clicked', async () => {
    kit.registerHandler(
      'approve-chat',
      scriptedTask([
        { type: 'message', message: 'Send the email?' },
        { type: 'suspend', reasonCode: 'confirm_send', allowedActions: ['approve', 'reject'] },
        { type: 'complete', resultFrom: (answers) => ({ sent: answers[0]?.actionType === 'approve' }) },
      ]),
    );
    renderChat('approve-chat', 'send it');
    fireEvent.click(await screen.findByRole('button', { name: 'Approve' }));
    await waitFor(() => expect(text('status')).toBe('completed'));
    expect(text('result')).toBe('{"sent":true}');
    expect(screen.queryByRole('button', { name: 'Approve' })).toBeNull();
  });

  it('renders the typed error when the server refuses the credentials', async () => {
    kit.registerHandler('chat', scriptedTask([{ type: 'complete' }]));
    kit.setFaults({ auth: { kind: 'unauthorized', routes: ['create'] } });
    renderChat('chat', 'no access');
    expect((await screen.findByRole('alert')).textContent).toBe('AUTHENTICATION_ERROR');
  });
});
