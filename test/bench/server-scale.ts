/**
 * Server scale: `BENCH_SUBSCRIPTIONS` (10,000) concurrent live subscriptions to one task on one
 * reference-server process, half WebSocket and half SSE, held by two lean client processes. Reports
 * the server's memory per subscription (heap + external after GC, and RSS) and the fan-out time of one
 * event to every subscriber (server stamp → last subscriber's receipt; both client processes' receive
 * loops are included). Target: ≤ 20 KB per subscription.
 */
import { join } from 'node:path';
import type { BenchConfig } from './config';
import { benchFile, type BenchProcess, spawnBench } from './processes';
import { describeProfiles, startProfiles, stopProfiles } from './profile';
import { type BenchReport, fmt, fmtInt, median, table } from './stats';

interface Memory {
  heap: number;
  rss: number;
  subscriptions: number;
}

interface Collected {
  received: number;
  live: number;
  p50: number;
  p99: number;
  max: number;
}

const PULSES = 5;
const TARGET_BYTES = 20 * 1024;

async function createPulseTask(url: string): Promise<string> {
  const response = await fetch(`${url}/api/v1/tasks`, {
    method: 'POST',
    headers: { authorization: 'Bearer alice', 'content-type': 'application/json' },
    body: JSON.stringify({
      clientRequestId: `scale-${Date.now()}`,
      taskType: 'bench-pulse',
      input: { size: 200 },
    }),
  });
  if (response.status !== 201) throw new Error(`create failed: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { taskId: string }).taskId;
}

/** Runs the server-scale benchmark. */
export async function runServerScale(config: BenchConfig): Promise<BenchReport> {
  const profileDir = join(config.profileDir, 'server-scale');
  const processes: BenchProcess[] = [];
  const notes: string[] = [];
  try {
    const [server, wsClients, sseClients] = await Promise.all([
      spawnBench('server-reference', benchFile(import.meta.url, './servers/reference.ts'), {
        nodeFlags: ['--expose-gc'],
      }),
      spawnBench('ws subscribers', benchFile(import.meta.url, './clients/subscribers.ts')),
      spawnBench('sse subscribers', benchFile(import.meta.url, './clients/subscribers.ts')),
    ]);
    processes.push(server, wsClients, sseClients);
    const { url } = await server.call<{ url: string }>('fresh');
    const taskId = await createPulseTask(url);
    const before = await server.call<Memory>('memory');
    if (config.profile) await startProfiles([server]);
    const half = Math.floor(config.subscriptions / 2);
    const [ws, sse] = await Promise.all([
      wsClients.call<{ live: number; ms: number }>(
        'open',
        { url, taskId, transport: 'websocket', count: half },
        300_000,
      ),
      sseClients.call<{ live: number; ms: number }>(
        'open',
        { url, taskId, transport: 'sse', count: config.subscriptions - half },
        300_000,
      ),
    ]);
    const after = await server.call<Memory>('memory');
    const subscriptions = after.subscriptions;
    const fanouts: Collected[] = [];
    const busy: number[] = [];
    for (let i = 0; i < PULSES; i++) {
      const collected = Promise.all([
        wsClients.call<Collected>('collect', { timeoutMs: 30_000 }, 60_000),
        sseClients.call<Collected>('collect', { timeoutMs: 30_000 }, 60_000),
      ]);
      busy.push((await server.call<{ busyMs: number }>('pulse')).busyMs);
      const [a, b] = await collected;
      fanouts.push({
        received: a.received + b.received,
        live: a.live + b.live,
        p50: median([a.p50, b.p50]),
        p99: Math.max(a.p99, b.p99),
        max: Math.max(a.max, b.max),
      });
    }
    await server.call('end-pulses');
    if (config.profile) {
      await stopProfiles([server], profileDir);
      notes.push(...describeProfiles(profileDir));
    }
    const perSubHeap = (after.heap - before.heap) / subscriptions;
    const perSubRss = (after.rss - before.rss) / subscriptions;
    const lastPulses = fanouts.slice(1);
    const rows = [
      ['measure', 'value'],
      ['live subscriptions (server count)', `${fmtInt(subscriptions)} (${ws.live} WS + ${sse.live} SSE)`],
      ['time to open all', `${fmt(Math.max(ws.ms, sse.ms) / 1000, 1)} s`],
      ['server heap + external per subscription', `${fmt(perSubHeap / 1024, 1)} KB`],
      ['server RSS per subscription', `${fmt(perSubRss / 1024, 1)} KB`],
      [
        'fan-out of one event: last subscriber (median of pulses 2..)',
        `${fmt(median(lastPulses.map((f) => f.max)), 1)} ms`,
      ],
      ['fan-out: p99 subscriber', `${fmt(median(lastPulses.map((f) => f.p99)), 1)} ms`],
      ['fan-out: p50 subscriber', `${fmt(median(lastPulses.map((f) => f.p50)), 1)} ms`],
      ['fan-out: server busy (append → every frame written), median', `${fmt(median(busy.slice(1)), 1)} ms`],
      ['fan-out: first pulse, last subscriber', `${fmt(fanouts[0]?.max ?? Number.NaN, 1)} ms`],
      ['events received / expected per pulse', fanouts.map((f) => `${f.received}/${f.live}`).join(', ')],
    ];
    return {
      name: 'server-scale',
      tables: [table(`Server scale, ${fmtInt(config.subscriptions)} subscriptions to one task`, rows)],
      targets: [
        {
          benchmark: 'server-scale',
          claim: 'server memory ≤ 20 KB per subscription (heap + external)',
          measured: `${fmt(perSubHeap / 1024, 1)} KB (RSS ${fmt(perSubRss / 1024, 1)} KB)`,
          met: perSubHeap <= TARGET_BYTES,
        },
      ],
      notes,
    };
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
  }
}
