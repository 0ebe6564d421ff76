/**
 * H4 — mutating the subscriber list while iterating it. Listeners that unsubscribe themselves or
 * others, subscribe new ones, or throw during fan-out must not make the store skip anyone attached
 * when the append started, and no error may reach the producer. A subscription closed from inside
 * another's iteration (or its own) must end cleanly while the others carry on.
 */
import type { TaskEvent } from '@taskbridge/protocol';
import {
  type AuthContext,
  createTaskEngine,
  type EventStore,
  type NewTaskEvent,
  type Subscription,
  type TaskHandler,
} from '@taskbridge/server-reference';
import { describe, expect, it, vi } from 'vitest';
import { testBackend } from '../support/backend-fixture';
import { Gates, settleWithin } from '../support/hazard-deferred';

const TASK = 'task-h4';
const message = (text: string): NewTaskEvent => ({
  type: 'TASK_MESSAGE',
  taskId: TASK,
  createdAt: new Date(0).toISOString(),
  payload: { message: text },
});
const texts = (events: readonly TaskEvent[]) =>
  events.map((e) => (e.type === 'TASK_MESSAGE' ? e.payload.message : e.type));

/** Listeners that record what they got. */
function recorder(store: EventStore) {
  const got = new Map<string, string[]>();
  const unsubscribers = new Map<string, () => void>();
  const add = async (name: string, extra: (event: TaskEvent) => void = () => undefined) => {
    got.set(name, []);
    const unsubscribe = await store.subscribe(TASK, (event) => {
      got.get(name)?.push(event.type === 'TASK_MESSAGE' ? event.payload.message : event.type);
      extra(event);
    });
    unsubscribers.set(name, unsubscribe);
  };
  return { got, unsubscribers, add };
}

// Fan-out may run after `append` resolves (a shared backend delivers through pub/sub): wait for it.
const eventually = (assertion: () => void) => vi.waitFor(assertion, { timeout: 3_000, interval: 5 });

describe('H4: store fan-out over a snapshot of its listeners', () => {
  it('self- and cross-unsubscribe, late subscribe and a throwing listener skip no one', async () => {
    const store = (await testBackend()).events;
    const { got, unsubscribers, add } = recorder(store);
    let late: Promise<void> | undefined;
    await add('a', () => {
      // Removes itself and a listener that has not been called yet for this event.
      unsubscribers.get('a')?.();
      unsubscribers.get('c')?.();
      // Attaches a new listener mid-fan-out; it must only see later events.
      late ??= add('late');
    });
    await add('b', () => {
      throw new Error('listener b is broken');
    });
    await add('c');
    await add('d', () => {
      // Removes a listener that was already called for this event.
      unsubscribers.get('a')?.();
    });
    await add('e');

    // No error reaches the producer, and the event is stored.
    await expect(store.append(message('first'))).resolves.toMatchObject({
      ok: true,
      event: { type: 'TASK_MESSAGE' },
    });
    await eventually(() => expect(got.get('e')).toEqual(['first']));
    await late;
    expect(Object.fromEntries(got)).toEqual({
      a: ['first'],
      b: ['first'],
      c: ['first'],
      d: ['first'],
      e: ['first'],
      late: [],
    });

    await expect(store.append(message('second'))).resolves.toMatchObject({ ok: true });
    await eventually(() => expect(got.get('e')).toEqual(['first', 'second']));
    expect(Object.fromEntries(got)).toEqual({
      a: ['first'],
      b: ['first', 'second'],
      c: ['first'],
      d: ['first', 'second'],
      e: ['first', 'second'],
      late: ['second'],
    });
    expect(texts((await store.read(TASK, null, 10)).events)).toEqual(['first', 'second']);
  });

  it('a listener that keeps subscribing new listeners cannot make one append run away', async () => {
    const store = (await testBackend()).events;
    let calls = 0;
    const attaching: Promise<unknown>[] = [];
    // Capped so that a live (non-snapshot) iteration fails the assertion instead of never ending.
    const spawn = () => {
      attaching.push(
        store.subscribe(TASK, () => {
          calls += 1;
          if (calls < 50) spawn();
        }),
      );
    };
    spawn();
    await Promise.all(attaching);
    await store.append(message('one'));
    await eventually(() => expect(calls).toBe(1));
    await Promise.all(attaching);
    await store.append(message('two'));
    await eventually(() => expect(calls).toBe(3));
    await Promise.all(attaching);
    expect(calls).toBe(3);
  });

  it('a throwing listener attached by the engine does not fail the task or lose its events', async () => {
    const gates = new Gates();
    const handler: TaskHandler = async (ctx) => {
      await gates.wait(ctx.taskId);
      for (let i = 1; i <= 5; i++) await ctx.message(`m${i}`);
      return { ok: true };
    };
    const engine = createTaskEngine({ handlers: { h: handler }, backend: await testBackend() });
    const auth: AuthContext = { subject: 'alice', scopes: [], attributes: {} };
    const { response } = await engine.createTask(auth, { clientRequestId: 'h4', taskType: 'h', input: {} });
    const seen: string[] = [];
    const events = engine.backend.events;
    await events.subscribe(response.taskId, () => {
      throw new Error('broken listener');
    });
    const unsubscribeSelf: () => void = await events.subscribe(response.taskId, () => unsubscribeSelf());
    await events.subscribe(response.taskId, (event) => seen.push(event.type));
    gates.open(response.taskId);

    const log = await vi.waitFor(
      async () => {
        const page = await engine.poll(auth, response.taskId, {
          afterEventId: null,
          waitTimeoutMs: 0,
          maxEvents: 500,
        });
        expect(page.taskStatus).toBe('COMPLETED');
        return page.events;
      },
      { timeout: 3_000 },
    );
    expect(texts(log)).toEqual(['TASK_STARTED', 'm1', 'm2', 'm3', 'm4', 'm5', 'TASK_COMPLETED']);
    await eventually(() =>
      expect(seen.slice(-6)).toEqual([...Array<string>(5).fill('TASK_MESSAGE'), 'TASK_COMPLETED']),
    );
    await engine.shutdown();
  });
});

