/**
 * The task stream store when the server's retention deleted events after the cursor
 * (protocol/SPEC.md §11): the `onHistoryTrimmed` policy — continue (default), fail, or a callback.
 */
import type { TaskBridgeError } from '@taskbridge/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { advance, event, setupStream, TASK } from './task-stream.test-harness';
import { memoryStep as step } from './transports/memory';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('history trimmed (protocol/SPEC.md §11)', () => {
  const trimmed = { requestedAfterEventId: '3', firstRetainedEventId: '10' };
  const script = () => [
    step.open(),
    step.ack(),
    step.historyTrimmed(trimmed),
    step.event(event('10')),
    step.event(event('11')),
    step.hang(),
  ];

  it("'continue' (the default): reported, flagged in the snapshot, the retained tail delivered", async () => {
    const s = setupStream({}, script());
    const seen: string[] = [];
    s.stream.events$.subscribe((e) => seen.push(e.eventId));
    await advance(1);
    expect(seen).toEqual(['10', '11']);
    expect(s.stream.getSnapshot()).toMatchObject({ historyTrimmed: trimmed, lastEventId: '11' });
    expect(s.stream.getConnectionState().status).toBe('live');
    expect(s.diagnostics).toContainEqual({
      type: 'history-trimmed',
      taskId: TASK,
      transport: 'websocket',
      ...trimmed,
    });
  });

  it("'fail': the stream fails with HISTORY_TRIMMED before anything else is delivered", async () => {
    const s = setupStream({ policy: 'fail' }, script());
    const seen: string[] = [];
    const errors: TaskBridgeError[] = [];
    s.stream.events$.subscribe({
      next: (e) => seen.push(e.eventId),
      error: (e: TaskBridgeError) => errors.push(e),
    });
    const settled = expect(s.stream.settled()).rejects.toMatchObject({ code: 'HISTORY_TRIMMED' });
    await advance(1);
    await settled;
    expect(seen).toEqual([]);
    expect(errors[0]).toMatchObject({
      code: 'HISTORY_TRIMMED',
      retryable: false,
      details: { ...trimmed, transport: 'websocket' },
    });
    expect(s.stream.getState()).toMatchObject({
      connection: { status: 'failed' },
      snapshot: { historyTrimmed: trimmed },
    });
    expect(s.socket.connections[0]?.signal.aborted).toBe(true);
  });

  it('a callback decides: it gets the signal before the retained events, and may fail or continue', async () => {
    const calls: unknown[] = [];
    let seenBeforeCall = -1;
    const seen: string[] = [];
    const s = setupStream(
      {
        policy: (info) => {
          calls.push(info);
          seenBeforeCall = seen.length;
          return undefined;
        },
      },
      script(),
    );
    s.stream.events$.subscribe((e) => seen.push(e.eventId));
    await advance(1);
    expect(calls).toEqual([{ taskId: TASK, transport: 'websocket', ...trimmed }]);
    expect(seenBeforeCall).toBe(0);
    expect(seen).toEqual(['10', '11']);

    const failing = setupStream({ policy: () => 'fail' }, script());
    const settled = expect(failing.stream.settled()).rejects.toMatchObject({ code: 'HISTORY_TRIMMED' });
    await advance(1);
    await settled;
  });

  it('a callback that throws is reported and reads as continue', async () => {
    const s = setupStream(
      {
        policy: () => {
          throw new Error('app bug');
        },
      },
      script(),
    );
    const seen: string[] = [];
    s.stream.events$.subscribe((e) => seen.push(e.eventId));
    await advance(1);
    expect(seen).toEqual(['10', '11']);
    expect(s.diagnostics).toContainEqual(
      expect.objectContaining({ type: 'policy-error', policy: 'onHistoryTrimmed', cause: expect.any(Error) }),
    );
  });
});
