/**
 * Expose: the reference server's task types driven as an A2A agent by the A2A SDK's own client
 * (`ClientFactory`, JSON-RPC), over the 1.0 wire and the 0.3 legacy method names. Each stream is
 * compared with the TaskBridge event log it stands for: the output chunks are exactly the task's
 * `TASK_MESSAGE`s, in order, once.
 */
import type { Task } from '@a2a-js/sdk';
import type { TaskEvent } from '@taskbridge/protocol';
import { demoHandlers } from '@taskbridge/server-reference';
import { a2aBridge, EVENT_ID_KEY } from '@taskbridge/server-reference/a2a';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type A2AWire,
  answerRequest,
  collect,
  createA2AClient,
  firstTask,
  lastState,
  lastStatus,
  outputChunks,
  startRequest,
  statusData,
  statusText,
  TaskState,
  updateEventIds,
} from '../support/a2a-client';
import { readLog, terminalLog } from '../support/hazard-streams';
import { strictlyIncreasing } from '../support/node-client';
import { startTestServer, type TestServer } from '../support/reference-server';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ handlers: demoHandlers, extensions: [a2aBridge()] });
});

afterAll(async () => {
  await server.close();
});

const messagesOf = (log: readonly TaskEvent[]) =>
  log.flatMap((e) => (e.type === 'TASK_MESSAGE' ? [e.payload.message] : []));

const TEXT =
  'Rivers carry water to the sea. Rivers also carry sediment and sediment builds deltas. ' +
  'Cats sleep a lot. Deltas form where rivers meet the sea and drop their sediment. The weather was fine.';

