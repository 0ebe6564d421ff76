/**
 * H1 in the A2A bridge — a stream that never ends on success. Exposed: every A2A stream
 * (SendStreamingMessage, SubscribeToTask; 1.0 and 0.3 method names) ends its HTTP response right after
 * the terminal state, for success, failure and cancel alike, and a SendStreamingMessage ends at
 * INPUT_REQUIRED (its answer opens a new stream). Consumed: a remote agent that sends its terminal
 * state and then keeps the stream open must not keep the TaskBridge task open — the handler ends on
 * the state, not on the remote's end of stream.
 */
import { TaskBridgeError } from '@taskbridge/protocol';
import type { TaskHandler } from '@taskbridge/server-reference';
import { a2aAgentHandler, a2aBridge } from '@taskbridge/server-reference/a2a';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { lastStateOf, openRawA2A, startParams, statusStates } from '../support/a2a-raw';
import {
  beginSse,
  chunkResponse,
  type ScriptedAgent,
  sendFrame,
  startScriptedAgent,
  statusResponse,
  taskResponse,
  TaskState,
} from '../support/a2a-raw-agent';
import { Gates } from '../support/hazard-deferred';
import { readLog, terminalLog } from '../support/hazard-streams';
import { startTestServer, type TestServer } from '../support/reference-server';

/** How soon after the terminal event the response must have ended, ms (loaded 2-core machine). */
const PROMPT_MS = 1500;

const gates = new Gates();
/** `held`: one message, then waits for the gate `<taskId>`, then ends as `input.end` says. */
const held: TaskHandler = async (ctx) => {
  await ctx.message('before');
  await gates.wait(ctx.taskId);
  if (ctx.input.end === 'fail')
    throw new TaskBridgeError({ code: 'INVALID_REQUEST', message: 'failed on purpose' });
  return { ok: true };
};

/** `ask`: one message, waits for the gate `<taskId>`, then asks (approve/reject), then completes. */
const ask: TaskHandler = async (ctx) => {
  await ctx.message('before');
  await gates.wait(ctx.taskId);
  const answer = await ctx.suspend({ reasonCode: 'confirm', allowedActions: ['approve', 'reject'] });
  return { answer: answer.actionType };
};

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ handlers: { held, ask }, extensions: [a2aBridge()] });
});

afterAll(async () => {
  await server.close();
});

/** Ends the held task as asked and returns when its terminal event was stored (ms since epoch). */
async function finish(taskId: string, end: string): Promise<number> {
  if (end === 'cancel') {
    const res = await server.request(`/api/v1/tasks/${taskId}/cancel`, { method: 'POST', subject: 'alice' });
    expect(res.status).toBe(202);
  } else {
    gates.open(taskId);
  }
  const log = await vi.waitFor(() =>
    readLog(server.request, taskId).then((events) => {
      const last = events.at(-1);
      if (!last || !['TASK_COMPLETED', 'TASK_FAILED', 'TASK_CANCELLED'].includes(last.type))
        throw new Error('not yet');
      return events;
    }),
  );
  return Date.parse(log.at(-1)?.createdAt ?? '');
}

const EXPECTED_STATE: Record<string, string> = {
  complete: 'TASK_STATE_COMPLETED',
  fail: 'TASK_STATE_FAILED',
  cancel: 'TASK_STATE_CANCELED',
};

describe.each(['complete', 'fail', 'cancel'])('exposed, a task that ends by %s', (end) => {
  it('ends the SendStreamingMessage response and every SubscribeToTask response right after the terminal state', async () => {
    const send = openRawA2A(server.url, 'SendStreamingMessage', startParams('held', { end }));
    await send.response;
    const taskId = await vi.waitFor(() => {
      const task = send.frames[0]?.data.result?.task as { id?: string } | undefined;
      if (!task?.id) throw new Error('no task yet');
      return task.id;
    });
    const subscribe = openRawA2A(server.url, 'SubscribeToTask', { id: taskId });
    const legacy = openRawA2A(server.url, 'tasks/resubscribe', { id: taskId }, { version: null });
    await vi.waitFor(() => expect(subscribe.frames.length + legacy.frames.length).toBeGreaterThanOrEqual(2));
    const terminalAt = await finish(taskId, end);
    for (const stream of [send, subscribe]) {
      const endedAt = await stream.ended;
      expect(endedAt - terminalAt).toBeLessThan(PROMPT_MS);
      expect(statusStates(stream.frames).at(-1)).toBe(EXPECTED_STATE[end]);
      expect(statusStates(stream.frames).filter((s) => s === EXPECTED_STATE[end])).toHaveLength(1);
    }
    expect((await legacy.ended) - terminalAt).toBeLessThan(PROMPT_MS);
    const last = legacy.frames.at(-1)?.data.result as { final?: boolean } | undefined;
    expect(last?.final).toBe(true);
  });
});

