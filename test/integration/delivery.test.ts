/**
 * Exactly-once, in-order delivery over real sockets (protocol/SPEC.md §3, §10): a ticker of 600 events arrives
 * complete, in order and without duplicates over each transport and with automatic selection, and two
 * observers of one task share one server subscription.
 */
import type { TaskBridgeClient } from '@taskbridge/client';
import type { TransportName } from '@taskbridge/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createNodeClient,
  recordEvents,
  serverEventIds,
  strictlyIncreasing,
  transportPath,
} from '../support/node-client';
import { startTestServer, type TestServer } from '../support/reference-server';

const COUNT = 600;

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

function track<T extends { client: TaskBridgeClient }>(made: T): T {
  clients.push(made.client);
  return made;
}

const modes: { name: string; force: TransportName | undefined; expected: TransportName }[] = [
  { name: 'websocket (forced)', force: 'websocket', expected: 'websocket' },
  { name: 'sse (forced)', force: 'sse', expected: 'sse' },
  { name: 'polling (forced)', force: 'polling', expected: 'polling' },
  { name: 'automatic selection', force: undefined, expected: 'websocket' },
];

describe('delivery of a 600-event ticker', () => {
  for (const mode of modes) {
    it(`arrives complete, in order, once, over ${mode.name}`, async () => {
      const { client, diagnostics } = track(
        createNodeClient(srv.url, mode.force ? { forceTransport: mode.force } : {}),
      );
      // A small interval keeps most events live (not only replay) without slowing the suite.
      const { taskId, stream } = await client.startTask({
        taskType: 'ticker',
        input: { count: COUNT, intervalMs: 1 },
      });
      const recording = recordEvents(stream);
      await recording.done;

      const ids = recording.events.map((e) => e.eventId);
      // TASK_STARTED + COUNT messages + TASK_COMPLETED.
      expect(ids).toHaveLength(COUNT + 2);
      expect(new Set(ids).size).toBe(ids.length);
      expect(strictlyIncreasing(ids)).toBe(true);
      expect(ids).toEqual(await serverEventIds(srv, taskId));
      expect(recording.events.at(-1)?.type).toBe('TASK_COMPLETED');
      expect(recording.completed).toBe(true);

      const snapshot = stream.getSnapshot();
      expect(snapshot.status).toBe('completed');
      expect(snapshot.result).toEqual({ count: COUNT });
      expect(snapshot.lastEventId).toBe(ids.at(-1));
      expect(snapshot.eventCount).toBe(ids.length);
      const messages = recording.events.filter((e) => e.type === 'TASK_MESSAGE');
      expect(snapshot.messages.map((m) => m.eventId)).toEqual(messages.map((e) => e.eventId));
      expect(snapshot.messages.map((m) => m.message)).toEqual(
        Array.from({ length: COUNT }, (_, i) => `tick ${i + 1}`),
      );
      expect(snapshot.text).toBe(snapshot.messages.map((m) => m.message).join(''));

      expect(transportPath(diagnostics, taskId)).toEqual([mode.expected]);
      expect(diagnostics.filter((d) => d.type === 'stream-failed')).toEqual([]);
      await vi.waitFor(() => expect(stream.getConnectionState().status).toBe('done'));
    });
  }
});

describe('sharing', () => {
  for (const force of ['websocket', 'sse'] as const) {
    it(`two observers of one task share one ${force} subscription and see the same events`, async () => {
      const { client } = track(createNodeClient(srv.url, { forceTransport: force }));
      const { taskId } = await client.startTask({
        taskType: 'ticker',
        input: { count: 2_000, intervalMs: 5 },
      });
      const first = client.task(taskId);
      const second = client.task(taskId);
      expect(second).toBe(first);
      const a = recordEvents(first);
      const b = recordEvents(second);
      const snapshots: number[] = [];
      const snapshotSub = second.snapshot$.subscribe((s) => snapshots.push(s.eventCount));

      await vi.waitFor(() => expect(a.events.length).toBeGreaterThan(5), { timeout: 5_000 });
      expect(srv.server.engine.subscriptionCount).toBe(1);

      // End the task early: the shared stream still delivers the terminal event to both observers.
      await first.cancel('test done');
      await Promise.all([a.done, b.done]);
      snapshotSub.unsubscribe();

      expect(a.events.at(-1)?.type).toBe('TASK_CANCELLED');
      expect(b.events.map((e) => e.eventId)).toEqual(a.events.map((e) => e.eventId));
      expect(a.events.map((e) => e.eventId)).toEqual(await serverEventIds(srv, taskId));
      expect(snapshots.at(-1)).toBe(a.events.length);
      await vi.waitFor(() => expect(srv.server.engine.subscriptionCount).toBe(0));
    });
  }
});
