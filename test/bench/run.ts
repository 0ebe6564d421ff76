/**
 * `npm run bench`: runs every benchmark (or those named in `BENCH_ONLY`), prints each one's tables
 * with ratios to baselines measured in the same run, then every target with met / MISSED. Exits 0
 * whether or not targets are met (the numbers are the deliverable); exits 1 only when a benchmark
 * itself crashed. Sizes: see `config.ts`.
 */
import { rmSync } from 'node:fs';
import { runBundleSize } from './bundle-size';
import { runClientScale } from './client-scale';
import { type BenchConfig, readBenchConfig } from './config';
import { runLatency } from './latency';
import { runRecovery } from './recovery';
import { runServerScale } from './server-scale';
import { runSlowConsumer } from './slow-consumer';
import { type BenchReport, table, type TargetCheck } from './stats';
import { runThroughput } from './throughput';

const RUNNERS: Record<string, (config: BenchConfig) => Promise<BenchReport>> = {
  'bundle-size': runBundleSize,
  throughput: runThroughput,
  latency: runLatency,
  recovery: runRecovery,
  'server-scale': runServerScale,
  'client-scale': runClientScale,
  'slow-consumer': runSlowConsumer,
};

async function main(): Promise<number> {
  const config = readBenchConfig();
  if (config.profile) rmSync(config.profileDir, { recursive: true, force: true });
  const started = performance.now();
  console.log(
    `TaskBridge benchmarks: ${[...config.only].join(', ')} — events ${config.events}, runs ${config.runs}, ` +
      `subscriptions ${config.subscriptions}, client tasks ${config.clientTasks} (Node ${process.version})\n`,
  );
  const targets: TargetCheck[] = [];
  let crashed = false;
  for (const [name, run] of Object.entries(RUNNERS)) {
    if (!config.only.has(name)) continue;
    const t0 = performance.now();
    try {
      const result = await run(config);
      for (const t of result.tables) console.log(`${t}\n`);
      for (const n of result.notes) console.log(`${n}\n`);
      targets.push(...result.targets);
    } catch (error) {
      crashed = true;
      console.error(`${name} crashed:`, error);
    }
    console.log(`(${name}: ${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);
  }
  console.log(
    table('Targets', [
      ['benchmark', 'claim', 'measured', 'result'],
      ...targets.map((t) => [t.benchmark, t.claim, t.measured, t.met ? 'met' : 'MISSED']),
    ]),
  );
  console.log(`\nTotal: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return crashed ? 1 : 0;
}

process.exitCode = await main();
