/**
 * `client.close()` against the reference server: an observer is always told how its stream ended, and
 * an app that closes the client while handling an event does not get that event again from its
 * checkpoint (the next client, or a reload, resumes after it).
 */
import { type CheckpointStore, createMemoryCheckpointStore, TaskBridgeError } from '@taskbridge/client';
import type { TaskEvent, UnknownTaskEvent } from '@taskbridge/protocol';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createNodeClient, recordEvents, serverEventIds, strictlyIncreasing } from '../support/node-client';
import { startTestServer, type TestServer } from '../support/reference-server';

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(() => srv.close());

const WAIT = { timeout: 10_000 };

describe('client.close()', () => {
  for (const transport of ['websocket', 'sse', 'polling'] as const) {
    it(`called inside an events$ handler keeps that event in the checkpoint (${transport})`, async () => {
      const store: CheckpointStore = createMemoryCheckpointStore();
      const first = createNodeClient(srv.url, { checkpointStore: store, forceTransport: transport });
      const { taskId } = await first.client.startTask({
        taskType: 'ticker',
        input: { count: 30, intervalMs: 5 },
      });
      const seen: (TaskEvent | UnknownTaskEvent)[] = [];
      let closedAt: string | undefined;
      first.client.task(taskId).events$.subscribe({
        next: (event) => {
          seen.push(event);
          if (event.type === 'TASK_MESSAGE' && closedAt === undefined && seen.length >= 4) {
            closedAt = event.eventId;
            first.client.close();
          }
        },
        error: () => undefined,
      });
      await vi.waitFor(() => expect(closedAt).toBeDefined(), WAIT);

      const second = createNodeClient(srv.url, { checkpointStore: store, forceTransport: transport });
      const stream = second.client.task(taskId);
      const resumed = recordEvents(stream);
      await resumed.done;
      second.client.close();

      const resumedIds = resumed.events.map((e) => e.eventId);
      expect(resumedIds).not.toContain(closedAt);
      const all = [...seen.map((e) => e.eventId), ...resumedIds];
      expect(strictlyIncreasing(all)).toBe(true);
      expect(all).toEqual(await serverEventIds(srv, taskId));
      expect(second.diagnostics.filter((d) => d.type === 'duplicate-dropped')).toEqual([]);
    });
  }

  it('ends events$ with ABORTED, so its observer is told how the stream ended', async () => {
    const { client } = createNodeClient(srv.url);
    const { stream } = await client.startTask({ taskType: 'ticker', input: { count: 1000, intervalMs: 20 } });
    const recording = recordEvents(stream);
    await vi.waitFor(() => expect(recording.events.length).toBeGreaterThan(1), WAIT);
    client.close();
    // At once: close() is synchronous, and so is telling the observers.
    expect(recording.error).toBeInstanceOf(TaskBridgeError);
    expect(recording.error).toMatchObject({ code: 'ABORTED', retryable: false });
    expect(recording.completed).toBe(false);
    await expect(recording.done).rejects.toMatchObject({ code: 'ABORTED' });
    // Observers that come later are told at once too.
    const late = recordEvents(stream);
    await expect(late.done).rejects.toMatchObject({ code: 'ABORTED' });
    await expect(stream.settled()).rejects.toMatchObject({ code: 'ABORTED' });
    expect(stream.getConnectionState().status).toBe('stopped');
  });

  it('ends snapshot$ and connection$ too, and streams handed out afterwards are over', async () => {
    const { client } = createNodeClient(srv.url);
    const { stream, taskId } = await client.startTask({
      taskType: 'ticker',
      input: { count: 1000, intervalMs: 20 },
    });
    const ends: string[] = [];
    stream.snapshot$.subscribe({ complete: () => ends.push('snapshot$') });
    stream.connection$.subscribe({ complete: () => ends.push('connection$') });
    await vi.waitFor(() => expect(stream.getConnectionState().status).toBe('live'), WAIT);
    client.close();
    expect(ends.sort()).toEqual(['connection$', 'snapshot$']);
    await expect(client.task(taskId).settled()).rejects.toMatchObject({ code: 'ABORTED' });
  });
});
