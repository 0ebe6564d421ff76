/**
 * protocol/SPEC.md §7 — cancel (202 `CANCELLATION_REQUESTED` / `ALREADY_TERMINAL`, the stream ends with
 * `TASK_CANCELLED {reason}`) and actions on the demo `approval` task: ACCEPTED (+ the
 * `TASK_ACTION_ACCEPTED` event), DEDUPLICATED, 409 conflicts, 404 unknown suspension,
 * REJECTED_ALREADY_RESOLVED and REJECTED_EXPIRED.
 */
import {
  type ClientActionResponse,
  isTerminalEvent,
  parseCancelTaskResponse,
  parseClientActionResponse,
  type TaskEvent,
} from '@taskbridge/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  collectUntilTerminal,
  expectErrorEnvelope,
  poll,
  postJson,
  taskPaths,
  uniqueId,
  waitForEvent,
} from '../support/protocol-calls';
import { startTestServer, type TestServer } from '../support/reference-server';
import { openSse, type SseStream } from '../support/sse-reader';

const paths = taskPaths();
let ts: TestServer;
const streams: SseStream[] = [];

beforeAll(async () => {
  ts = await startTestServer();
});
afterEach(() => {
  for (const s of streams.splice(0)) s.close();
});
afterAll(() => ts.close());

/** Creates an `approval` task and waits for its `TASK_SUSPENDED`; returns the task and suspendId. */
async function suspendedApproval(
  input: Record<string, unknown> = {},
): Promise<{ taskId: string; suspendId: string }> {
  const taskId = await ts.createTask('approval', input);
  const { event } = await waitForEvent(ts, taskId, (e) => e.type === 'TASK_SUSPENDED');
  return { taskId, suspendId: (event.payload as { suspendId: string }).suspendId };
}

interface ActionBody {
  clientActionId: string;
  suspendId: string;
  actionType: string;
  payload?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
}

async function act(
  taskId: string,
  body: ActionBody,
  status: number,
  subject = 'alice',
): Promise<ClientActionResponse> {
  const res = await postJson(ts, paths.actions(taskId), body, subject);
  const json: unknown = await res.json();
  expect(res.status, JSON.stringify(json)).toBe(status);
  const parsed = parseClientActionResponse(json);
  if (!parsed.ok) throw parsed.error;
  expect(parsed.value).toMatchObject({
    taskId,
    suspendId: body.suspendId,
    clientActionId: body.clientActionId,
  });
  return parsed.value;
}

