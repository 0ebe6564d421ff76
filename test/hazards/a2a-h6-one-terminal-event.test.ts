/**
 * H6 in the A2A bridge — the producer contract: however a task ends, exactly one terminal event.
 * Exposed: a TaskBridge handler that returns, throws or is cancelled gives each A2A stream (streaming,
 * resubscribed, blocking) exactly one terminal state. Consumed: a remote agent's end — COMPLETED,
 * FAILED, REJECTED, CANCELED by someone else, or a buggy agent sending two terminal states — becomes
 * exactly one TaskBridge terminal event of the right kind, and a TaskBridge cancel stays the one
 * terminal event even though the remote reports CANCELED afterwards.
 */
import type { ServerResponse } from 'node:http';
import type { Client } from '@a2a-js/sdk/client';
import type { TaskEvent } from '@taskbridge/protocol';
import type { TaskHandler } from '@taskbridge/server-reference';
import { a2aAgentHandler, a2aBridge } from '@taskbridge/server-reference/a2a';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { collect, createA2AClient, lastStatus, startRequest, TaskState } from '../support/a2a-client';
import {
  beginSse,
  chunkResponse,
  type RpcCall,
  type ScriptedAgent,
  sendFrame,
  startScriptedAgent,
  statusResponse,
  taskResponse,
} from '../support/a2a-raw-agent';
import { type SdkAgent, startSdkAgent } from '../support/a2a-sdk-agent';
import { Gates } from '../support/hazard-deferred';
import { readLog, terminalLog } from '../support/hazard-streams';
import { startTestServer, type TestServer } from '../support/reference-server';

const TERMINAL = ['TASK_COMPLETED', 'TASK_FAILED', 'TASK_CANCELLED'];
const A2A_TERMINAL = new Set([
  TaskState.TASK_STATE_COMPLETED,
  TaskState.TASK_STATE_FAILED,
  TaskState.TASK_STATE_CANCELED,
  TaskState.TASK_STATE_REJECTED,
]);

const gates = new Gates();
/** `ending`: a message, waits for the gate `<taskId>`, then returns or throws as `input.end` says. */
const ending: TaskHandler = async (ctx) => {
  await ctx.message('working');
  await gates.wait(ctx.taskId);
  if (ctx.input.end === 'throw') throw new Error('handler threw');
  return { ended: ctx.input.end };
};

describe('H6 exposed: one terminal state per A2A stream', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ handlers: { ending }, extensions: [a2aBridge()] });
  });

  afterAll(async () => {
    await server.close();
  });

  const EXPECTED: Record<string, TaskState> = {
    return: TaskState.TASK_STATE_COMPLETED,
    throw: TaskState.TASK_STATE_FAILED,
    cancel: TaskState.TASK_STATE_CANCELED,
  };

  /** Resolves with the id of the next task the engine creates. */
  const nextTaskId = () =>
    new Promise<string>((resolve) => {
      const stop = server.server.engine.onTaskCreated((id) => {
        stop();
        resolve(id);
      });
    });

  /** Ends the gated task as asked, once its first message is stored. */
  async function endTask(client: Client, taskId: string, end: string): Promise<TaskEvent[]> {
    if (end === 'cancel') await client.cancelTask({ tenant: '', id: taskId, metadata: undefined });
    else gates.open(taskId);
    const log = await vi.waitFor(() => terminalLog(server.request, taskId));
    expect(log.filter((e) => TERMINAL.includes(e.type))).toHaveLength(1);
    return log;
  }

  it.each(['return', 'throw', 'cancel'])('streams: a handler that ends by %s', async (end) => {
    const { client } = await createA2AClient(server.url, '1.0');
    const created = nextTaskId();
    const streaming = collect(client.sendMessageStream(startRequest('ending', { end })));
    const taskId = await created;
    await vi.waitFor(async () =>
      expect((await readLog(server.request, taskId)).length).toBeGreaterThanOrEqual(2),
    );
    const attached = server.server.engine.subscriptionCount;
    const resubscribed = collect(client.resubscribeTask({ tenant: '', id: taskId }));
    await vi.waitFor(() => expect(server.server.engine.subscriptionCount).toBe(attached + 1));
    await endTask(client, taskId, end);
    for (const responses of [await streaming, await resubscribed]) {
      const terminalStates = responses.filter(
        (r) => r.payload?.$case === 'statusUpdate' && A2A_TERMINAL.has(r.payload.value.status?.state ?? 0),
      );
      expect(terminalStates).toHaveLength(1);
      expect(responses.at(-1)).toBe(terminalStates[0]);
      expect(lastStatus(responses).status?.state).toBe(EXPECTED[end]);
    }
    expect((await client.getTask({ tenant: '', id: taskId })).status?.state).toBe(EXPECTED[end]);
  });

  it.each(['return', 'throw', 'cancel'])('blocking SendMessage: a handler that ends by %s', async (end) => {
    const { client } = await createA2AClient(server.url, '1.0');
    const created = nextTaskId();
    const blocking = client.sendMessage(startRequest('ending', { end }));
    const taskId = await created;
    await vi.waitFor(async () =>
      expect((await readLog(server.request, taskId)).length).toBeGreaterThanOrEqual(2),
    );
    await endTask(client, taskId, end);
    const result = await blocking;
    expect('id' in result && result.status?.state).toBe(EXPECTED[end]);
  });
});

