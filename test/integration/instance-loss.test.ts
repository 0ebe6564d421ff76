/**
 * Instance loss behind nginx (issue: scale out). Tasks run on a producer instance; clients follow
 * them through nginx balancing two more instances on the same Redis. Mid-stream each of the two is
 * SIGKILLed in turn (and restarted on its port), so every stream loses the instance serving it at
 * least once. Each transport (and auto) must deliver every event exactly once, in order, through the
 * terminal event. Prints one row per transport.
 */
import {
  createMemoryCheckpointStore,
  createTaskBridgeClient,
  type Diagnostic,
  type TaskBridgeClient,
} from '@taskbridge/client';
import { isTerminalEvent, type TransportName } from '@taskbridge/protocol';
import { EventSource } from 'eventsource';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { idsOf, readLog, type RequestFn } from '../support/hazard-streams';
import { startNginxBalancer, type NginxBalancer } from '../support/nginx-balancer';
import { taskPaths, uniqueId } from '../support/protocol-calls';
import { startRedisServer, type RedisTestServer } from '../support/redis-server';
import { requestTo, startServerProcess, type ServerProcess } from '../support/server-process';

const TASKS = 20;
const EVENTS = 500;
// ~8 ms per tick: each task streams for ~4 s, long enough for both kills to land mid-stream.
const TICK_MS = 8;
const SETTLE_DEADLINE_MS = 45_000;
const MODES: readonly { name: string; forceTransport?: TransportName }[] = [
  { name: 'websocket', forceTransport: 'websocket' },
  { name: 'sse', forceTransport: 'sse' },
  { name: 'polling', forceTransport: 'polling' },
  { name: 'auto' },
];

const paths = taskPaths();
let redis: RedisTestServer;
let producer: ServerProcess;
let streamers: ServerProcess[] = [];
let nginx: NginxBalancer;
const rows: Record<string, string | number>[] = [];

beforeAll(async () => {
  redis = await startRedisServer();
  const started = await Promise.all([0, 1, 2].map(() => startServerProcess(redis.url)));
  producer = started[0] as ServerProcess;
  streamers = started.slice(1);
  // A 1 s fail_timeout: a restarted instance is tried again soon (the example uses 10 s).
  nginx = await startNginxBalancer(
    streamers.map((s) => s.port),
    1,
  );
}, 60_000);
afterAll(async () => {
  console.log(`\ninstance loss (SIGKILL of each streaming instance mid-stream):`);
  console.table(rows);
  await nginx?.close();
  await Promise.all([producer, ...streamers].map((s) => s?.kill()));
  await redis?.stop();
});

const producerRequest: RequestFn = (path, init) => requestTo(producer)(path, init);

interface Followed {
  taskId: string;
  received: string[];
  terminal: boolean;
  settled: boolean;
}

async function follow(client: TaskBridgeClient): Promise<Followed> {
  const res = await producerRequest(paths.create, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      clientRequestId: uniqueId('loss'),
      taskType: 'ticker',
      input: { count: EVENTS, intervalMs: TICK_MS },
    }),
  });
  expect(res.status).toBe(201);
  const { taskId } = (await res.json()) as { taskId: string };
  const followed: Followed = { taskId, received: [], terminal: false, settled: false };
  client.task(taskId).events$.subscribe({
    next: (event) => {
      followed.received.push(event.eventId);
      if (isTerminalEvent(event)) followed.terminal = true;
    },
    complete: () => (followed.settled = true),
    error: () => (followed.settled = true),
  });
  return followed;
}

const atLeast = (all: readonly Followed[], n: number) =>
  vi.waitFor(() => expect(all.every((f) => f.terminal || f.received.length >= n)).toBe(true), {
    timeout: 30_000,
    interval: 20,
  });

async function killAndRestart(index: number): Promise<void> {
  const victim = streamers[index] as ServerProcess;
  await victim.kill();
  streamers[index] = await startServerProcess(redis.url, victim.port);
}

describe('instance loss behind nginx', () => {
  for (const mode of MODES) {
    it(`${mode.name}: ${TASKS} tasks × ${EVENTS} events survive a SIGKILL of each streaming instance`, async () => {
      let reconnects = 0;
      const client = createTaskBridgeClient({
        baseUrl: nginx.url,
        getAccessToken: () => 'alice',
        platform: { WebSocket: WebSocket as never, EventSource: EventSource as never },
        checkpointStore: createMemoryCheckpointStore(),
        environment: null,
        ...(mode.forceTransport ? { forceTransport: mode.forceTransport } : {}),
        connection: { backoff: { baseMs: 20, maxMs: 300 }, openTimeoutMs: 2000, livenessTimeoutMs: 5000 },
        polling: { waitTimeoutMs: 1000 },
        onDiagnostic: (d: Diagnostic) => {
          if (d.type === 'retry' || d.type === 'fallback') reconnects += 1;
        },
      });
      const started = Date.now();
      try {
        const all = await Promise.all(Array.from({ length: TASKS }, () => follow(client)));
        await atLeast(all, 100);
        await killAndRestart(0);
        await atLeast(all, 250);
        await killAndRestart(1);
        await vi
          .waitFor(() => expect(all.every((f) => f.settled)).toBe(true), {
            timeout: SETTLE_DEADLINE_MS,
            interval: 50,
          })
          .catch(() => undefined);
        let lost = 0;
        let duplicated = 0;
        let reordered = 0;
        let terminal = 0;
        for (const f of all) {
          const expected = idsOf(await readLog(producerRequest, f.taskId));
          const seen = new Set(f.received);
          lost += expected.filter((id) => !seen.has(id)).length;
          duplicated += f.received.length - seen.size;
          const position = new Map(expected.map((id, i) => [id, i]));
          for (let i = 1; i < f.received.length; i++) {
            if (
              (position.get(f.received[i] as string) ?? -1) <
              (position.get(f.received[i - 1] as string) ?? -1)
            ) {
              reordered += 1;
            }
          }
          if (f.terminal) terminal += 1;
          expect(f.received).toEqual(expected);
        }
        rows.push({
          transport: mode.name,
          tasks: TASKS,
          events: all.reduce((n, f) => n + f.received.length, 0),
          lost,
          duplicated,
          reordered,
          terminal: `${terminal}/${TASKS}`,
          reconnects,
          'duration ms': Date.now() - started,
        });
        expect({ lost, duplicated, reordered, terminal }).toEqual({
          lost: 0,
          duplicated: 0,
          reordered: 0,
          terminal: TASKS,
        });
      } finally {
        client.close();
      }
    }, 120_000);
  }
});