describe('cancel', () => {
  it('answers 202 CANCELLATION_REQUESTED and the open stream ends with TASK_CANCELLED {reason}', async () => {
    const taskId = await ts.createTask('ticker', { count: 100_000, intervalMs: 5 });
    await waitForEvent(ts, taskId, (e) => e.type === 'TASK_MESSAGE');
    const stream = await openSse(`${ts.url}${paths.stream(taskId)}`, {
      headers: { authorization: 'Bearer alice' },
    });
    streams.push(stream);

    const res = await postJson(ts, paths.cancel(taskId), { reason: 'user_clicked_stop' });
    expect(res.status).toBe(202);
    const body = parseCancelTaskResponse(await res.json());
    expect(body.ok && body.value).toEqual({ taskId, status: 'CANCELLATION_REQUESTED' });

    await vi.waitFor(() => expect(stream.ended).toBe(true), { timeout: 5000, interval: 20 });
    const last = stream.frames.filter((f) => f.id !== undefined).at(-1);
    expect(JSON.parse(last?.data ?? '{}')).toMatchObject({
      type: 'TASK_CANCELLED',
      payload: { reason: 'user_clicked_stop' },
    });
    const status = await ts.request(paths.status(taskId), { subject: 'alice' });
    expect(((await status.json()) as { status: string }).status).toBe('CANCELLED');
  });

  it('answers 202 ALREADY_TERMINAL for a second cancel and for a finished task', async () => {
    const taskId = await ts.createTask('ticker', { count: 100_000, intervalMs: 5 });
    expect((await postJson(ts, paths.cancel(taskId), {})).status).toBe(202);
    const again = await postJson(ts, paths.cancel(taskId), {});
    expect(again.status).toBe(202);
    expect(await again.json()).toEqual({ taskId, status: 'ALREADY_TERMINAL' });

    const done = await ts.createTask('greet');
    await collectUntilTerminal(ts, done);
    const late = await postJson(ts, paths.cancel(done), { reason: 'late' });
    expect(late.status).toBe(202);
    expect(await late.json()).toEqual({ taskId: done, status: 'ALREADY_TERMINAL' });
    const events = await collectUntilTerminal(ts, done);
    expect(events.at(-1)?.type).toBe('TASK_COMPLETED');
  });

  it('accepts a cancel without a body and uses a default reason', async () => {
    const taskId = await ts.createTask('ticker', { count: 100_000, intervalMs: 5 });
    const res = await ts.request(paths.cancel(taskId), { method: 'POST', subject: 'alice' });
    expect(res.status).toBe(202);
    const events = await collectUntilTerminal(ts, taskId);
    const terminal = events.at(-1) as TaskEvent;
    expect(terminal.type).toBe('TASK_CANCELLED');
    expect(typeof (terminal.payload as { reason: unknown }).reason).toBe('string');
    expect(events.filter(isTerminalEvent)).toHaveLength(1);
  });

  it('answers 404 for an unknown task and for a foreign one, leaving the foreign task running', async () => {
    await expectErrorEnvelope(await postJson(ts, paths.cancel('no-such-task'), {}), 404, 'TASK_NOT_FOUND');
    const { taskId } = await suspendedApproval();
    await expectErrorEnvelope(await postJson(ts, paths.cancel(taskId), {}, 'mallory'), 404, 'TASK_NOT_FOUND');
    const status = await ts.request(paths.status(taskId), { subject: 'alice' });
    expect(((await status.json()) as { status: string }).status).toBe('RUNNING');
    await postJson(ts, paths.cancel(taskId), {});
  });

  it('answers 400 for an invalid cancel body and 415 for a non-JSON one', async () => {
    const taskId = await ts.createTask('greet');
    await expectErrorEnvelope(
      await postJson(ts, paths.cancel(taskId), { reason: 5 }),
      400,
      'INVALID_REQUEST',
    );
    await expectErrorEnvelope(
      await postJson(ts, paths.cancel(taskId), { reason: 'x', force: true }),
      400,
      'INVALID_REQUEST',
    );
    const res = await ts.request(paths.cancel(taskId), {
      method: 'POST',
      subject: 'alice',
      headers: { 'content-type': 'text/plain' },
      body: 'stop',
    });
    await expectErrorEnvelope(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });
});

describe('actions', () => {
  it('answers 202 ACCEPTED, appends TASK_ACTION_ACCEPTED, then the task completes', async () => {
    const { taskId, suspendId } = await suspendedApproval();
    const body = {
      clientActionId: uniqueId('act'),
      suspendId,
      actionType: 'approve',
      payload: { comment: 'ok' },
    };
    expect((await act(taskId, body, 202)).status).toBe('ACCEPTED');

    const events = await collectUntilTerminal(ts, taskId);
    const types = events.map((e) => e.type);
    const accepted = events.find((e) => e.type === 'TASK_ACTION_ACCEPTED');
    expect(accepted?.payload).toMatchObject({
      suspendId,
      clientActionId: body.clientActionId,
      actionType: 'approve',
      acceptedAt: expect.any(String),
    });
    expect(types.indexOf('TASK_ACTION_ACCEPTED')).toBeGreaterThan(types.indexOf('TASK_SUSPENDED'));
    expect(events.at(-1)).toMatchObject({
      type: 'TASK_COMPLETED',
      payload: { result: { approved: true, by: 'alice', comment: 'ok' } },
    });
  });

  it('answers 200 DEDUPLICATED for an identical repeat (metadata not compared), with one accepted event', async () => {
    const { taskId, suspendId } = await suspendedApproval();
    const body = {
      clientActionId: uniqueId(),
      suspendId,
      actionType: 'approve',
      payload: {},
      metadata: { n: 1 },
    };
    expect((await act(taskId, body, 202)).status).toBe('ACCEPTED');
    expect((await act(taskId, { ...body, metadata: { n: 2 } }, 200)).status).toBe('DEDUPLICATED');
    const events = await collectUntilTerminal(ts, taskId);
    expect(events.filter((e) => e.type === 'TASK_ACTION_ACCEPTED')).toHaveLength(1);
  });

  it('accepts exactly one of 20 concurrent identical actions', async () => {
    const { taskId, suspendId } = await suspendedApproval();
    const body = { clientActionId: uniqueId(), suspendId, actionType: 'approve' };
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => postJson(ts, paths.actions(taskId), body)),
    );
    const statuses = await Promise.all(
      responses.map(async (r) => `${r.status} ${((await r.json()) as ClientActionResponse).status}`),
    );
    expect(statuses.filter((s) => s === '202 ACCEPTED')).toHaveLength(1);
    expect(statuses.filter((s) => s === '200 DEDUPLICATED')).toHaveLength(19);
    const events = await collectUntilTerminal(ts, taskId);
    expect(events.filter((e) => e.type === 'TASK_ACTION_ACCEPTED')).toHaveLength(1);
  });

  it('answers 409 IDEMPOTENCY_CONFLICT for the same clientActionId with a different payload', async () => {
    const { taskId, suspendId } = await suspendedApproval();
    const body = { clientActionId: uniqueId(), suspendId, actionType: 'approve', payload: { comment: 'a' } };
    await act(taskId, body, 202);
    const res = await postJson(ts, paths.actions(taskId), { ...body, payload: { comment: 'b' } });
    await expectErrorEnvelope(res, 409, 'IDEMPOTENCY_CONFLICT');
  });

  it('answers 409 IDEMPOTENCY_CONFLICT for an actionType not in allowedActions, leaving the suspension open', async () => {
    const { taskId, suspendId } = await suspendedApproval();
    const res = await postJson(ts, paths.actions(taskId), {
      clientActionId: uniqueId(),
      suspendId,
      actionType: 'escalate',
    });
    await expectErrorEnvelope(res, 409, 'IDEMPOTENCY_CONFLICT');
    expect(
      (await act(taskId, { clientActionId: uniqueId(), suspendId, actionType: 'approve' }, 202)).status,
    ).toBe('ACCEPTED');
  });

  it('answers 404 TASK_NOT_FOUND for an unknown suspendId', async () => {
    const { taskId } = await suspendedApproval();
    const res = await postJson(ts, paths.actions(taskId), {
      clientActionId: uniqueId(),
      suspendId: 'no-such-suspension',
      actionType: 'approve',
    });
    await expectErrorEnvelope(res, 404, 'TASK_NOT_FOUND');
    await postJson(ts, paths.cancel(taskId), {});
  });

  it('answers 404 for an unknown or foreign task, whatever the body', async () => {
    const { taskId, suspendId } = await suspendedApproval();
    const body = { clientActionId: uniqueId(), suspendId, actionType: 'approve' };
    await expectErrorEnvelope(await postJson(ts, paths.actions('no-such-task'), body), 404, 'TASK_NOT_FOUND');
    await expectErrorEnvelope(
      await postJson(ts, paths.actions(taskId), body, 'mallory'),
      404,
      'TASK_NOT_FOUND',
    );
    await expectErrorEnvelope(
      await postJson(ts, paths.actions(taskId), { bad: 1 }, 'mallory'),
      404,
      'TASK_NOT_FOUND',
    );
    // The foreign attempt resolved nothing: the owner's action is still the first.
    expect((await act(taskId, body, 202)).status).toBe('ACCEPTED');
  });

  it('answers 202 REJECTED_ALREADY_RESOLVED for another clientActionId after the suspension was answered', async () => {
    const { taskId, suspendId } = await suspendedApproval();
    await act(taskId, { clientActionId: uniqueId(), suspendId, actionType: 'approve' }, 202);
    const late = await act(taskId, { clientActionId: uniqueId(), suspendId, actionType: 'reject' }, 202);
    expect(late.status).toBe('REJECTED_ALREADY_RESOLVED');
    expect((await collectUntilTerminal(ts, taskId)).at(-1)?.type).toBe('TASK_COMPLETED');
  });

  it('answers 202 REJECTED_ALREADY_RESOLVED for an action on a terminal (cancelled) task', async () => {
    const { taskId, suspendId } = await suspendedApproval();
    expect((await postJson(ts, paths.cancel(taskId), {})).status).toBe(202);
    await collectUntilTerminal(ts, taskId);
    const res = await act(taskId, { clientActionId: uniqueId(), suspendId, actionType: 'approve' }, 202);
    expect(res.status).toBe('REJECTED_ALREADY_RESOLVED');
    const events = await collectUntilTerminal(ts, taskId);
    expect(events.filter((e) => e.type === 'TASK_ACTION_ACCEPTED')).toEqual([]);
  });

  it('fails the task with ACTION_REJECTED on reject', async () => {
    const { taskId, suspendId } = await suspendedApproval();
    await act(taskId, { clientActionId: uniqueId(), suspendId, actionType: 'reject' }, 202);
    const events = await collectUntilTerminal(ts, taskId);
    expect(events.at(-2)?.type).toBe('TASK_ACTION_ACCEPTED');
    expect(events.at(-1)).toMatchObject({
      type: 'TASK_FAILED',
      payload: { code: 'ACTION_REJECTED', retryable: false },
    });
  });

  it('fails an unanswered suspension with SUSPENSION_EXPIRED, then answers a late action with 202 REJECTED_EXPIRED', async () => {
    const { taskId, suspendId } = await suspendedApproval({ expiresInMs: 200 });
    const suspended = (await poll(ts, taskId, { maxEvents: 500 })).events.find(
      (e) => e.type === 'TASK_SUSPENDED',
    );
    expect(((suspended as TaskEvent).payload as { expiresAt?: string }).expiresAt).toEqual(
      expect.any(String),
    );
    await vi.waitFor(
      async () => {
        const { events } = await poll(ts, taskId, { maxEvents: 500 });
        expect(events.at(-1)).toMatchObject({ type: 'TASK_FAILED', payload: { code: 'SUSPENSION_EXPIRED' } });
      },
      { timeout: 5000, interval: 50 },
    );
    const late = await act(taskId, { clientActionId: uniqueId(), suspendId, actionType: 'approve' }, 202);
    expect(late.status).toBe('REJECTED_EXPIRED');
  });

  it.each([
    ['a missing suspendId', { clientActionId: 'c', actionType: 'approve' }],
    ['an unknown field', { clientActionId: 'c', suspendId: 's', actionType: 'approve', extra: true }],
    [
      'a payload that is not an object',
      { clientActionId: 'c', suspendId: 's', actionType: 'approve', payload: 1 },
    ],
  ])('answers 400 INVALID_REQUEST for %s', async (_name, body) => {
    const { taskId } = await suspendedApproval();
    await expectErrorEnvelope(await postJson(ts, paths.actions(taskId), body), 400, 'INVALID_REQUEST');
    await postJson(ts, paths.cancel(taskId), {});
  });
});