describe('H4: closing subscriptions from inside iteration', () => {
  const auth: AuthContext = { subject: 'alice', scopes: [], attributes: {} };

  async function runningTask() {
    const gates = new Gates();
    const handler: TaskHandler = async (ctx) => {
      await ctx.message('before');
      await gates.wait(ctx.taskId);
      await ctx.message('after');
      return { ok: true };
    };
    const engine = createTaskEngine({ handlers: { h: handler }, backend: await testBackend() });
    const { response } = await engine.createTask(auth, {
      clientRequestId: 'h4-sub',
      taskType: 'h',
      input: {},
    });
    const taskId = response.taskId;
    await vi.waitFor(async () => {
      const page = await engine.poll(auth, taskId, { afterEventId: null, waitTimeoutMs: 0, maxEvents: 10 });
      expect(page.events.map((e) => e.type)).toEqual(['TASK_STARTED', 'TASK_MESSAGE']);
    });
    return { engine, taskId, open: () => gates.open(taskId) };
  }

  /** Drains a subscription, calling `onItem` after each batch; returns the event ids it got. */
  async function drain(subscription: Subscription, onItem: (events: TaskEvent[]) => void = () => undefined) {
    const ids: string[] = [];
    for await (const item of subscription) {
      if (item.kind !== 'events') continue;
      ids.push(...item.events.map((e) => e.eventId));
      onItem(item.events);
    }
    return ids;
  }

  it('a subscription that closes itself mid-iteration ends; the others get everything', async () => {
    const { engine, taskId, open } = await runningTask();
    const quitter = await engine.subscribe(auth, taskId, null);
    const steady = await engine.subscribe(auth, taskId, null);
    expect(engine.subscriptionCount).toBe(2);

    const quitterIds = drain(quitter, () => quitter.close());
    const steadyIds = drain(steady);
    expect(await settleWithin(quitterIds, 3_000, 'self-closed subscription')).toHaveLength(2);
    expect(quitter.closed).toBe(true);
    expect(engine.subscriptionCount).toBe(1);

    open();
    const ids = await settleWithin(steadyIds, 3_000, 'steady subscription');
    const log = await engine.poll(auth, taskId, { afterEventId: null, waitTimeoutMs: 0, maxEvents: 10 });
    expect(ids).toEqual(log.events.map((e) => e.eventId));
    expect(log.events.at(-1)?.type).toBe('TASK_COMPLETED');
  });

  it('closing another subscription parked in next() ends that next() at once', async () => {
    const { engine, taskId, open } = await runningTask();
    const parked = await engine.subscribe(auth, taskId, null);
    // Replay, then the caught-up notice; the next call has nothing to give and waits for live events.
    expect((await parked.next()).value).toMatchObject({ kind: 'events' });
    expect((await parked.next()).value).toEqual({ kind: 'caught-up' });
    const pending = parked.next();

    const closer = await engine.subscribe(auth, taskId, null);
    const closerIds = drain(closer, () => parked.close());
    expect(await settleWithin(pending, 3_000, 'the parked next()')).toEqual({ done: true, value: undefined });

    open();
    const got = await settleWithin(closerIds, 3_000, 'closing subscription');
    const log = await engine.poll(auth, taskId, { afterEventId: null, waitTimeoutMs: 0, maxEvents: 10 });
    expect(got).toEqual(log.events.map((e) => e.eventId));
    expect(log.events.at(-1)?.type).toBe('TASK_COMPLETED');
  });

  it('a subscription closed by a store listener earlier in the same fan-out ignores that event', async () => {
    const { engine, taskId, open } = await runningTask();
    const victim = await engine.subscribe(auth, taskId, null);
    const witness = await engine.subscribe(auth, taskId, null);
    const victimIds = drain(victim);
    const witnessIds = drain(witness);
    // Attached after both subscriptions, so it runs after their listeners for each append; the
    // next append after 'after' (the terminal) is the one the closed victim must ignore.
    await engine.backend.events.subscribe(taskId, (event) => {
      if (event.type === 'TASK_MESSAGE' && event.payload.message === 'after') victim.close();
    });
    open();

    const log = await vi.waitFor(async () => {
      const page = await engine.poll(auth, taskId, { afterEventId: null, waitTimeoutMs: 0, maxEvents: 10 });
      expect(page.events.at(-1)?.type).toBe('TASK_COMPLETED');
      return page.events.map((e) => e.eventId);
    });
    expect(await settleWithin(witnessIds, 3_000, 'witness subscription')).toEqual(log);
    const victimGot = await settleWithin(victimIds, 3_000, 'closed subscription');
    expect(victimGot).toEqual(log.slice(0, victimGot.length));
    expect(victimGot).not.toContain(log.at(-1));
  });
});
