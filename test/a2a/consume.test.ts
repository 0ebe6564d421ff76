/**
 * Consume: a remote A2A agent built with the SDK's own server (`DefaultRequestHandler` + an
 * `AgentExecutor`) runs as a TaskBridge task type through `a2aAgentHandler`, and a TaskBridge client
 * follows it over each transport. The agent streams numbered chunks, so "every chunk once, in order"
 * is checked against what the agent produced, and the client's events against the server's log.
 */
import type { TransportName } from '@taskbridge/protocol';
import { createDemoAuthResolver, demoHandlers, type TaskHandler } from '@taskbridge/server-reference';
import { a2aAgentHandler, a2aBridge, bearerAuth, dataPart } from '@taskbridge/server-reference/a2a';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { expectedChunks, type SdkAgent, startSdkAgent } from '../support/a2a-sdk-agent';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy';
import { readLog, terminalLog } from '../support/hazard-streams';
import { createNodeClient, FAST_CONNECTION, recordEvents, serverEventIds } from '../support/node-client';
import { startTestServer, type TestServer } from '../support/reference-server';

let agent: SdkAgent;
let proxy: FaultProxy;
let server: TestServer;
/** JSON-RPC methods the handler sent to the agent (through the proxy), in order. */
const methods: string[] = [];

const recordingFetch: typeof fetch = (input, init) => {
  if (typeof init?.body === 'string') methods.push((JSON.parse(init.body) as { method: string }).method);
  return fetch(input, init);
};

beforeAll(async () => {
  agent = await startSdkAgent();
  proxy = await startFaultProxy({ targetPort: agent.port, seed: 7 });
  const story = (url: string): TaskHandler =>
    a2aAgentHandler({
      url,
      card: agent.cardAt(url),
      fetch: recordingFetch,
      message: (ctx) => [dataPart(ctx.input)],
      reconnect: { baseMs: 20, maxMs: 200 },
    });
  server = await startTestServer({
    handlers: {
      ...demoHandlers,
      // Discovers the card itself; the other goes through the fault proxy.
      story: a2aAgentHandler({ url: agent.url, message: (ctx) => [dataPart(ctx.input)] }),
      'story-proxied': story(proxy.url),
      unreachable: a2aAgentHandler({
        url: 'http://127.0.0.1:9',
        reconnect: { attempts: 2, baseMs: 5, maxMs: 10 },
      }),
    },
  });
});

afterEach(() => {
  methods.length = 0;
});

afterAll(async () => {
  await server.close();
  await proxy.close();
  await agent.close();
});

const messagesOf = (events: readonly { type: string; payload: unknown }[]) =>
  events.flatMap((e) => (e.type === 'TASK_MESSAGE' ? [(e.payload as { message: string }).message] : []));

describe.each<TransportName>(['websocket', 'sse', 'polling'])(
  'followed by a TaskBridge client over %s',
  (transport) => {
    it('every artifact chunk becomes one TASK_MESSAGE, in order; the remote result completes the task', async () => {
      const { client } = createNodeClient(server.url, {
        forceTransport: transport,
        connection: FAST_CONNECTION,
      });
      const { taskId, stream } = await client.startTask({
        taskType: 'story',
        input: { chunks: 25, delayMs: 5, label: transport },
      });
      const recording = recordEvents(stream);
      await recording.done;
      client.close();
      expect(messagesOf(recording.events as never)).toEqual(expectedChunks(25, transport));
      expect(recording.events.map((e) => e.eventId)).toEqual(await serverEventIds(server, taskId));
      const last = recording.events.at(-1);
      expect(last?.type).toBe('TASK_COMPLETED');
      expect((last?.payload as { result: { text: string } }).result.text).toBe(
        expectedChunks(25, transport).join(''),
      );
    });

    it('an A2A stream cut mid-way is resumed with SubscribeToTask: still every chunk once, in order', async () => {
      const { client } = createNodeClient(server.url, {
        forceTransport: transport,
        connection: FAST_CONNECTION,
      });
      const executions = agent.executor.executions;
      const { taskId, stream } = await client.startTask({
        taskType: 'story-proxied',
        input: { chunks: 40, delayMs: 10, label: `cut-${transport}` },
      });
      const recording = recordEvents(stream);
      // Cut the A2A connection twice, each time once some chunks went through.
      for (const after of [8, 20]) {
        await vi.waitFor(async () =>
          expect(messagesOf(await readLog(server.request, taskId)).length).toBeGreaterThanOrEqual(after),
        );
        expect(proxy.kill()).toBeGreaterThan(0);
      }
      await recording.done;
      client.close();
      expect(messagesOf(recording.events as never)).toEqual(expectedChunks(40, `cut-${transport}`));
      expect(recording.events.map((e) => e.eventId)).toEqual(await serverEventIds(server, taskId));
      expect(recording.events.at(-1)?.type).toBe('TASK_COMPLETED');
      expect(methods.filter((m) => m === 'SubscribeToTask').length).toBeGreaterThanOrEqual(2);
      // One remote task: the message went once, the rest were resubscriptions.
      expect(methods.filter((m) => m === 'SendStreamingMessage')).toHaveLength(1);
      expect(agent.executor.executions - executions).toBe(1);
    });
  },
);

