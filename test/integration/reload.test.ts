/**
 * A page reload, simulated in Node: two clients one after the other over the same IndexedDB
 * (`fake-indexeddb`), the first closed mid-stream. The second resumes from the checkpoint the first left
 * (protocol/SPEC.md §10): the app gets only events it has not seen, and ends with the same state as an observer
 * that was never interrupted. `startTask({ resumeKey })` across a reload starts one task (protocol/SPEC.md §2).
 */
import {
  type CheckpointStore,
  createIndexedDbCheckpointStore,
  type FetchFunction,
  type TaskBridgeClient,
  type TaskSnapshot,
} from '@taskbridge/client';
import { compareEventIds } from '@taskbridge/protocol';
import { IDBFactory } from 'fake-indexeddb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createNodeClient, recordEvents, serverEventIds } from '../support/node-client';
import { startTestServer, type TestServer } from '../support/reference-server';

const WAIT = { timeout: 10_000, interval: 20 };

let srv: TestServer;
let clients: TaskBridgeClient[] = [];

beforeEach(async () => {
  srv = await startTestServer();
});

afterEach(async () => {
  for (const client of clients) client.close();
  clients = [];
  await srv.close();
});

/** One "page": a client whose checkpoints live in `factory` (the browser's IndexedDB). */
function openPage(factory: IDBFactory, overrides: { fetch?: FetchFunction } = {}) {
  const made = createNodeClient(srv.url, {
    checkpointStore: createIndexedDbCheckpointStore({ indexedDB: factory }),
    requestRetry: { attempts: 1 },
    ...(overrides.fetch ? { platform: { fetch: overrides.fetch } } : {}),
  });
  clients.push(made.client);
  return made;
}

async function storedCheckpoint(store: CheckpointStore, taskId: string) {
  const records = await store.list();
  return records.find((r) => r.checkpoint.taskId === taskId)?.checkpoint;
}

/** The parts of a snapshot that must survive a reload. */
function essence(snapshot: TaskSnapshot) {
  return {
    status: snapshot.status,
    text: snapshot.text,
    messages: snapshot.messages.map((m) => m.eventId),
    result: snapshot.result,
    lastEventId: snapshot.lastEventId,
    eventCount: snapshot.eventCount,
    terminalEventId: snapshot.terminalEvent?.eventId ?? null,
  };
}

