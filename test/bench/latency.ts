/**
 * Latency: one-way delivery latency (p50/p99) of paced events at `BENCH_LATENCY_RATE` (1,000/s),
 * stamped in the server process and read in the client process, against raw `ws` (and raw SSE for the
 * SSE row) in the same run. Target: our WS p99 no more than 1 ms above raw `ws` — batching must not
 * add latency at low rates.
 */
import { join } from 'node:path';
import type { LatencySample } from './clients/latency';
import type { BenchConfig } from './config';
import { benchFile, type BenchProcess, spawnBench } from './processes';
import { describeProfiles, startProfiles, stopProfiles } from './profile';
import { type BenchReport, fmt, fmtSigned, median, table, type TargetCheck } from './stats';

interface Row {
  id: string;
  label: string;
  kind: string;
  server: 'raw-ws' | 'raw-sse' | 'reference';
  baseline?: string;
}

const ROWS: readonly Row[] = [
  { id: 'ws', label: 'raw ws', kind: 'ws', server: 'raw-ws' },
  { id: 'ours-ws', label: 'ours: WebSocket', kind: 'ours-websocket', server: 'reference', baseline: 'ws' },
  { id: 'sse', label: 'raw SSE', kind: 'sse', server: 'raw-sse', baseline: 'ws' },
  { id: 'ours-sse', label: 'ours: SSE', kind: 'ours-sse', server: 'reference', baseline: 'sse' },
  { id: 'ours-poll', label: 'ours: long polling', kind: 'ours-polling', server: 'reference', baseline: 'ws' },
];

const EVENT_BYTES = 200;

/** Runs the latency benchmark. */
export async function runLatency(config: BenchConfig): Promise<BenchReport> {
  const profileDir = join(config.profileDir, 'latency');
  const processes: BenchProcess[] = [];
  const notes: string[] = [];
  try {
    const [rawWs, rawSse, reference, client] = await Promise.all([
      spawnBench('raw-ws', benchFile(import.meta.url, './servers/raw-ws.ts')),
      spawnBench('raw-sse', benchFile(import.meta.url, './servers/raw-sse.ts')),
      spawnBench('server-reference', benchFile(import.meta.url, './servers/reference.ts')),
      spawnBench('latency-client', benchFile(import.meta.url, './clients/latency.ts')),
    ]);
    processes.push(rawWs, rawSse, reference, client);
    const { url } = await reference.call<{ url: string }>('fresh');
    const targets: Record<Row['server'], string> = {
      'raw-ws': `ws://127.0.0.1:${String(rawWs.ready.port)}`,
      'raw-sse': `http://127.0.0.1:${String(rawSse.ready.port)}`,
      reference: url,
    };
    const count = config.latencyEvents;
    const warmup = Math.min(200, Math.floor(count / 10));
    const results = new Map<string, LatencySample[]>();
    // Warm-up, as long as a measured run: the first connection in a process pays for loading and compiling
    // (e.g. schema validators), and V8 optimises a path only after many calls. A longer path (ours: engine,
    // fan-out, client data path) takes more events to get there than raw `ws`: against a new server, our
    // p99 was 1.0–3.1 ms in the first two runs of 3,000 events and 0.4–0.6 ms in the next two (raw `ws`:
    // 0.4–0.9 ms). It was a 300-event warm-up.
    for (const row of ROWS) {
      await client
        .call('run', {
          kind: row.kind,
          target: targets[row.server],
          count,
          rate: config.latencyRate,
          size: EVENT_BYTES,
        })
        .catch((error: unknown) => notes.push(`latency warm-up ${row.id} failed: ${String(error)}`));
    }
    if (config.profile) await startProfiles([reference, client]);
    for (let round = 0; round < config.runs; round++) {
      for (const row of ROWS) {
        try {
          const sample = await client.call<LatencySample>(
            'run',
            {
              kind: row.kind,
              target: targets[row.server],
              count,
              rate: config.latencyRate,
              size: EVENT_BYTES,
              warmup,
            },
            (count / config.latencyRate) * 1000 + 60_000,
          );
          results.set(row.id, [...(results.get(row.id) ?? []), sample]);
        } catch (error) {
          notes.push(`latency ${row.id} run ${round + 1} failed: ${String(error)}`);
        }
      }
    }
    if (config.profile) {
      await stopProfiles([reference, client], profileDir);
      notes.push(...describeProfiles(profileDir));
    }
    const med = (id: string, key: keyof LatencySample) => median((results.get(id) ?? []).map((s) => s[key]));
    const rows = [
      ['transport', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'rate/s', 'p99 − baseline p99', 'baseline'],
    ];
    for (const row of ROWS) {
      const base = row.baseline ? med(row.baseline, 'p99') : Number.NaN;
      rows.push([
        row.label,
        fmt(med(row.id, 'p50'), 3),
        fmt(med(row.id, 'p90'), 3),
        fmt(med(row.id, 'p99'), 3),
        fmt(med(row.id, 'max'), 3),
        fmt(med(row.id, 'rate'), 0),
        row.baseline ? `${fmtSigned(med(row.id, 'p99') - base, 3)} ms` : '',
        row.baseline ?? '',
      ]);
    }
    const delta = med('ours-ws', 'p99') - med('ws', 'p99');
    const targetsOut: TargetCheck[] = [
      {
        benchmark: 'latency',
        claim: `ours-ws p99 ≤ raw ws p99 + 1 ms at ${config.latencyRate}/s`,
        measured: `${fmtSigned(delta, 3)} ms`,
        met: delta <= 1,
      },
    ];
    return {
      name: 'latency',
      tables: [
        table(
          `Latency, one-way, ${EVENT_BYTES}-byte events at ${config.latencyRate}/s, ${count} events/run (first ${warmup} dropped), median of ${config.runs} runs`,
          rows,
        ),
      ],
      targets: targetsOut,
      notes,
    };
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
  }
}