describe('remote turns and failures', () => {
  it('INPUT_REQUIRED suspends the task; the answer goes back as a new message on the same A2A task', async () => {
    const { client } = createNodeClient(server.url, { connection: FAST_CONNECTION });
    const { taskId, stream } = await client.startTask({
      taskType: 'story-proxied',
      input: { chunks: 4, askAfter: 1, label: 'turn' },
    });
    const recording = recordEvents(stream);
    const suspended = await vi.waitFor(() => {
      const event = recording.events.find((e) => e.type === 'TASK_SUSPENDED');
      if (!event) throw new Error('not suspended yet');
      return event;
    });
    expect(suspended.payload).toMatchObject({
      reasonCode: 'a2a_input_required',
      allowedActions: ['respond'],
      interaction: { question: 'Continue the story?' },
    });
    expect(await stream.submitAction('respond', { text: 'yes' })).toMatchObject({ status: 'ACCEPTED' });
    await recording.done;
    client.close();
    expect(messagesOf(recording.events as never)).toEqual([
      'turn-0 ',
      'turn-1 ',
      'answer:yes ',
      'turn-2 ',
      'turn-3 ',
    ]);
    expect(recording.events.at(-1)?.type).toBe('TASK_COMPLETED');
    expect(methods).toEqual(['SendStreamingMessage', 'SendStreamingMessage']);
    expect(await serverEventIds(server, taskId)).toEqual(recording.events.map((e) => e.eventId));
  });

  it("a FAILED remote task fails the TaskBridge task with A2A_TASK_FAILED and the agent's message", async () => {
    const taskId = await server.createTask('story', { chunks: 2, fail: true });
    const log = await vi.waitFor(() => terminalLog(server.request, taskId));
    expect(log.at(-1)).toMatchObject({
      type: 'TASK_FAILED',
      payload: { code: 'A2A_TASK_FAILED', message: 'the story fell apart', retryable: false },
    });
    expect(messagesOf(log)).toEqual(expectedChunks(2));
  });

  it('cancelling the TaskBridge task cancels the remote task (CancelTask)', async () => {
    const { client } = createNodeClient(server.url, { connection: FAST_CONNECTION });
    const { taskId, stream } = await client.startTask({
      taskType: 'story-proxied',
      input: { chunks: 500, delayMs: 20 },
    });
    await vi.waitFor(async () =>
      expect(messagesOf(await readLog(server.request, taskId)).length).toBeGreaterThan(2),
    );
    await stream.cancel();
    const log = await vi.waitFor(() => terminalLog(server.request, taskId));
    client.close();
    expect(log.at(-1)?.type).toBe('TASK_CANCELLED');
    await vi.waitFor(() => expect(methods).toContain('CancelTask'));
    await vi.waitFor(() => expect(agent.executor.cancelled.size).toBeGreaterThan(0));
  });

  it('an agent that stays unreachable fails the task with A2A_AGENT_UNREACHABLE (retryable)', async () => {
    const taskId = await server.createTask('unreachable', { text: 'hello' });
    const log = await vi.waitFor(() => terminalLog(server.request, taskId), { timeout: 10_000 });
    expect(log.at(-1)).toMatchObject({
      type: 'TASK_FAILED',
      payload: { code: 'A2A_AGENT_UNREACHABLE', retryable: true },
    });
  });
});

describe('a TaskBridge agent behind the bridge, followed through a2aAgentHandler (both directions)', () => {
  let remote: TestServer;
  let local: TestServer;

  beforeAll(async () => {
    // The remote refuses anonymous callers: credentials are required.
    remote = await startTestServer({
      handlers: demoHandlers,
      auth: createDemoAuthResolver({ anonymousSubject: null }),
      extensions: [a2aBridge()],
    });
    const summarizeVia = (auth?: ReturnType<typeof bearerAuth>): TaskHandler =>
      a2aAgentHandler({
        url: remote.url,
        ...(auth ? { auth } : {}),
        message: (ctx) => [dataPart({ taskType: 'summarize', input: ctx.input })],
      });
    local = await startTestServer({
      handlers: { 'remote-summarize': summarizeVia(bearerAuth('carol')), 'no-credentials': summarizeVia() },
    });
  });

  afterAll(async () => {
    await local.close();
    await remote.close();
  });

  it('the remote summary streams token by token and its result comes back as the task result', async () => {
    const text =
      'Rivers carry water to the sea. Cats sleep a lot. Rivers carry sediment to the sea and build deltas.';
    const taskId = await local.createTask('remote-summarize', { text, tokenDelayMs: 1 });
    const log = await vi.waitFor(() => terminalLog(local.request, taskId), { timeout: 10_000 });
    const completed = log.at(-1);
    expect(completed?.type).toBe('TASK_COMPLETED');
    const result = (completed?.payload as { result: { text: string; result: { summary: string } } }).result;
    expect(messagesOf(log).join('')).toBe(result.result.summary);
    expect(result.text).toBe(result.result.summary);
    // The remote ran it as carol's task.
    const remoteTask = await remote.request(
      `/api/v1/tasks/${(completed?.payload as { result: { taskId: string } }).result.taskId}`,
      {
        subject: 'carol',
      },
    );
    expect(remoteTask.status).toBe(200);
  });

  it('refused credentials fail the task with A2A_AUTH_FAILED', async () => {
    const taskId = await local.createTask('no-credentials', { text: 'One. Two.' });
    const log = await vi.waitFor(() => terminalLog(local.request, taskId), { timeout: 10_000 });
    expect(log.at(-1)).toMatchObject({
      type: 'TASK_FAILED',
      payload: { code: 'A2A_AUTH_FAILED', retryable: false },
    });
  });
});