/** What the scripted remote does, chosen by the first message's text. */
const scripts: Record<string, (call: RpcCall, res: ServerResponse) => void> = {
  complete: (call, res) => end(call, res, [statusResponse('t', TaskState.TASK_STATE_COMPLETED)]),
  fail: (call, res) => end(call, res, [statusResponse('t', TaskState.TASK_STATE_FAILED, 'remote failure')]),
  reject: (call, res) =>
    end(call, res, [statusResponse('t', TaskState.TASK_STATE_REJECTED, 'not doing that')]),
  'cancelled-elsewhere': (call, res) =>
    end(call, res, [statusResponse('t', TaskState.TASK_STATE_CANCELED, 'an operator cancelled it')]),
  // A buggy agent: FAILED, then COMPLETED on the same stream. The first terminal state wins.
  double: (call, res) =>
    end(call, res, [
      statusResponse('t', TaskState.TASK_STATE_FAILED, 'first end'),
      statusResponse('t', TaskState.TASK_STATE_COMPLETED),
    ]),
};

function end(call: RpcCall, res: ServerResponse, finals: ReturnType<typeof statusResponse>[]): void {
  beginSse(res);
  sendFrame(res, call, taskResponse('t', TaskState.TASK_STATE_WORKING));
  sendFrame(res, call, chunkResponse('t', 'partial', false));
  for (const final of finals) sendFrame(res, call, final);
  res.end();
}

describe('H6 consumed: one TaskBridge terminal event per remote end', () => {
  let scripted: ScriptedAgent;
  let sdkAgent: SdkAgent;
  let local: TestServer;

  beforeAll(async () => {
    scripted = await startScriptedAgent((call, res) => {
      const message = call.params.message as { parts?: { text?: string }[] } | undefined;
      const name = message?.parts?.[0]?.text ?? '';
      (scripts[name] ?? scripts.complete)?.(call, res);
    });
    sdkAgent = await startSdkAgent();
    local = await startTestServer({
      handlers: {
        scripted: a2aAgentHandler({
          url: scripted.url,
          card: scripted.card,
          reconnect: { attempts: 2, baseMs: 5, maxMs: 10 },
        }),
        story: a2aAgentHandler({ url: sdkAgent.url }),
      },
    });
  });

  afterAll(async () => {
    await local.close();
    await sdkAgent.close();
    await scripted.close();
  });

  it.each([
    ['complete', 'TASK_COMPLETED', undefined],
    ['fail', 'TASK_FAILED', 'A2A_TASK_FAILED'],
    ['reject', 'TASK_FAILED', 'A2A_TASK_REJECTED'],
    ['cancelled-elsewhere', 'TASK_FAILED', 'A2A_TASK_CANCELED'],
    ['double', 'TASK_FAILED', 'A2A_TASK_FAILED'],
  ])('a remote that ends by %s', async (name, type, code) => {
    const taskId = await local.createTask('scripted', { text: name });
    const log = await vi.waitFor(() => terminalLog(local.request, taskId), { timeout: 5000 });
    expect(log.filter((e) => TERMINAL.includes(e.type))).toHaveLength(1);
    expect(log.at(-1)?.type).toBe(type);
    if (code) expect(log.at(-1)?.payload).toMatchObject({ code });
    expect(log.flatMap((e) => (e.type === 'TASK_MESSAGE' ? [e.payload.message] : []))).toEqual(['partial']);
  });

  it('a TaskBridge cancel is the one terminal event; the remote is cancelled too', async () => {
    const taskId = await local.createTask('story', { text: 'go' });
    await vi.waitFor(async () =>
      expect((await readLog(local.request, taskId)).some((e) => e.type === 'TASK_MESSAGE')).toBe(true),
    );
    const res = await local.request(`/api/v1/tasks/${taskId}/cancel`, { method: 'POST', subject: 'alice' });
    expect(res.status).toBe(202);
    const log = await vi.waitFor(() => terminalLog(local.request, taskId));
    await vi.waitFor(() => expect(sdkAgent.executor.cancelled.size).toBe(1));
    // Whatever the remote reports afterwards, nothing follows the TaskBridge terminal event.
    const again = await readLog(local.request, taskId);
    expect(again).toEqual(log);
    expect(log.filter((e) => TERMINAL.includes(e.type)).map((e) => e.type)).toEqual(['TASK_CANCELLED']);
  });
});
