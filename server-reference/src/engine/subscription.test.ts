import type { TaskEvent } from '@taskbridge/protocol';
import { describe, expect, it } from 'vitest';
import type { NewTaskEvent } from './state/event-store';
import { createMemoryEventStore } from './state/memory/memory-event-store';
import { openSubscription, type Subscription } from './subscription';

const TASK = 'task-1';
const message = (text: string): NewTaskEvent => ({
  type: 'TASK_MESSAGE',
  taskId: TASK,
  createdAt: '2025-01-01T00:00:00.000Z',
  payload: { message: text },
});

async function nextEvents(subscription: Subscription): Promise<TaskEvent[]> {
  for (;;) {
    const step = await subscription.next();
    if (step.done) throw new Error('subscription ended');
    if (step.value.kind === 'events') return step.value.events;
  }
}

describe('subscription: live events after the cursor', () => {
  it('drops live events up to the cursor, then delivers every later one', async () => {
    // One fixed ms: ids are 1000-0, 1000-1, 1000-2, …
    const store = createMemoryEventStore({ now: () => 1000 });
    const subscription = await openSubscription(store, {
      taskId: TASK,
      cursor: '1000-1',
      maxQueuedEvents: 100,
      replayPageSize: 10,
    });
    const first = nextEvents(subscription);
    for (const text of ['a', 'b', 'c']) await store.append(message(text));
    expect((await first).map((e) => e.eventId)).toEqual(['1000-2']);

    const second = nextEvents(subscription);
    // Both appended before the subscriber runs again: one batch.
    await Promise.all(['d', 'e'].map((text) => store.append(message(text))));
    expect((await second).map((e) => e.eventId)).toEqual(['1000-3', '1000-4']);
    subscription.close();
  });

  it('never repeats an event that replay already delivered and that was also queued live', async () => {
    const store = createMemoryEventStore({ now: () => 1000 });
    await store.append(message('a'));
    const subscription = await openSubscription(store, {
      taskId: TASK,
      cursor: null,
      maxQueuedEvents: 100,
      replayPageSize: 1,
    });
    // Appended after the live attach and the first replay page: both paths see it.
    await store.append(message('b'));
    const seen: string[] = [];
    seen.push(...(await nextEvents(subscription)).map((e) => e.eventId));
    seen.push(...(await nextEvents(subscription)).map((e) => e.eventId));
    const live = nextEvents(subscription);
    await store.append(message('c'));
    seen.push(...(await live).map((e) => e.eventId));
    expect(seen).toEqual(['1000-0', '1000-1', '1000-2']);
    subscription.close();
  });
});

describe('subscription: history trimmed (protocol/SPEC.md §11)', () => {
  it('reports a trimmed cursor before the first item and replays the retained tail', async () => {
    const store = createMemoryEventStore({ now: () => 1000, maxEventsPerTask: 3 });
    for (const text of ['a', 'b', 'c', 'd', 'e']) await store.append(message(text));
    const subscription = await openSubscription(store, {
      taskId: TASK,
      cursor: '1000-0',
      maxQueuedEvents: 100,
      replayPageSize: 10,
    });
    expect(subscription.historyTrimmed).toEqual({
      requestedAfterEventId: '1000-0',
      firstRetainedEventId: '1000-2',
    });
    expect((await nextEvents(subscription)).map((e) => e.eventId)).toEqual(['1000-2', '1000-3', '1000-4']);
    subscription.close();
  });

  it('a cursor at the newest trimmed event is not trimmed', async () => {
    const store = createMemoryEventStore({ now: () => 1000, maxEventsPerTask: 3 });
    for (const text of ['a', 'b', 'c', 'd', 'e']) await store.append(message(text));
    const subscription = await openSubscription(store, {
      taskId: TASK,
      cursor: '1000-1',
      maxQueuedEvents: 100,
      replayPageSize: 10,
    });
    expect(subscription.historyTrimmed).toBeNull();
    subscription.close();
  });

  it('ends with RATE_LIMITED history_trimmed when retention overtakes a paged replay', async () => {
    const store = createMemoryEventStore({ now: () => 1000, maxEventsPerTask: 4 });
    for (const text of ['a', 'b', 'c', 'd']) await store.append(message(text));
    const subscription = await openSubscription(store, {
      taskId: TASK,
      cursor: null,
      maxQueuedEvents: 100,
      replayPageSize: 2,
    });
    expect(subscription.historyTrimmed).toBeNull();
    expect((await nextEvents(subscription)).map((e) => e.eventId)).toEqual(['1000-0', '1000-1']);
    // Four more appends delete 1000-2 and 1000-3 before the replay reads its second page.
    for (const text of ['e', 'f', 'g', 'h']) await store.append(message(text));
    await expect(subscription.next()).rejects.toMatchObject({
      code: 'RATE_LIMITED',
      details: { reason: 'history_trimmed' },
    });
    expect(subscription.closed).toBe(true);
  });
});
