/**
 * Throughput: events/s end to end for one task, ~200-byte and 1 KB events, server and client in
 * separate processes. Our three transports against their raw counterparts, socket.io and the TCP
 * ceiling, all measured in this run; runs are interleaved (each round visits every scenario) so the
 * machine's noise spreads over all of them, and medians are reported.
 */
import { join } from 'node:path';
import type { ThroughputSample } from './clients/throughput';
import type { BenchConfig } from './config';
import { benchFile, type BenchProcess, spawnBench } from './processes';
import { describeProfiles, startProfiles, stopProfiles } from './profile';
import { type BenchReport, fmt, fmtInt, fmtRatio, median, table, type TargetCheck } from './stats';

type ServerKey = 'tcp' | 'raw-ws' | 'raw-sse' | 'raw-poll' | 'socket-io' | 'reference';

interface Scenario {
  id: string;
  label: string;
  server: ServerKey;
  /** The client's `kind`. */
  kind: string;
  /** Scenario id this one's ratio is taken against. */
  baseline?: string;
}

const SCENARIOS: readonly Scenario[] = [
  { id: 'tcp', label: 'TCP ndjson (ceiling)', server: 'tcp', kind: 'tcp', baseline: 'ws' },
  { id: 'ws', label: 'raw ws', server: 'raw-ws', kind: 'ws' },
  {
    id: 'ws-corked',
    label: 'raw ws, corked per 256 (info)',
    server: 'raw-ws',
    kind: 'ws-corked',
    baseline: 'ws',
  },
  { id: 'socketio', label: 'socket.io 4 (websocket)', server: 'socket-io', kind: 'socketio', baseline: 'ws' },
  { id: 'ours-ws', label: 'ours: WebSocket', server: 'reference', kind: 'ours-websocket', baseline: 'ws' },
  {
    id: 'ref-bare-ws',
    label: 'reference server, bare ws client (info)',
    server: 'reference',
    kind: 'reference-bare-ws',
    baseline: 'ws',
  },
  { id: 'sse', label: 'raw SSE', server: 'raw-sse', kind: 'sse', baseline: 'ws' },
  { id: 'ours-sse', label: 'ours: SSE', server: 'reference', kind: 'ours-sse', baseline: 'sse' },
  { id: 'poll', label: 'raw long polling (500/response)', server: 'raw-poll', kind: 'poll', baseline: 'ws' },
  {
    id: 'ours-poll',
    label: 'ours: long polling',
    server: 'reference',
    kind: 'ours-polling',
    baseline: 'poll',
  },
  {
    id: 'ref-bare-poll',
    label: 'reference server, bare polling client (info)',
    server: 'reference',
    kind: 'reference-bare-poll',
    baseline: 'poll',
  },
];

const SERVER_FILES: Record<ServerKey, string> = {
  tcp: './servers/tcp-ndjson.ts',
  'raw-ws': './servers/raw-ws.ts',
  'raw-sse': './servers/raw-sse.ts',
  'raw-poll': './servers/raw-poll.ts',
  'socket-io': './servers/socket-io.ts',
  reference: './servers/reference.ts',
};

/** Event sizes measured, bytes per serialised event. */
export const THROUGHPUT_SIZES = [200, 1024] as const;

/** The targets (issue: "Client core, one lifecycle"), each at one event size. */
const TARGETS: readonly { ours: string; base: string; min: number; size: number }[] = [
  { ours: 'ours-ws', base: 'socketio', min: 1.0, size: 200 },
  { ours: 'ours-ws', base: 'ws', min: 0.8, size: 200 },
  { ours: 'ours-poll', base: 'poll', min: 0.6, size: 200 },
  { ours: 'ours-sse', base: 'sse', min: 0.8, size: 200 },
];

async function targetOf(scenario: Scenario, servers: Map<ServerKey, BenchProcess>): Promise<string> {
  const server = servers.get(scenario.server);
  if (!server) throw new Error(`no ${scenario.server} server`);
  const port = String(server.ready.port);
  switch (scenario.server) {
    case 'tcp':
      return port;
    case 'raw-ws':
      return `ws://127.0.0.1:${port}`;
    case 'reference':
      // A new server per run: the memory store keeps every event, and old tasks must not slow new ones.
      return (await server.call<{ url: string }>('fresh')).url;
    default:
      return `http://127.0.0.1:${port}`;
  }
}

