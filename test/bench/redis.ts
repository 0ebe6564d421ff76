/**
 * The Redis backend beside the memory backend, in the same run:
 * - per-task append throughput in the bench process: appends issued without waiting for each other
 *   (pipelined on the one command connection, as a handler's emits are) and awaited one by one;
 *   target ≥ 20,000 events/s pipelined on Redis;
 * - end-to-end one-way latency at `BENCH_LATENCY_RATE` (1,000/s): created on one instance, streamed
 *   over WebSocket from another on the same Redis, against one memory instance and raw `ws`; target:
 *   Redis p99 ≤ raw ws p99 + 5 ms;
 * - server memory per live subscription (heap + external after GC), memory vs Redis, with
 *   `BENCH_SUBSCRIPTIONS` / 5 WebSocket subscriptions to one task.
 */
import type { NewTaskEvent, TaskBridgeBackend } from '@taskbridge/server-reference';
import { createMemoryBackend, createRedisBackend } from '@taskbridge/server-reference';
import { startRedisServer, type RedisTestServer } from '../support/redis-server';
import type { LatencySample } from './clients/latency';
import type { BenchConfig } from './config';
import { benchFile, type BenchProcess, spawnBench } from './processes';
import { type BenchReport, fmt, fmtInt, fmtSigned, median, table, type TargetCheck } from './stats';

const EVENT_BYTES = 200;
const PIPELINE_WINDOW = 1_000;
const APPEND_TARGET = 20_000;
const LATENCY_MARGIN_MS = 5;

interface Memory {
  heap: number;
  rss: number;
  subscriptions: number;
}

const message = (taskId: string, i: number): NewTaskEvent => ({
  type: 'TASK_MESSAGE',
  taskId,
  createdAt: new Date().toISOString(),
  payload: { message: `${i} ${'x'.repeat(EVENT_BYTES)}`.slice(0, EVENT_BYTES) },
});

/** Events/s for `count` appends to one task, at most `window` outstanding (1 = awaited one by one). */
async function appendRate(backend: TaskBridgeBackend, count: number, window: number): Promise<number> {
  const taskId = `bench-${Date.now()}-${Math.random()}`;
  const started = performance.now();
  let inFlight: Promise<unknown>[] = [];
  for (let i = 0; i < count; i++) {
    inFlight.push(backend.events.append(message(taskId, i)));
    if (inFlight.length >= window) {
      await Promise.all(inFlight);
      inFlight = [];
    }
  }
  await Promise.all(inFlight);
  return (count / (performance.now() - started)) * 1000;
}

async function appendTable(config: BenchConfig, redis: RedisTestServer): Promise<[string, TargetCheck]> {
  const pipelined = config.events;
  const awaited = Math.max(1, Math.floor(config.events / 10));
  const backends: [string, () => TaskBridgeBackend][] = [
    ['memory', () => createMemoryBackend({ maxEventsPerTask: null })],
    ['redis', () => createRedisBackend({ redis: redis.url, keyPrefix: 'bench:', maxEventsPerTask: null })],
  ];
  const results = new Map<string, { pipelined: number[]; awaited: number[] }>();
  for (const [name, make] of backends) {
    const backend = make();
    try {
      await appendRate(backend, 100, 100);
      const entry = { pipelined: [] as number[], awaited: [] as number[] };
      for (let run = 0; run < config.runs; run++) {
        entry.pipelined.push(await appendRate(backend, pipelined, PIPELINE_WINDOW));
        entry.awaited.push(await appendRate(backend, awaited, 1));
      }
      results.set(name, entry);
    } finally {
      await backend.close();
    }
  }
  const m = (name: string, key: 'pipelined' | 'awaited') => median(results.get(name)?.[key] ?? []);
  const rows = [
    ['append mode', 'memory events/s', 'redis events/s', 'redis / memory'],
    [
      `pipelined (≤ ${PIPELINE_WINDOW} in flight), ${fmtInt(pipelined)} events`,
      fmtInt(m('memory', 'pipelined')),
      fmtInt(m('redis', 'pipelined')),
      `${fmt(m('redis', 'pipelined') / m('memory', 'pipelined'), 3)}×`,
    ],
    [
      `awaited one by one, ${fmtInt(awaited)} events`,
      fmtInt(m('memory', 'awaited')),
      fmtInt(m('redis', 'awaited')),
      `${fmt(m('redis', 'awaited') / m('memory', 'awaited'), 3)}×`,
    ],
  ];
  return [
    table(
      `Redis: per-task append throughput, ${EVENT_BYTES}-byte events, median of ${config.runs} runs`,
      rows,
    ),
    {
      benchmark: 'redis',
      claim: `redis per-task append ≥ ${fmtInt(APPEND_TARGET)} events/s pipelined`,
      measured: `${fmtInt(m('redis', 'pipelined'))} events/s`,
      met: m('redis', 'pipelined') >= APPEND_TARGET,
    },
  ];
}

/** Memory per subscription of `count` WebSocket subscriptions to one task on a fresh server. */
async function openSubscriptions(
  server: BenchProcess,
  subscribers: BenchProcess,
  count: number,
  redisUrl?: string,
): Promise<{ perSubscription: number; live: number }> {
  const { url } = await server.call<{ url: string }>('fresh', redisUrl ? { redis: redisUrl } : {});
  const response = await fetch(`${url}/api/v1/tasks`, {
    method: 'POST',
    headers: { authorization: 'Bearer alice', 'content-type': 'application/json' },
    body: JSON.stringify({
      clientRequestId: `redis-scale-${Date.now()}`,
      taskType: 'bench-pulse',
      input: { size: 200 },
    }),
  });
  const { taskId } = (await response.json()) as { taskId: string };
  const before = await server.call<Memory>('memory');
  await subscribers.call('open', { url, taskId, transport: 'websocket', count }, 300_000);
  const after = await server.call<Memory>('memory');
  await server.call('end-pulses');
  return {
    perSubscription: (after.heap - before.heap) / Math.max(1, after.subscriptions),
    live: after.subscriptions,
  };
}