describe('exposed, interruptions', () => {
  it('INPUT_REQUIRED ends a SendStreamingMessage; a SubscribeToTask waits for the answer and ends at the end', async () => {
    const send = openRawA2A(server.url, 'SendStreamingMessage', startParams('ask', {}));
    const taskId = await vi.waitFor(() => {
      const task = send.frames[0]?.data.result?.task as { id?: string } | undefined;
      if (!task?.id) throw new Error('no task yet');
      return task.id;
    });
    const subscribe = openRawA2A(server.url, 'SubscribeToTask', { id: taskId });
    await vi.waitFor(() => expect(subscribe.frames.length).toBeGreaterThanOrEqual(1));
    // The question arrives live, on both streams.
    gates.open(taskId);
    const endedAt = await send.ended;
    const suspended = (await readLog(server.request, taskId)).find((e) => e.type === 'TASK_SUSPENDED');
    expect(endedAt - Date.parse(suspended?.createdAt ?? '')).toBeLessThan(PROMPT_MS);
    expect(statusStates(send.frames).at(-1)).toBe('TASK_STATE_INPUT_REQUIRED');
    // The subscriber also saw the question, and its stream ended there too (the next turn is a new stream).
    expect((await subscribe.ended) - Date.parse(suspended?.createdAt ?? '')).toBeLessThan(PROMPT_MS);
    // A subscription opened during the question waits for the answer, then ends with the task.
    const waiting = openRawA2A(server.url, 'SubscribeToTask', { id: taskId });
    await vi.waitFor(() => expect(waiting.frames.length).toBe(1));
    const answer = openRawA2A(server.url, 'SendStreamingMessage', {
      message: { messageId: crypto.randomUUID(), taskId, role: 'ROLE_USER', parts: [{ text: 'approve' }] },
    });
    await answer.ended;
    const doneAt = Date.parse((await terminalLog(server.request, taskId)).at(-1)?.createdAt ?? '');
    expect((await waiting.ended) - doneAt).toBeLessThan(PROMPT_MS);
    expect(statusStates(waiting.frames).at(-1)).toBe('TASK_STATE_COMPLETED');
    expect(lastStateOf(answer.frames)).toBe('TASK_STATE_COMPLETED');
  });
});

describe('consumed, a remote agent that never closes its stream', () => {
  let agent: ScriptedAgent;
  let local: TestServer;

  beforeAll(async () => {
    agent = await startScriptedAgent((call, res) => {
      beginSse(res);
      sendFrame(res, call, taskResponse('r1', TaskState.TASK_STATE_WORKING));
      sendFrame(res, call, chunkResponse('r1', 'only chunk', false));
      sendFrame(res, call, statusResponse('r1', TaskState.TASK_STATE_COMPLETED));
      // …and the response stays open.
    });
    local = await startTestServer({
      handlers: { remote: a2aAgentHandler({ url: agent.url, card: agent.card }) },
    });
  });

  afterAll(async () => {
    await local.close();
    await agent.close();
  });

  it('ends the TaskBridge task at the remote terminal state, with one terminal event', async () => {
    const startedAt = Date.now();
    const taskId = await local.createTask('remote', { text: 'go' });
    const log = await vi.waitFor(() => terminalLog(local.request, taskId), { timeout: 5000 });
    expect(Date.parse(log.at(-1)?.createdAt ?? '') - startedAt).toBeLessThan(PROMPT_MS);
    expect(log.filter((e) => e.type === 'TASK_COMPLETED')).toHaveLength(1);
    expect(
      log.filter((e) => e.type === 'TASK_MESSAGE').map((e) => e.type === 'TASK_MESSAGE' && e.payload.message),
    ).toEqual(['only chunk']);
    expect(agent.open.size).toBe(1);
  });
});
