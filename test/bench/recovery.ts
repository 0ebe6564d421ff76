/**
 * Recovery: how fast a stream comes back, through a fault proxy in the client process, against the
 * reference server in its own process, with the client's default connection policy (protocol/SPEC.md §10):
 * - drop → first replayed event (target ≤ 100 ms at the first retry on loopback);
 * - WebSockets blocked → first event over SSE (target ≤ 3 s), for a proxy that refuses the upgrade
 *   (403) and one that never answers it;
 * - WebSockets blocked and SSE buffered → first event over long polling (target ≤ 10 s).
 */
import type { RecoverySample } from './clients/recovery';
import type { BenchConfig } from './config';
import { benchFile, type BenchProcess, spawnBench } from './processes';
import { type BenchReport, fmt, median, table, type TargetCheck } from './stats';

interface Case {
  id: string;
  label: string;
  command: 'drop' | 'fallback';
  args: Record<string, unknown>;
  targetMs: number;
}

const CASES: readonly Case[] = [
  {
    id: 'drop',
    label: 'drop → first replayed event (WS)',
    command: 'drop',
    args: { afterEvents: 30 },
    targetMs: 100,
  },
  {
    id: 'ws-refused',
    label: 'WS refused (403) → first event over SSE',
    command: 'fallback',
    args: { websocket: 'refuse', sse: 'pass', expect: 'sse' },
    targetMs: 3_000,
  },
  {
    id: 'ws-blackholed',
    label: 'WS upgrade unanswered → first event over SSE',
    command: 'fallback',
    args: { websocket: 'blackhole', sse: 'pass', expect: 'sse' },
    targetMs: 3_000,
  },
  {
    id: 'sse-buffered',
    label: 'WS refused + SSE buffered → first event over polling',
    command: 'fallback',
    args: { websocket: 'refuse', sse: 'buffer', expect: 'polling' },
    targetMs: 10_000,
  },
];

/** Runs the recovery benchmark. */
export async function runRecovery(config: BenchConfig): Promise<BenchReport> {
  const processes: BenchProcess[] = [];
  const notes: string[] = [];
  try {
    const [server, client] = await Promise.all([
      spawnBench('reference', benchFile(import.meta.url, './servers/reference.ts')),
      spawnBench('recovery client', benchFile(import.meta.url, './clients/recovery.ts')),
    ]);
    processes.push(server, client);
    const { url } = await server.call<{ url: string }>('fresh');
    const results = new Map<string, RecoverySample[]>();
    // Drops are cheap and jittered, so they get more runs; fallbacks wait on deadlines.
    const runsOf = (c: Case) => (c.id === 'drop' ? Math.max(5, config.runs * 3) : config.runs);
    for (const c of CASES) {
      for (let run = 0; run < runsOf(c); run++) {
        try {
          const sample = await client.call<RecoverySample>(c.command, { url, ...c.args }, 60_000);
          results.set(c.id, [...(results.get(c.id) ?? []), sample]);
        } catch (error) {
          notes.push(`recovery ${c.id} run ${run + 1} failed: ${String(error)}`);
        }
      }
    }
    const rows = [
      ['case', 'median ms', 'min ms', 'max ms', 'first backoff ms (median)', 'runs', 'target ms'],
    ];
    const targets: TargetCheck[] = [];
    for (const c of CASES) {
      const list = results.get(c.id) ?? [];
      const ms = list.map((s) => s.ms);
      const value = median(ms);
      rows.push([
        c.label,
        fmt(value, 0),
        fmt(Math.min(...ms), 0),
        fmt(Math.max(...ms), 0),
        fmt(median(list.map((s) => s.backoffMs).filter((v) => !Number.isNaN(v))), 0),
        String(list.length),
        String(c.targetMs),
      ]);
      targets.push({
        benchmark: 'recovery',
        claim: `${c.label} ≤ ${c.targetMs} ms`,
        measured: `${fmt(value, 0)} ms`,
        met: value <= c.targetMs,
      });
      const example = list[Math.floor(list.length / 2)];
      if (example) notes.push(`recovery ${c.id}, one run's trace (ms since subscribing): ${example.trace}`);
    }
    return {
      name: 'recovery',
      tables: [table(`Recovery, default connection policy, median of the runs`, rows)],
      targets,
      notes,
    };
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
  }
}
