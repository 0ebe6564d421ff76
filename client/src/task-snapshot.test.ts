import { readFileSync } from 'node:fs';
import { parseTaskEvent, type TaskEvent, type UnknownTaskEvent } from '@taskbridge/protocol';
import { describe, expect, it } from 'vitest';
import { initialTaskSnapshot, reduceTaskSnapshot, type TaskSnapshot } from './task-snapshot';

const FIXTURES = new URL('../../protocol/fixtures/taskbridge-v1/', import.meta.url);

function fixture(name: string): TaskEvent | UnknownTaskEvent {
  const parsed = parseTaskEvent(JSON.parse(readFileSync(new URL(`${name}.json`, FIXTURES), 'utf8')));
  if (!parsed.ok) throw parsed.error;
  return parsed.value;
}

function event(
  type: string,
  eventId: string,
  payload: Record<string, unknown>,
): TaskEvent | UnknownTaskEvent {
  const parsed = parseTaskEvent({
    type,
    taskId: 'task_123',
    eventId,
    createdAt: '2026-05-04T12:00:00Z',
    payload,
  });
  if (!parsed.ok) throw parsed.error;
  return parsed.value;
}

const fold = (events: readonly (TaskEvent | UnknownTaskEvent)[], from = initialTaskSnapshot('task_123')) =>
  events.reduce(reduceTaskSnapshot, from);

describe('reduceTaskSnapshot over the upstream fixtures', () => {
  it('starts idle and empty', () => {
    expect(initialTaskSnapshot('t')).toEqual({
      taskId: 't',
      status: 'idle',
      progress: null,
      stage: null,
      messages: [],
      text: '',
      suspension: null,
      result: null,
      error: null,
      terminalEvent: null,
      lastEventId: null,
      eventCount: 0,
      historyTrimmed: null,
    });
  });

  it('folds started, progress, message and completed', () => {
    const completed = fixture('task_completed');
    const s = fold([fixture('task_started'), fixture('task_progress'), fixture('task_message'), completed]);
    expect(s).toMatchObject({
      status: 'completed',
      progress: 35,
      stage: 'image_preprocessing',
      text: 'Waiting for downstream executor capacity',
      result: { name: 'Quartz', confidence: 0.82 },
      error: null,
      lastEventId: '10',
      eventCount: 4,
    });
    expect(s.messages).toEqual([
      { eventId: '5', message: 'Waiting for downstream executor capacity', level: 'info' },
    ]);
    expect(s.terminalEvent).toBe(completed);
  });

  it('folds the poll response fixture to completion', () => {
    const poll = JSON.parse(readFileSync(new URL('poll_events_response.json', FIXTURES), 'utf8')) as {
      events: unknown[];
    };
    const events = poll.events.map((raw) => {
      const parsed = parseTaskEvent(raw);
      if (!parsed.ok) throw parsed.error;
      return parsed.value;
    });
    expect(fold(events)).toMatchObject({
      status: 'completed',
      progress: 60,
      stage: 'model_inference',
      lastEventId: '4',
    });
  });

  it('sets the suspension and clears it on the matching TASK_ACTION_ACCEPTED', () => {
    const suspended = fold([fixture('task_started'), fixture('task_suspended')]);
    expect(suspended.status).toBe('suspended');
    expect(suspended.suspension).toMatchObject({
      eventId: '4-0',
      suspendId: '550e8400-e29b-41d4-a716-446655440000',
      allowedActions: ['submit_form'],
      interaction: { question: 'Continue processing?' },
    });
    const resumed = reduceTaskSnapshot(suspended, fixture('task_action_accepted'));
    expect(resumed).toMatchObject({ status: 'running', suspension: null, lastEventId: '5-0' });
  });

  it('keeps the suspension when TASK_ACTION_ACCEPTED names another suspendId', () => {
    const suspended = fold([fixture('task_suspended')]);
    const other = event('TASK_ACTION_ACCEPTED', '5-0', {
      suspendId: 'other',
      clientActionId: 'a',
      actionType: 'submit_form',
      acceptedAt: '2026-05-05T12:00:04Z',
    });
    expect(reduceTaskSnapshot(suspended, other)).toMatchObject({
      status: 'suspended',
      suspension: { suspendId: suspended.suspension?.suspendId },
    });
  });

  it('folds TASK_FAILED into error', () => {
    const s = fold([fixture('task_started'), fixture('task_failed')]);
    expect(s).toMatchObject({
      status: 'failed',
      error: {
        code: 'TASK_EXECUTION_FAILED',
        message: 'Executor failed to classify the uploaded input',
        retryable: false,
      },
      lastEventId: '11',
    });
  });

  it('folds TASK_CANCELLED and clears an open suspension', () => {
    const s = fold([fixture('task_suspended'), fixture('task_cancelled')]);
    expect(s).toMatchObject({ status: 'cancelled', suspension: null, error: null, lastEventId: '7' });
    expect(s.terminalEvent?.type).toBe('TASK_CANCELLED');
  });
});