describe('reload', () => {
  it('resumes from the IndexedDB checkpoint: only new events, and the final state of an uninterrupted observer', async () => {
    const factory = new IDBFactory();
    const page1 = openPage(factory);
    const { taskId, stream } = await page1.client.startTask({
      taskType: 'ticker',
      input: { count: 120, intervalMs: 10 },
    });
    // A second client that is never interrupted: what the final state must be.
    const witness = createNodeClient(srv.url);
    clients.push(witness.client);
    const witnessStream = witness.client.task(taskId);
    const witnessRecording = recordEvents(witnessStream);

    const before = recordEvents(stream);
    await vi.waitFor(() => expect(before.events.length).toBeGreaterThan(20), WAIT);
    page1.client.close();
    const seenBefore = before.events.map((e) => e.eventId);
    const lastSeen = seenBefore.at(-1) as string;
    before.unsubscribe();
    expect(before.completed).toBe(false);

    // Closing flushed the checkpoint: it holds exactly the last event the app received.
    const reader = createIndexedDbCheckpointStore({ indexedDB: factory });
    await vi.waitFor(async () => {
      expect((await storedCheckpoint(reader, taskId))?.lastEventId).toBe(lastSeen);
    }, WAIT);

    const page2 = openPage(factory);
    const active = await page2.client.activeTasks();
    expect(active.map((a) => a.taskId)).toEqual([taskId]);
    expect(active[0]).toMatchObject({ lastEventId: lastSeen, snapshot: { lastEventId: lastSeen } });

    const resumed = page2.client.task(taskId);
    // The restored snapshot is there before any new event arrives.
    const restoredCounts: number[] = [];
    const snapshotSub = resumed.snapshot$.subscribe((s) => restoredCounts.push(s.eventCount));
    const after = recordEvents(resumed);
    await Promise.all([after.done, witnessRecording.done]);
    snapshotSub.unsubscribe();

    const seenAfter = after.events.map((e) => e.eventId);
    expect(seenAfter.length).toBeGreaterThan(0);
    expect(compareEventIds(seenAfter[0] as string, lastSeen)).toBe(1);
    expect(new Set([...seenBefore, ...seenAfter]).size).toBe(seenBefore.length + seenAfter.length);
    expect([...seenBefore, ...seenAfter]).toEqual(await serverEventIds(srv, taskId));
    expect(restoredCounts.some((count) => count === seenBefore.length)).toBe(true);
    expect(page2.diagnostics.filter((d) => d.type === 'duplicate-dropped')).toEqual([]);

    const final = resumed.getSnapshot();
    expect(final.status).toBe('completed');
    expect(essence(final)).toEqual(essence(witnessStream.getSnapshot()));

    // Once terminal, the task is no longer active, and a third page gets the final state without a stream.
    await vi.waitFor(async () => expect(await page2.client.activeTasks()).toEqual([]), WAIT);
    page2.client.close();
    await vi.waitFor(() => expect(srv.server.engine.subscriptionCount).toBe(0), WAIT);
    const page3 = openPage(factory);
    const settled = await page3.client.task(taskId).settled();
    expect(essence(settled)).toEqual(essence(final));
    expect(page3.diagnostics.filter((d) => d.type === 'transport-selected')).toEqual([]);
    expect(srv.server.engine.subscriptionCount).toBe(0);
  });

  it('startTask({ resumeKey }) across a reload starts one task; forgetStart starts afresh', async () => {
    const factory = new IDBFactory();
    const tasksBefore = srv.server.engine.taskCount;
    const params = { taskType: 'ticker', input: { count: 3 }, resumeKey: 'form-1' };

    const page1 = openPage(factory);
    const first = await page1.client.startTask(params);
    expect(first.response.deduplicated).toBe(false);
    page1.client.close();

    const page2 = openPage(factory);
    const second = await page2.client.startTask(params);
    expect(second.taskId).toBe(first.taskId);
    expect(second.clientRequestId).toBe(first.clientRequestId);
    expect(second.response.deduplicated).toBe(true);
    expect(srv.server.engine.taskCount - tasksBefore).toBe(1);

    await page2.client.forgetStart('form-1');
    const third = await page2.client.startTask(params);
    expect(third.taskId).not.toBe(first.taskId);
    expect(srv.server.engine.taskCount - tasksBefore).toBe(2);
  });

  it('a create whose response was lost before the reload is re-sent with the same clientRequestId', async () => {
    const factory = new IDBFactory();
    const tasksBefore = srv.server.engine.taskCount;
    const params = { taskType: 'ticker', input: { count: 3 }, resumeKey: 'form-2' };
    // The request reaches the server; the page dies before the response is read.
    const losingFetch: FetchFunction = async (input, init) => {
      await fetch(input, init);
      throw new TypeError('fetch failed: connection reset');
    };
    const page1 = openPage(factory, { fetch: losingFetch });
    await expect(page1.client.startTask(params)).rejects.toMatchObject({ code: 'NETWORK_ERROR' });
    expect(srv.server.engine.taskCount - tasksBefore).toBe(1);
    page1.client.close();

    const page2 = openPage(factory);
    const again = await page2.client.startTask(params);
    expect(again.response.deduplicated).toBe(true);
    expect(srv.server.engine.taskCount - tasksBefore).toBe(1);
    const final = await again.stream.settled();
    expect(final).toMatchObject({ status: 'completed', result: { count: 3 } });
  });
});
