import type { TaskEvent } from '@taskbridge/protocol';
import { describe, expect, it } from 'vitest';
import type { NewTaskEvent } from './event-store';
import { createMemoryEventStore } from './memory-event-store';
import { openSubscription } from './subscription';

const TASK = 'task-1';
const message = (text: string): NewTaskEvent => ({
  type: 'TASK_MESSAGE',
  taskId: TASK,
  createdAt: '2025-01-01T00:00:00.000Z',
  payload: { message: text },
});

async function nextEvents(subscription: ReturnType<typeof openSubscription>): Promise<TaskEvent[]> {
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
    const subscription = openSubscription(store, {
      taskId: TASK,
      cursor: '1000-1',
      maxQueuedEvents: 100,
      replayPageSize: 10,
      isTerminal: () => false,
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
    const subscription = openSubscription(store, {
      taskId: TASK,
      cursor: null,
      maxQueuedEvents: 100,
      replayPageSize: 10,
      isTerminal: () => false,
    });
    // Appended after the live attach and before the replay read: both paths see it.
    await store.append(message('b'));
    const seen: string[] = [];
    seen.push(...(await nextEvents(subscription)).map((e) => e.eventId));
    const live = nextEvents(subscription);
    await store.append(message('c'));
    seen.push(...(await live).map((e) => e.eventId));
    expect(seen).toEqual(['1000-0', '1000-1', '1000-2']);
    subscription.close();
  });
});