describe('reduceTaskSnapshot and peer quirks', () => {
  it('treats TASK_COMPLETED without result as completed with result null (peer quirk)', () => {
    const quirky = event('TASK_COMPLETED', '9', { message: 'done' });
    const s = fold([event('TASK_STARTED', '1', {}), quirky]);
    expect(s).toMatchObject({ status: 'completed', result: null });
    expect(s.terminalEvent?.payload).toEqual({ message: 'done' });
  });

  it('treats TASK_CANCELLED without reason as cancelled (peer quirk)', () => {
    expect(fold([event('TASK_CANCELLED', '3', {})])).toMatchObject({ status: 'cancelled', eventCount: 1 });
  });

  it('fills defaults for an off-schema TASK_FAILED', () => {
    expect(fold([event('TASK_FAILED', '3', { message: 42 })]).error).toEqual({
      code: 'TASK_FAILED',
      message: 'Task failed',
      retryable: false,
    });
  });

  it('ignores off-schema progress values but clamps in-range ones', () => {
    const s1 = fold([event('TASK_PROGRESS', '1', { progress: 'half' })]);
    expect(s1).toMatchObject({ status: 'running', progress: null });
    const s2 = fold([event('TASK_PROGRESS', '2', { progress: 140, stage: 'x' })], s1);
    expect(s2).toMatchObject({ progress: 100, stage: 'x' });
    const s3 = fold([event('TASK_PROGRESS', '3', { progress: 50 })], s2);
    expect(s3).toMatchObject({ progress: 50, stage: 'x' });
  });

  it('changes only lastEventId and eventCount for an unknown event type', () => {
    const before = fold([event('TASK_STARTED', '1', {})]);
    const after = reduceTaskSnapshot(before, event('TASK_HEARTBEAT_V2', '2', { anything: true }));
    expect(after).toEqual({ ...before, lastEventId: '2', eventCount: 2 });
  });

  it('changes nothing after a terminal event', () => {
    const done = fold([event('TASK_COMPLETED', '5', { result: 1 })]);
    expect(reduceTaskSnapshot(done, event('TASK_MESSAGE', '6', { message: 'late' }))).toBe(done);
    expect(
      reduceTaskSnapshot(done, event('TASK_FAILED', '7', { code: 'X', message: 'm', retryable: true })),
    ).toBe(done);
  });

  it('moves an idle task to running on any non-terminal event (TASK_STARTED trimmed from history)', () => {
    expect(fold([event('TASK_MESSAGE', '3', { message: 'hi', level: 'debug' })])).toMatchObject({
      status: 'running',
      messages: [{ eventId: '3', message: 'hi', level: 'debug' }],
    });
  });

  it('is JSON-serialisable and round-trips', () => {
    const s = fold([fixture('task_started'), fixture('task_message'), fixture('task_suspended')]);
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  });
});

describe('reduceTaskSnapshot: immutable values, O(1) per token', () => {
  const token = (i: number) => event('TASK_MESSAGE', `${i}`, { message: `t${i} ` });
  const ids = (s: TaskSnapshot) => s.messages.map((m) => m.eventId);

  it('leaves every earlier snapshot exactly as it was', () => {
    const s1 = fold([token(1)]);
    const s2 = reduceTaskSnapshot(s1, token(2));
    const s3 = reduceTaskSnapshot(s2, token(3));
    expect(ids(s1)).toEqual(['1']);
    expect(ids(s2)).toEqual(['1', '2']);
    expect(ids(s3)).toEqual(['1', '2', '3']);
    expect(s3.text).toBe('t1 t2 t3 ');
    expect(s2.eventCount).toBe(2);
  });

  it('hands out frozen messages, the same array on every read', () => {
    const s = fold([token(1), token(2)]);
    expect(Object.isFrozen(s.messages)).toBe(true);
    expect(s.messages).toBe(s.messages);
    expect(() => (s.messages as unknown[]).push({})).toThrow(TypeError);
  });

  it('branches when an older snapshot is reduced again, leaving the newer branch intact', () => {
    const s1 = fold([token(1)]);
    const s2 = reduceTaskSnapshot(s1, token(2));
    const branch = reduceTaskSnapshot(s1, token(9));
    const s3 = reduceTaskSnapshot(s2, token(3));
    expect(ids(branch)).toEqual(['1', '9']);
    expect(ids(s2)).toEqual(['1', '2']);
    expect(ids(s3)).toEqual(['1', '2', '3']);
    expect(branch.text).toBe('t1 t9 ');
  });

  it('spreads, clones and serialises as plain data with exactly its own messages', () => {
    const s2 = fold([token(1), token(2)]);
    reduceTaskSnapshot(s2, token(3));
    const plain = { ...s2 };
    expect(Object.keys(plain)).toEqual(Object.keys(initialTaskSnapshot('t')));
    expect(plain.messages.map((m) => m.eventId)).toEqual(['1', '2']);
    expect(structuredClone(s2)).toEqual(plain);
    expect(JSON.parse(JSON.stringify(s2))).toEqual(plain);
  });

  it('starts a log from a restored snapshot without touching its array', () => {
    const restored: TaskSnapshot = JSON.parse(JSON.stringify(fold([token(1)])));
    const original = restored.messages;
    const next = reduceTaskSnapshot(restored, token(2));
    expect(original).toHaveLength(1);
    expect(ids(next)).toEqual(['1', '2']);
  });

  it('folds 100k tokens quickly (linear, not quadratic)', () => {
    const events = Array.from({ length: 100_000 }, (_, i) => ({
      type: 'TASK_MESSAGE' as const,
      taskId: 't',
      eventId: `${i + 1}`,
      createdAt: '2026-05-04T12:00:00Z',
      payload: { message: 'x' },
    }));
    const started = performance.now();
    const s = events.reduce(reduceTaskSnapshot, initialTaskSnapshot('t'));
    const elapsed = performance.now() - started;
    expect(s.messages).toHaveLength(100_000);
    expect(s.text).toHaveLength(100_000);
    // A quadratic copy would take minutes; a generous bound keeps slow CI green.
    expect(elapsed).toBeLessThan(2_000);
  });
});
