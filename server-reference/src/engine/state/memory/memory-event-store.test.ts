import type { TaskEvent } from '@taskbridge/protocol';
import type { EventStore, NewTaskEvent } from '../event-store';
import { describe, expect, it } from 'vitest';
import { createMemoryEventStore } from './memory-event-store';

const TASK = 'task-1';

async function appended(store: EventStore, event: NewTaskEvent): Promise<TaskEvent> {
  const result = await store.append(event);
  if (!result.ok) throw new Error(`append refused: ${result.reason}`);
  return result.event;
}

function message(text: string): NewTaskEvent {
  return {
    type: 'TASK_MESSAGE',
    taskId: TASK,
    createdAt: '2025-01-01T00:00:00.000Z',
    payload: { message: text },
  };
}

describe('memory event store: immutable history (hazard H2)', () => {
  it('returns deep-frozen events from append, read and listeners, which cannot be changed', async () => {
    const store = createMemoryEventStore();
    const heard: unknown[] = [];
    await store.subscribe(TASK, (event) => heard.push(event));
    const stored = await appended(store, message('a'));
    const [read] = (await store.read(TASK, null, 10)).events;

    for (const event of [stored, read, heard[0]]) {
      expect(Object.isFrozen(event)).toBe(true);
      expect(Object.isFrozen((event as typeof stored).payload)).toBe(true);
    }
    // ES modules are strict: writing a frozen property throws instead of failing silently.
    expect(() => Object.assign(stored.payload, { message: 'changed' })).toThrow(TypeError);
    expect(() => Object.assign(stored, { eventId: '1-0' })).toThrow(TypeError);
    const [again] = (await store.read(TASK, null, 10)).events;
    expect(again).toEqual({ ...stored, payload: { message: 'a' } });
  });

  it("copies the producer's payload: it stays mutable, and changing it later leaves history alone", async () => {
    const store = createMemoryEventStore();
    const result = { nested: { items: [1, 2] } };
    const stored = await appended(store, {
      type: 'TASK_COMPLETED',
      taskId: TASK,
      createdAt: '2025-01-01T00:00:00.000Z',
      payload: { result },
    });
    expect(Object.isFrozen(result)).toBe(false);
    result.nested.items.push(3);
    const [read] = (await store.read(TASK, null, 10)).events;
    expect(read).toBe(stored);
    expect(read?.payload).toEqual({ result: { nested: { items: [1, 2] } } });
    expect(Object.isFrozen((read?.payload as { result: typeof result }).result.nested.items)).toBe(true);
  });

  it('gives each read its own array: pushing to a page does not reach the store', async () => {
    const store = createMemoryEventStore();
    await store.append(message('a'));
    const page = await store.read(TASK, null, 10);
    page.events.push(page.events[0] as (typeof page.events)[number]);
    expect((await store.read(TASK, null, 10)).events).toHaveLength(1);
  });

  it.each([
    ['nested', { result: { callback: () => 1 } }],
    ['at the top', { result: () => 1 }],
  ])('still refuses a function in the payload (%s), as structuredClone always did', async (_, payload) => {
    const store = createMemoryEventStore();
    const append = () =>
      store.append({ type: 'TASK_COMPLETED', taskId: TASK, createdAt: '2025-01-01T00:00:00.000Z', payload });
    await expect(Promise.resolve().then(append)).rejects.toThrow(/could not be cloned/);
    expect((await store.read(TASK, null, 10)).events).toEqual([]);
  });
});
