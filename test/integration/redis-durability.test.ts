/**
 * Durability on Redis with `appendonly yes`: Redis and every server process are SIGKILLed while a
 * client is part-way through a task's events; after the restart (new processes on the same ports) the client
 * resumes from its cursor over SSE and WebSocket and gets every remaining event exactly once, and a
 * `resumeKey` retry reattaches to the same task instead of running it again.
 *
 * Not covered (and not claimed): a handler running in a killed process does not resume — the
 * in-process runtime has no takeover; tasks here have finished before the kill.
 */
import { createMemoryCheckpointStore, createTaskBridgeClient } from '@taskbridge/client';
import { EventSource } from 'eventsource';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { idsOf, openSse, openWs, pollOnce, readLog, terminalLog } from '../support/hazard-streams';
import { taskPaths } from '../support/protocol-calls';
import { startRedisServer, type RedisTestServer } from '../support/redis-server';
import { requestTo, startServerProcess, type ServerProcess } from '../support/server-process';

const EVENTS = 1000;
const paths = taskPaths();
let redis: RedisTestServer;
let instances: ServerProcess[] = [];

beforeAll(async () => {
  redis = await startRedisServer({ appendonly: true });
  instances = await Promise.all([0, 1].map(() => startServerProcess(redis.url)));
}, 60_000);
afterAll(async () => {
  await Promise.all(instances.map((instance) => instance.kill()));
  await redis?.stop();
});

const clientOf = (instance: ServerProcess, checkpointStore: ReturnType<typeof createMemoryCheckpointStore>) =>
  createTaskBridgeClient({
    baseUrl: instance.url,
    getAccessToken: () => 'alice',
    platform: { WebSocket: WebSocket as never, EventSource: EventSource as never },
    checkpointStore,
    environment: null,
  });

describe('durability (appendonly yes)', () => {
  it('after Redis and every server process are SIGKILLed and restarted, clients resume with 0 events lost and a resumeKey retry reattaches', async () => {
    const [a, b] = instances as [ServerProcess, ServerProcess];
    const checkpoints = createMemoryCheckpointStore();
    const start = { taskType: 'ticker', input: { count: EVENTS }, resumeKey: 'report-1' };
    const first = clientOf(a, checkpoints);
    const started = await first.startTask(start);
    first.close();
    expect(started.response.deduplicated).toBe(false);
    const { taskId } = started;
    const before = await vi.waitFor(() => terminalLog(requestTo(b), taskId), {
      timeout: 20_000,
      interval: 50,
    });
    expect(before).toHaveLength(EVENTS + 2);
    // A client part-way through: it has read the first 300 events.
    const page = await pollOnce(requestTo(b), taskId, { maxEvents: 300 });
    const cursor = page.nextAfterEventId as string;

    await Promise.all([redis.kill(), ...instances.map((instance) => instance.kill())]);
    await redis.restart();
    // Same ports: the client's base URL (its checkpoints are kept per base URL) stays the same.
    instances = await Promise.all(instances.map((instance) => startServerProcess(redis.url, instance.port)));
    const [a2, b2] = instances as [ServerProcess, ServerProcess];

    expect(idsOf(await readLog(requestTo(b2), taskId))).toEqual(idsOf(before));
    const sse = openSse(a2.url, paths.stream(taskId), { lastEventId: cursor });
    const ws = openWs(b2.url.replace(/^http/, 'ws'), taskId, { lastEventId: cursor });
    await sse.done;
    await ws.closed;
    expect(idsOf([...page.events, ...sse.events])).toEqual(idsOf(before));
    expect(idsOf([...page.events, ...ws.events])).toEqual(idsOf(before));

    // The same start, retried after the restart (a page reload, say): the same task, not a second run.
    const second = clientOf(a2, checkpoints);
    try {
      const again = await second.startTask(start);
      expect(again.taskId).toBe(taskId);
      expect(again.response.deduplicated).toBe(true);
      const settled = await again.stream.settled();
      expect(settled.status).toBe('completed');
    } finally {
      second.close();
    }
    const after = await readLog(requestTo(a2), taskId);
    expect(idsOf(after)).toEqual(idsOf(before));
    expect(after.filter((e) => e.type === 'TASK_STARTED')).toHaveLength(1);
  }, 90_000);
});