/** Runs the throughput benchmark. */
export async function runThroughput(config: BenchConfig): Promise<BenchReport> {
  const profileDir = join(config.profileDir, 'throughput');
  const serverKeys = [...new Set(SCENARIOS.map((s) => s.server))];
  const processes: BenchProcess[] = [];
  const servers = new Map<ServerKey, BenchProcess>();
  const clients = new Map<string, BenchProcess>();
  const notes: string[] = [];
  try {
    await Promise.all([
      ...serverKeys.map(async (key) => {
        const p = await spawnBench(
          key === 'reference' ? 'server-reference' : key,
          benchFile(import.meta.url, SERVER_FILES[key]),
        );
        processes.push(p);
        servers.set(key, p);
      }),
      ...SCENARIOS.map(async (scenario) => {
        const p = await spawnBench(
          `client-${scenario.id}`,
          benchFile(import.meta.url, './clients/throughput.ts'),
        );
        processes.push(p);
        clients.set(scenario.id, p);
      }),
    ]);

    // Profiled: our server and our clients, measured runs only.
    const profiled = [...servers.entries()]
      .filter(([key]) => key === 'reference')
      .map(([, p]) => p)
      .concat(
        SCENARIOS.filter((s) => s.id.startsWith('ours-')).map((s) => clients.get(s.id) as BenchProcess),
      );
    let profiling = false;
    const samples = new Map<string, ThroughputSample[]>();
    const sample = async (scenario: Scenario, size: number, events: number) => {
      const client = clients.get(scenario.id);
      if (!client) throw new Error(`no client for ${scenario.id}`);
      const target = await targetOf(scenario, servers);
      return client.call<ThroughputSample>(
        'run',
        { kind: scenario.kind, target, events, size },
        Math.max(120_000, events * 2),
      );
    };
    for (const size of THROUGHPUT_SIZES) {
      for (const scenario of SCENARIOS) {
        await sample(scenario, size, Math.min(config.events, 5_000)).catch((error: unknown) => {
          notes.push(`warm-up ${scenario.id} ${size} B failed: ${String(error)}`);
        });
      }
      if (config.profile && !profiling) {
        await startProfiles(profiled);
        profiling = true;
      }
      for (let round = 0; round < config.runs; round++) {
        // Rotate the order each round so no scenario always runs right after the heaviest one.
        const order = SCENARIOS.map((_, i) => SCENARIOS[(i + round) % SCENARIOS.length] as Scenario);
        for (const scenario of order) {
          try {
            const result = await sample(scenario, size, config.events);
            const key = `${scenario.id}@${size}`;
            samples.set(key, [...(samples.get(key) ?? []), result]);
          } catch (error) {
            notes.push(`${scenario.id} ${size} B run ${round + 1} failed: ${String(error)}`);
          }
        }
      }
    }
    if (profiling) {
      await stopProfiles(profiled, profileDir);
      notes.push(...describeProfiles(profileDir));
    }
    return report(config, samples, notes);
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
  }
}

function rate(config: BenchConfig, samples: ThroughputSample[] | undefined): number[] {
  return (samples ?? []).map((s) => (config.events / s.ms) * 1000);
}

function report(config: BenchConfig, samples: Map<string, ThroughputSample[]>, notes: string[]): BenchReport {
  const tables: string[] = [];
  const targets: TargetCheck[] = [];
  for (const size of THROUGHPUT_SIZES) {
    const medianRate = (id: string) => median(rate(config, samples.get(`${id}@${size}`)));
    const rows: string[][] = [
      [
        'scenario',
        'events/s (median)',
        'min',
        'max',
        'MB/s',
        'first event ms',
        'ckpt writes',
        'ratio',
        'baseline',
      ],
    ];
    for (const scenario of SCENARIOS) {
      const list = samples.get(`${scenario.id}@${size}`) ?? [];
      const rates = rate(config, list);
      const value = median(rates);
      const base = scenario.baseline ? medianRate(scenario.baseline) : Number.NaN;
      rows.push([
        scenario.label,
        fmtInt(value),
        fmtInt(Math.min(...rates)),
        fmtInt(Math.max(...rates)),
        fmt((value * size) / 1e6, 1),
        fmt(median(list.map((s) => s.firstEventMs)), 0),
        scenario.id.startsWith('ours-') ? fmtInt(median(list.map((s) => s.checkpointWrites))) : '',
        scenario.baseline ? fmtRatio(value / base) : '',
        scenario.baseline ?? '',
      ]);
    }
    tables.push(
      table(
        `Throughput, ~${size}-byte events, ${fmtInt(config.events)} events/run, median of ${config.runs} runs`,
        rows,
      ),
    );
    for (const t of TARGETS.filter((target) => target.size === size)) {
      const ratio = medianRate(t.ours) / medianRate(t.base);
      targets.push({
        benchmark: 'throughput',
        claim: `${t.ours} ≥ ${t.min.toFixed(1)}× ${t.base} (${size} B)`,
        measured: fmtRatio(ratio),
        met: ratio >= t.min,
      });
    }
  }
  notes.push(
    'ours: clock from startTask to the terminal event (create request + the server producing the events + delivery); ' +
      'ckpt writes = checkpoint store saves per task (batched when far below the event count).',
  );
  return { name: 'throughput', tables, targets, notes };
}
