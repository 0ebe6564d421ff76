/**
 * H5 in the A2A bridge — an unchecked HTTP status on a stream. Consumed: whatever a remote agent
 * answers a stream request with (401, 404, 429, 500, a 2xx HTML page, an SSE response that ends
 * without a task, a JSON-RPC error), the TaskBridge task must fail with the right typed error or retry
 * as classified — never end as if the agent had produced nothing. Exposed: a refused caller gets an
 * HTTP 401 envelope the SDK client reports as an error, not an empty stream.
 */
import { createDemoAuthResolver } from '@taskbridge/server-reference';
import { a2aAgentHandler, a2aBridge } from '@taskbridge/server-reference/a2a';
import type { ServerResponse } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { collect, createA2AClient, startRequest } from '../support/a2a-client';
import {
  beginSse,
  chunkResponse,
  type RpcCall,
  type ScriptedAgent,
  sendFrame,
  startScriptedAgent,
  statusResponse,
  taskResponse,
  TaskState,
} from '../support/a2a-raw-agent';
import { terminalLog } from '../support/hazard-streams';
import { startTestServer, type TestServer } from '../support/reference-server';

/** A bad answer, given to the first `times` calls; later calls get a good stream. */
interface BadAnswer {
  name: string;
  times: number;
  answer(call: RpcCall, res: ServerResponse): void;
}

function goodStream(call: RpcCall, res: ServerResponse): void {
  beginSse(res);
  sendFrame(res, call, taskResponse('good', TaskState.TASK_STATE_WORKING));
  sendFrame(res, call, chunkResponse('good', 'the real answer', false));
  sendFrame(res, call, statusResponse('good', TaskState.TASK_STATE_COMPLETED));
  res.end();
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

let script: BadAnswer;
let agent: ScriptedAgent;
let local: TestServer;

beforeAll(async () => {
  agent = await startScriptedAgent((call, res) => {
    const calls = agent.calls.length;
    if (calls <= script.times) script.answer(call, res);
    else goodStream(call, res);
  });
  local = await startTestServer({
    handlers: {
      remote: a2aAgentHandler({
        url: agent.url,
        card: agent.card,
        reconnect: { attempts: 4, baseMs: 5, maxMs: 20 },
      }),
    },
  });
});

afterEach(() => {
  agent.calls.length = 0;
});

afterAll(async () => {
  await local.close();
  await agent.close();
});

async function run(answer: BadAnswer) {
  script = answer;
  const taskId = await local.createTask('remote', { text: 'go' });
  const log = await vi.waitFor(() => terminalLog(local.request, taskId), { timeout: 10_000 });
  return {
    log,
    last: log.at(-1),
    messages: log.flatMap((e) => (e.type === 'TASK_MESSAGE' ? [e.payload.message] : [])),
  };
}

describe('H5 consumed: final answers fail the task with a typed error, at once', () => {
  it.each<[string, number, (call: RpcCall, res: ServerResponse) => void, string]>([
    [
      '401',
      1,
      (_c, res) => json(res, 401, { code: 'AUTHENTICATION_ERROR', message: 'who are you' }),
      'A2A_AUTH_FAILED',
    ],
    [
      '403',
      1,
      (_c, res) => json(res, 403, { code: 'TASK_OWNERSHIP_ERROR', message: 'no' }),
      'A2A_AUTH_FAILED',
    ],
    [
      '404 HTML',
      1,
      (_c, res) => {
        res.writeHead(404, { 'content-type': 'text/html' });
        res.end('<h1>Not Found</h1>');
      },
      'A2A_AGENT_ERROR',
    ],
    [
      'a JSON-RPC error (task not found)',
      1,
      (call, res) =>
        json(res, 200, { jsonrpc: '2.0', id: call.id, error: { code: -32001, message: 'Task not found' } }),
      'A2A_AGENT_ERROR',
    ],
  ])('%s', async (name, times, answer, code) => {
    const { last, messages } = await run({ name, times, answer });
    expect(last).toMatchObject({ type: 'TASK_FAILED', payload: { code, retryable: false } });
    expect(messages).toEqual([]);
    expect(agent.calls).toHaveLength(1);
  });
});

describe('H5 consumed: passing failures are retried, then the real answer is streamed', () => {
  it.each<[string, (call: RpcCall, res: ServerResponse) => void]>([
    ['500', (_c, res) => json(res, 500, { error: 'boom' })],
    ['429', (_c, res) => json(res, 429, { error: 'slow down' })],
    [
      '503 HTML',
      (_c, res) => {
        res.writeHead(503, { 'content-type': 'text/html' });
        res.end('<h1>Bad gateway</h1>');
      },
    ],
    [
      '200 HTML (a proxy page)',
      (_c, res) => {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html>login</html>');
      },
    ],
    [
      '200 event-stream that ends with no events',
      (_c, res) => {
        beginSse(res);
        res.end();
      },
    ],
    [
      'a JSON-RPC internal error',
      (call, res) =>
        json(res, 200, { jsonrpc: '2.0', id: call.id, error: { code: -32603, message: 'try later' } }),
    ],
  ])('%s', async (name, answer) => {
    const { last, messages } = await run({ name, times: 2, answer });
    expect(messages).toEqual(['the real answer']);
    expect(last?.type).toBe('TASK_COMPLETED');
    expect(agent.calls.map((c) => c.method)).toEqual([
      'SendStreamingMessage',
      'SendStreamingMessage',
      'SendStreamingMessage',
    ]);
  });

  it('an agent that never recovers fails the task with A2A_AGENT_UNREACHABLE (retryable)', async () => {
    const { last } = await run({ name: '500 forever', times: 100, answer: (_c, res) => json(res, 500, {}) });
    expect(last).toMatchObject({
      type: 'TASK_FAILED',
      payload: { code: 'A2A_AGENT_UNREACHABLE', retryable: true },
    });
    expect(agent.calls).toHaveLength(5);
  });
});

describe('H5 exposed: a refused caller', () => {
  let guarded: TestServer;

  beforeAll(async () => {
    guarded = await startTestServer({
      auth: createDemoAuthResolver({ anonymousSubject: null }),
      extensions: [a2aBridge()],
    });
  });

  afterAll(async () => {
    await guarded.close();
  });

  it('gets HTTP 401 with the envelope; the SDK client reports it instead of an empty stream', async () => {
    const res = await fetch(`${guarded.url}/a2a`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'SubscribeToTask', params: { id: 'x' } }),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toMatchObject({ code: 'AUTHENTICATION_ERROR' });
    const { client } = await createA2AClient(guarded.url, '1.0', '');
    await expect(collect(client.sendMessageStream(startRequest('greet', {})))).rejects.toThrow(/401/);
    await expect(collect(client.resubscribeTask({ tenant: '', id: 'x' }))).rejects.toThrow(/401/);
  });
});
