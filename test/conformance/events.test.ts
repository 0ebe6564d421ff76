/**
 * protocol/SPEC.md §3 — the events every demo task produces: the envelope keys in schema order, `<ms>-<seq>`
 * ids strictly increasing by `compareEventIds`, every event schema-valid, `TASK_STARTED` first and
 * exactly one terminal event, last (hazard H6: returned, thrown and cancelled alike).
 */
import { compareEventIds, isTerminalEvent, parseTaskEvent, type TaskEvent } from '@taskbridge/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectUntilTerminal, postJson, taskPaths, waitForEvent } from '../support/protocol-calls';
import { startTestServer, type TestServer } from '../support/reference-server';

const paths = taskPaths();
let ts: TestServer;

beforeAll(async () => {
  ts = await startTestServer();
});
afterAll(() => ts.close());

/** Every §3 invariant of one task's complete stream. */
function expectConformingStream(events: TaskEvent[], taskId: string, terminalType: string): void {
  expect(events.length).toBeGreaterThanOrEqual(2);
  expect(events[0]?.type).toBe('TASK_STARTED');
  for (const event of events) {
    expect(Object.keys(event)).toEqual(['type', 'taskId', 'eventId', 'createdAt', 'payload']);
    expect(event.taskId).toBe(taskId);
    expect(event.eventId).toMatch(/^\d+-\d+$/);
    expect(new Date(event.createdAt).toISOString()).toBe(event.createdAt);
    const parsed = parseTaskEvent(event);
    expect(parsed.ok && parsed.conformance, JSON.stringify(event)).toBe('valid');
  }
  for (let i = 1; i < events.length; i++) {
    expect(compareEventIds((events[i] as TaskEvent).eventId, (events[i - 1] as TaskEvent).eventId)).toBe(1);
  }
  const terminals = events.filter(isTerminalEvent);
  expect(terminals).toHaveLength(1);
  expect(events.at(-1)?.type).toBe(terminalType);
}

describe('event streams of the demo handlers', () => {
  it('greet: STARTED, PROGRESS, MESSAGE, COMPLETED {result}', async () => {
    const taskId = await ts.createTask('greet', { name: 'Lin' });
    const events = await collectUntilTerminal(ts, taskId);
    expectConformingStream(events, taskId, 'TASK_COMPLETED');
    expect(events.map((e) => e.type)).toEqual([
      'TASK_STARTED',
      'TASK_PROGRESS',
      'TASK_MESSAGE',
      'TASK_COMPLETED',
    ]);
    expect(events[2]?.payload).toEqual({ message: 'Hello, Lin!' });
  });

  it('summarize: progress within 0–100 and streamed tokens', async () => {
    const text = 'One sentence here. Another sentence there. A third one closes it.';
    const taskId = await ts.createTask('summarize', { text, tokenDelayMs: 0 });
    const events = await collectUntilTerminal(ts, taskId);
    expectConformingStream(events, taskId, 'TASK_COMPLETED');
    for (const e of events.filter((x) => x.type === 'TASK_PROGRESS')) {
      const { progress } = e.payload as { progress: number };
      expect(progress).toBeGreaterThanOrEqual(0);
      expect(progress).toBeLessThanOrEqual(100);
    }
    expect(events.some((e) => e.type === 'TASK_MESSAGE')).toBe(true);
  });

  it('ticker: many events, ids still strictly increasing within one millisecond', async () => {
    const taskId = await ts.createTask('ticker', { count: 300 });
    const events = await collectUntilTerminal(ts, taskId);
    expectConformingStream(events, taskId, 'TASK_COMPLETED');
    expect(events).toHaveLength(302);
    expect(new Set(events.map((e) => e.eventId)).size).toBe(302);
  });

  it('fail: a thrown error becomes one TASK_FAILED {code,message,retryable}', async () => {
    const taskId = await ts.createTask('fail', { message: 'boom' });
    const events = await collectUntilTerminal(ts, taskId);
    expectConformingStream(events, taskId, 'TASK_FAILED');
    expect(events.at(-1)?.payload).toEqual({
      code: 'TASK_EXECUTION_FAILED',
      message: 'boom',
      retryable: false,
    });
  });

  it('approval: TASK_SUSPENDED carries suspendId, kind, reasonCode, allowedActions, schemaVersion', async () => {
    const taskId = await ts.createTask('approval', { question: 'Ship it?' });
    const { event } = await waitForEvent(ts, taskId, (e) => e.type === 'TASK_SUSPENDED');
    expect(event.payload).toMatchObject({
      suspendId: expect.any(String),
      kind: 'USER_ACTION_REQUIRED',
      reasonCode: 'approval_required',
      allowedActions: ['approve', 'reject'],
      schemaVersion: 1,
      interaction: { question: 'Ship it?' },
    });
    await postJson(ts, paths.cancel(taskId), {});
    const events = await collectUntilTerminal(ts, taskId);
    expectConformingStream(events, taskId, 'TASK_CANCELLED');
  });

  it('a cancelled ticker ends with exactly one TASK_CANCELLED and nothing after it', async () => {
    const taskId = await ts.createTask('ticker', { count: 100_000, intervalMs: 1 });
    await waitForEvent(ts, taskId, (e) => e.type === 'TASK_MESSAGE');
    const res = await postJson(ts, paths.cancel(taskId), { reason: 'enough' });
    expect(res.status).toBe(202);
    const events = await collectUntilTerminal(ts, taskId);
    expectConformingStream(events, taskId, 'TASK_CANCELLED');
    expect(events.at(-1)?.payload).toMatchObject({ reason: 'enough' });
    // Nothing is appended after the terminal event, however long the handler's timers run.
    const after = await ts.request(
      `${paths.events(taskId)}?afterEventId=${events.at(-1)?.eventId}&waitTimeoutMs=200`,
      { subject: 'alice' },
    );
    expect(((await after.json()) as { events: unknown[] }).events).toEqual([]);
  });
});
