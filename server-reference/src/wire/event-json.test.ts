import type { PollEventsResponse, TaskEvent } from '@taskbridge/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deepFreeze } from '../engine/state/memory/frozen-copy';
import { cachedEventCount, eventJson, pollResponseJson } from './event-json';

const messageEvent = (eventId: string, message: string): TaskEvent => ({
  type: 'TASK_MESSAGE',
  taskId: 'task-1',
  eventId,
  createdAt: '2025-01-01T00:00:00.000Z',
  payload: { message },
});

describe('eventJson', () => {
  it('is JSON.stringify of the event, frozen or not, for any text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.boolean(), (message, frozen) => {
        const event = messageEvent('1-0', message);
        const expected = JSON.stringify(event);
        const subject = frozen ? deepFreeze(event) : event;
        expect(eventJson(subject)).toBe(expected);
        expect(eventJson(subject)).toBe(expected);
      }),
    );
  });

  it('does not cache a mutable event: a change shows in the next text', () => {
    const event = messageEvent('1-0', 'before');
    expect(JSON.parse(eventJson(event))).toMatchObject({ payload: { message: 'before' } });
    (event.payload as { message: string }).message = 'after';
    expect(JSON.parse(eventJson(event))).toMatchObject({ payload: { message: 'after' } });
  });
});

describe('pollResponseJson', () => {
  const statuses = [undefined, 'RUNNING', 'COMPLETED'] as const;

  it('is byte for byte JSON.stringify of the response', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: 'binary' }), { maxLength: 5 }),
        fc.constantFrom(...statuses),
        fc.boolean(),
        fc.option(fc.constantFrom('7-1', 'a"b\u2028')),
        fc.option(
          fc.record({
            requestedAfterEventId: fc.option(fc.string()),
            firstRetainedEventId: fc.option(fc.string()),
          }),
        ),
        (messages, taskStatus, hasMore, cursor, historyTrimmed) => {
          const body: PollEventsResponse = {
            taskId: 'task-"1"',
            events: messages.map((m, i) => deepFreeze(messageEvent(`1-${i}`, m))),
            nextAfterEventId: cursor,
            hasMore,
            ...(taskStatus === undefined ? {} : { taskStatus }),
            ...(historyTrimmed === null ? {} : { historyTrimmed }),
          };
          expect(pollResponseJson(body)).toBe(JSON.stringify(body));
        },
      ),
    );
  });

  it('splices a cached text but does not fill the cache', () => {
    const polled = deepFreeze(messageEvent('2-0', 'polled'));
    const sent = deepFreeze(messageEvent('2-1', 'sent'));
    const before = cachedEventCount();
    const body: PollEventsResponse = {
      taskId: 'task-1',
      events: [polled],
      nextAfterEventId: '2-0',
      hasMore: false,
    };
    expect(pollResponseJson(body)).toBe(JSON.stringify(body));
    expect(cachedEventCount()).toBe(before);
    eventJson(sent);
    expect(cachedEventCount()).toBe(before + 1);
    const both = { ...body, events: [polled, sent] };
    expect(pollResponseJson(both)).toBe(JSON.stringify(both));
    expect(cachedEventCount()).toBe(before + 1);
  });
});