describe.each<A2AWire>(['1.0', '0.3'])('A2A %s client against the bridge', (wire) => {
  const legacy = wire === '0.3';

  it('streams summarize to COMPLETED: every TASK_MESSAGE once, in order, then the result', async () => {
    const { client, methods } = await createA2AClient(server.url, wire);
    const responses = await collect(
      client.sendMessageStream(startRequest('summarize', { text: TEXT, tokenDelayMs: 2 })),
    );
    const task = firstTask(responses);
    expect(lastState(responses)).toBe(TaskState.TASK_STATE_COMPLETED);
    const log = await terminalLog(server.request, task.id);
    expect(outputChunks(responses)).toEqual(messagesOf(log));
    expect(outputChunks(responses).length).toBeGreaterThan(5);
    expect(strictlyIncreasing([...new Set(updateEventIds(responses))])).toBe(true);
    const result = responses.find(
      (r) => r.payload?.$case === 'artifactUpdate' && r.payload.value.artifact?.artifactId === 'result',
    );
    const completed = log.at(-1);
    expect(completed?.type).toBe('TASK_COMPLETED');
    expect(result?.payload?.$case === 'artifactUpdate' && result.payload.value.lastChunk).toBe(true);
    expect(methods).toEqual([legacy ? 'message/stream' : 'SendStreamingMessage']);
    // GetTask folds the same log: the whole output, COMPLETED.
    const fetched = await client.getTask({ tenant: '', id: task.id });
    expect(fetched.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(outputChunks([{ payload: { $case: 'task', value: fetched } }])).toEqual(messagesOf(log));
  });

  it('a repeated message id returns the same task (the message id is the idempotency key)', async () => {
    const { client } = await createA2AClient(server.url, wire);
    const messageId = crypto.randomUUID();
    const before = server.server.engine.taskCount;
    const first = await collect(client.sendMessageStream(startRequest('greet', { name: 'A2A' }, messageId)));
    const again = await collect(client.sendMessageStream(startRequest('greet', { name: 'A2A' }, messageId)));
    expect(firstTask(again).id).toBe(firstTask(first).id);
    expect(server.server.engine.taskCount - before).toBe(1);
    expect(lastState(again)).toBe(TaskState.TASK_STATE_COMPLETED);
  });

  it('approval: INPUT_REQUIRED ends the stream; the answer (message id = clientActionId) completes it', async () => {
    const { client, methods } = await createA2AClient(server.url, wire);
    const asked = await collect(client.sendMessageStream(startRequest('approval', { question: 'Ship it?' })));
    expect(lastState(asked)).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
    const taskId = firstTask(asked).id;
    const answerId = crypto.randomUUID();
    const answered = await collect(
      client.sendMessageStream(
        answerRequest(taskId, { actionType: 'approve', payload: { comment: 'ok' } }, answerId),
      ),
    );
    expect(lastState(answered)).toBe(TaskState.TASK_STATE_COMPLETED);
    const log = await terminalLog(server.request, taskId);
    const accepted = log.find((e) => e.type === 'TASK_ACTION_ACCEPTED');
    expect(accepted?.type === 'TASK_ACTION_ACCEPTED' && accepted.payload.clientActionId).toBe(answerId);
    expect(log.at(-1)?.type === 'TASK_COMPLETED' && log.at(-1)?.payload).toMatchObject({
      result: { approved: true, by: 'alice', comment: 'ok' },
    });
    expect(methods).toEqual(
      legacy ? ['message/stream', 'message/stream'] : ['SendStreamingMessage', 'SendStreamingMessage'],
    );
  });

  it('the question carries suspendId and allowedActions; a bare "reject" text rejects the task (FAILED)', async () => {
    const { client } = await createA2AClient(server.url, wire);
    const asked = await collect(client.sendMessageStream(startRequest('approval', {})));
    const question = lastStatus(asked).status;
    expect(question?.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
    expect(statusText(question)).toBe('Approve this task?');
    expect(statusData(question)).toMatchObject({
      allowedActions: ['approve', 'reject'],
      suspendId: expect.any(String),
    });
    const taskId = firstTask(asked).id;
    const rejected = await collect(client.sendMessageStream(answerRequest(taskId, 'reject')));
    expect(lastState(rejected)).toBe(TaskState.TASK_STATE_FAILED);
    expect(statusText(lastStatus(rejected).status)).toMatch(/^ACTION_REJECTED: /);
    expect((await terminalLog(server.request, taskId)).at(-1)?.type).toBe('TASK_FAILED');
  });

  it('cancel: CancelTask cancels the TaskBridge task; the open stream ends with CANCELED', async () => {
    const { client, methods } = await createA2AClient(server.url, wire);
    const stream = client.sendMessageStream(startRequest('ticker', { count: 1000, intervalMs: 20 }));
    const responses = [];
    let cancelled: Promise<Task> | undefined;
    for await (const response of stream) {
      responses.push(response);
      if (outputChunks(responses).length === 3 && cancelled === undefined) {
        cancelled = client.cancelTask({ tenant: '', id: firstTask(responses).id, metadata: undefined });
      }
    }
    expect((await cancelled)?.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
    expect(lastState(responses)).toBe(TaskState.TASK_STATE_CANCELED);
    const log = await terminalLog(server.request, firstTask(responses).id);
    expect(log.at(-1)?.type).toBe('TASK_CANCELLED');
    expect(outputChunks(responses)).toEqual(messagesOf(log));
    expect(methods).toContain(legacy ? 'tasks/cancel' : 'CancelTask');
    // Cancelling again returns the cancelled task.
    const again = await client.cancelTask({ tenant: '', id: firstTask(responses).id, metadata: undefined });
    expect(again.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
  });

  it('a finished task is not cancelable (TaskNotCancelableError)', async () => {
    const { client } = await createA2AClient(server.url, wire);
    const done = await collect(client.sendMessageStream(startRequest('greet', {})));
    await expect(
      client.cancelTask({ tenant: '', id: firstTask(done).id, metadata: undefined }),
    ).rejects.toMatchObject({
      reason: 'TASK_NOT_CANCELABLE',
    });
  });

  it('failure: a failing handler ends the stream FAILED with its code and retryable flag', async () => {
    const { client } = await createA2AClient(server.url, wire);
    const responses = await collect(client.sendMessageStream(startRequest('fail', { message: 'boom' })));
    const { status, metadata } = lastStatus(responses);
    expect(status?.state).toBe(TaskState.TASK_STATE_FAILED);
    expect(statusText(status)).toBe('TASK_EXECUTION_FAILED: boom');
    // The 0.3 wire has no place for update metadata on a task snapshot; the 1.0 one keeps it.
    if (!legacy) expect(metadata).toMatchObject({ code: 'TASK_EXECUTION_FAILED', retryable: false });
  });

  it('resubscribe mid-stream: the snapshot, then live updates — no duplicates, no gaps', async () => {
    const { client, methods } = await createA2AClient(server.url, wire);
    const first = client.sendMessageStream(startRequest('ticker', { count: 60, intervalMs: 15 }));
    const seen = [];
    for await (const response of first) {
      seen.push(response);
      if (outputChunks(seen).length >= 10) break;
    }
    const taskId = firstTask(seen).id;
    // Two resubscribers at different moments: each must hold the whole output exactly once.
    const early = collect(client.resubscribeTask({ tenant: '', id: taskId }));
    await vi.waitFor(async () =>
      expect(messagesOf(await readLog(server.request, taskId)).length).toBeGreaterThan(30),
    );
    const late = collect(client.resubscribeTask({ tenant: '', id: taskId }));
    const log = await vi.waitFor(() => terminalLog(server.request, taskId), { timeout: 10_000 });
    for (const responses of [await early, await late]) {
      expect(responses[0]?.payload?.$case).toBe('task');
      expect(outputChunks(responses)).toEqual(messagesOf(log));
      expect(lastState(responses)).toBe(TaskState.TASK_STATE_COMPLETED);
      // Everything after the snapshot is newer than the snapshot's cursor.
      const cursor = String(firstTask(responses).metadata?.[EVENT_ID_KEY]);
      expect(strictlyIncreasing([cursor, ...new Set(updateEventIds(responses))])).toBe(true);
    }
    expect(methods.filter((m) => m === (legacy ? 'tasks/resubscribe' : 'SubscribeToTask'))).toHaveLength(2);
  });

  it("resubscribe after the terminal state: the SDK's documented UnsupportedOperationError, not a hang", async () => {
    const { client } = await createA2AClient(server.url, wire);
    const done = await collect(client.sendMessageStream(startRequest('greet', {})));
    expect(lastState(done)).toBe(TaskState.TASK_STATE_COMPLETED);
    const attempt = collect(client.resubscribeTask({ tenant: '', id: firstTask(done).id }));
    const error = await attempt.then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(Error);
    const cause = (error?.cause ?? error) as Error & { reason?: string };
    expect(cause.reason ?? cause.name).toMatch(/UNSUPPORTED_OPERATION|UnsupportedOperationError/);
    expect(error?.message).toMatch(/terminal state/);
  });

  it('unknown tasks and unknown task types are A2A errors', async () => {
    const { client } = await createA2AClient(server.url, wire);
    await expect(client.getTask({ tenant: '', id: 'no-such-task' })).rejects.toMatchObject({
      reason: 'TASK_NOT_FOUND',
    });
    await expect(collect(client.sendMessageStream(startRequest('no-such-type', {})))).rejects.toMatchObject({
      reason: 'INVALID_PARAMS',
    });
  });
});

describe('A2A bridge: ownership and blocking calls', () => {
  it("masks another subject's task as not found (same rule as every TaskBridge route)", async () => {
    const alice = await createA2AClient(server.url, '1.0', 'alice');
    const bob = await createA2AClient(server.url, '1.0', 'bob');
    const done = await collect(alice.client.sendMessageStream(startRequest('greet', {})));
    await expect(bob.client.getTask({ tenant: '', id: firstTask(done).id })).rejects.toMatchObject({
      reason: 'TASK_NOT_FOUND',
    });
  });

  it('SendMessage (blocking) returns the task at its next interruption, then at its end', async () => {
    const { client, methods } = await createA2AClient(server.url, '1.0');
    const asked = await client.sendMessage(startRequest('approval', {}));
    expect('id' in asked && asked.status?.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
    if (!('id' in asked)) return;
    const done = await client.sendMessage(answerRequest(asked.id, 'approve'));
    expect('id' in done && done.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(methods).toEqual(['SendMessage', 'SendMessage']);
  });
});

describe('A2A bridge: shutdown', () => {
  it('close() ends open A2A streams cleanly instead of leaving them hanging', async () => {
    const own = await startTestServer({ handlers: demoHandlers, extensions: [a2aBridge()] });
    const { client } = await createA2AClient(own.url, '1.0');
    const responses: unknown[] = [];
    const stream = (async () => {
      for await (const response of client.sendMessageStream(
        startRequest('ticker', { count: 10_000, intervalMs: 50 }),
      )) {
        responses.push(response);
      }
    })().catch((error: unknown) => error);
    await vi.waitFor(() => expect(responses.length).toBeGreaterThanOrEqual(3));
    await own.close();
    // Ended by the server, cleanly (a connection destroyed at the deadline would be an error here).
    expect(await stream).toBeUndefined();
    expect(own.server.engine.subscriptionCount).toBe(0);
  });
});