/** Runs the Redis benchmark. */
export async function runRedis(config: BenchConfig): Promise<BenchReport> {
  const redis = await startRedisServer();
  const processes: BenchProcess[] = [];
  const notes: string[] = [];
  const tables: string[] = [];
  const targets: TargetCheck[] = [];
  try {
    const [appends, appendTarget] = await appendTable(config, redis);
    tables.push(appends);
    targets.push(appendTarget);

    const spawnReference = (name: string) =>
      spawnBench(name, benchFile(import.meta.url, './servers/reference.ts'), { nodeFlags: ['--expose-gc'] });
    const [rawWs, memoryServer, redisA, redisB, client] = await Promise.all([
      spawnBench('raw-ws', benchFile(import.meta.url, './servers/raw-ws.ts')),
      spawnReference('server-reference (memory)'),
      spawnReference('server-reference (redis A)'),
      spawnReference('server-reference (redis B)'),
      spawnBench('latency-client', benchFile(import.meta.url, './clients/latency.ts')),
    ]);
    processes.push(rawWs, memoryServer, redisA, redisB, client);
    const memoryUrl = (await memoryServer.call<{ url: string }>('fresh', {})).url;
    const aUrl = (await redisA.call<{ url: string }>('fresh', { redis: redis.url })).url;
    const bUrl = (await redisB.call<{ url: string }>('fresh', { redis: redis.url })).url;
    const rows: { id: string; label: string; args: Record<string, unknown> }[] = [
      {
        id: 'ws',
        label: 'raw ws',
        args: { kind: 'ws', target: `ws://127.0.0.1:${String(rawWs.ready.port)}` },
      },
      {
        id: 'memory',
        label: 'ours WS, memory, 1 instance',
        args: { kind: 'ours-websocket', target: memoryUrl },
      },
      {
        id: 'redis',
        label: 'ours WS, redis, created on A, streamed from B',
        args: { kind: 'ours-websocket', target: bUrl, createTarget: aUrl },
      },
    ];
    const count = config.latencyEvents;
    const warmup = Math.min(200, Math.floor(count / 10));
    const samples = new Map<string, LatencySample[]>();
    for (const row of rows) {
      await client
        .call('run', { ...row.args, count: 300, rate: config.latencyRate, size: EVENT_BYTES })
        .catch((error: unknown) => notes.push(`redis latency warm-up ${row.id} failed: ${String(error)}`));
    }
    for (let round = 0; round < config.runs; round++) {
      for (const row of rows) {
        try {
          const sample = await client.call<LatencySample>(
            'run',
            { ...row.args, count, rate: config.latencyRate, size: EVENT_BYTES, warmup },
            (count / config.latencyRate) * 1000 + 60_000,
          );
          samples.set(row.id, [...(samples.get(row.id) ?? []), sample]);
        } catch (error) {
          notes.push(`redis latency ${row.id} run ${round + 1} failed: ${String(error)}`);
        }
      }
    }
    const med = (id: string, key: keyof LatencySample) => median((samples.get(id) ?? []).map((s) => s[key]));
    tables.push(
      table(
        `Redis: one-way latency, ${EVENT_BYTES}-byte events at ${config.latencyRate}/s, ${count} events/run, median of ${config.runs} runs`,
        [
          ['path', 'p50 ms', 'p99 ms', 'max ms', 'p99 − raw ws p99'],
          ...rows.map((row) => [
            row.label,
            fmt(med(row.id, 'p50'), 3),
            fmt(med(row.id, 'p99'), 3),
            fmt(med(row.id, 'max'), 3),
            row.id === 'ws' ? '' : `${fmtSigned(med(row.id, 'p99') - med('ws', 'p99'), 3)} ms`,
          ]),
        ],
      ),
    );
    const delta = med('redis', 'p99') - med('ws', 'p99');
    targets.push({
      benchmark: 'redis',
      claim: `redis 2-instance WS p99 ≤ raw ws p99 + ${LATENCY_MARGIN_MS} ms at ${config.latencyRate}/s`,
      measured: `${fmtSigned(delta, 3)} ms`,
      met: delta <= LATENCY_MARGIN_MS,
    });

    const subscriptions = Math.max(10, Math.floor(config.subscriptions / 5));
    const subscribers = await spawnBench(
      'ws subscribers',
      benchFile(import.meta.url, './clients/subscribers.ts'),
    );
    processes.push(subscribers);
    const onMemory = await openSubscriptions(memoryServer, subscribers, subscriptions);
    const subscribers2 = await spawnBench(
      'ws subscribers',
      benchFile(import.meta.url, './clients/subscribers.ts'),
    );
    processes.push(subscribers2);
    const onRedis = await openSubscriptions(redisA, subscribers2, subscriptions, redis.url);
    tables.push(
      table(`Redis: server memory per live WebSocket subscription (${fmtInt(subscriptions)} to one task)`, [
        ['backend', 'live', 'heap + external per subscription'],
        ['memory', fmtInt(onMemory.live), `${fmt(onMemory.perSubscription / 1024, 1)} KB`],
        ['redis', fmtInt(onRedis.live), `${fmt(onRedis.perSubscription / 1024, 1)} KB`],
      ]),
    );
    return { name: 'redis', tables, targets, notes };
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
    await redis.stop();
  }
}
