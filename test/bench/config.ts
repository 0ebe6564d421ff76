import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Benchmark sizes, read once from the environment so a quick check and the full run use the same code:
 *
 * - `BENCH_EVENTS` events per throughput run (default 100,000);
 * - `BENCH_RUNS` measured runs per scenario, medians reported (default 3; a warm-up run comes first);
 * - `BENCH_LATENCY_EVENTS` events per latency run at `BENCH_LATENCY_RATE` events/s (3,000 at 1,000/s);
 * - `BENCH_SUBSCRIPTIONS` live subscriptions for the server-scale run, half WS, half SSE (10,000);
 * - `BENCH_CLIENT_TASKS` tasks observed at once for the client-scale run (1,000);
 * - `BENCH_SLOW_EVENTS` × `BENCH_SLOW_EVENT_BYTES` the slow-consumer task (20,000 × 8,192);
 * - `BENCH_ONLY` a comma list of benchmarks to run (`throughput,latency,recovery,server-scale,
 *   client-scale,slow-consumer,bundle-size`; default all);
 * - `BENCH_PROFILE=1` CPU-profiles our client and server processes (measured runs only) and prints where the
 *   time goes; the `.cpuprofile` files stay in `BENCH_PROFILE_DIR` (default: the OS temp folder) for
 *   Chrome DevTools.
 */
export interface BenchConfig {
  events: number;
  runs: number;
  latencyEvents: number;
  latencyRate: number;
  subscriptions: number;
  clientTasks: number;
  slowEvents: number;
  slowEventBytes: number;
  only: ReadonlySet<string>;
  profile: boolean;
  /** Where CPU profiles are written. */
  profileDir: string;
}

/** Every benchmark, in the order `npm run bench` runs them. */
export const BENCHMARKS = [
  'bundle-size',
  'throughput',
  'latency',
  'recovery',
  'server-scale',
  'client-scale',
  'slow-consumer',
] as const;

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive integer`);
  return value;
}

/** Reads the configuration. @throws {RangeError} on a malformed variable. */
export function readBenchConfig(): BenchConfig {
  const only = (process.env.BENCH_ONLY ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const name of only) {
    if (!(BENCHMARKS as readonly string[]).includes(name)) throw new RangeError(`unknown benchmark ${name}`);
  }
  return {
    events: positiveInt('BENCH_EVENTS', 100_000),
    runs: positiveInt('BENCH_RUNS', 3),
    latencyEvents: positiveInt('BENCH_LATENCY_EVENTS', 3_000),
    latencyRate: positiveInt('BENCH_LATENCY_RATE', 1_000),
    subscriptions: positiveInt('BENCH_SUBSCRIPTIONS', 10_000),
    clientTasks: positiveInt('BENCH_CLIENT_TASKS', 1_000),
    slowEvents: positiveInt('BENCH_SLOW_EVENTS', 20_000),
    slowEventBytes: positiveInt('BENCH_SLOW_EVENT_BYTES', 8_192),
    only: new Set(only.length > 0 ? only : BENCHMARKS),
    profile: process.env.BENCH_PROFILE === '1',
    profileDir: process.env.BENCH_PROFILE_DIR ?? join(tmpdir(), 'taskbridge-bench-profiles'),
  };
}
