/**
 * Soak: sustained creates + streams at a fixed rate against one reference-server process whose
 * memory backend keeps finished tasks for a short TTL. Each task (`soak`: 50 × 256 B messages, 20 ms
 * apart, about 1 s) is read to its end over SSE by this process. The server's heap (+ external, after
 * GC) and RSS are sampled every `BENCH_SOAK_SAMPLE_MS` while the load runs and then while it idles
 * past the TTL. Claims: memory reaches a plateau once the retention window is full (no growth from the
 * first to the last load sample after the TTL), and falls back after the TTL; it also reports bytes
 * per retained task.
 *
 * Sizes: `BENCH_SOAK_SECONDS` of load (default 60), `BENCH_SOAK_RATE` creates/s (20),
 * `BENCH_SOAK_TTL_MS` retention TTL (20,000), `BENCH_SOAK_SAMPLE_MS` (5,000). Default run ≈ 2 min.
 */
import type { BenchConfig } from './config';
import { benchFile, spawnBench } from './processes';
import { type BenchReport, fmt, fmtInt, median, table } from './stats';

interface Sample {
  /** s since the load started. */
  t: number;
  phase: 'load' | 'idle';
  heap: number;
  rss: number;
  retained: number;
}

const MiB = 1024 * 1024;
const EVENTS_PER_TASK = 50;
const EVENT_BYTES = 256;

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive integer`);
  return value;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Creates one task and reads its SSE stream to the end; resolves with the bytes read. */
async function createAndStream(url: string, n: number): Promise<number> {
  const subject = `soak-${n % 20}`;
  const headers = { authorization: `Bearer ${subject}` };
  const created = await fetch(`${url}/api/v1/tasks`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({
      clientRequestId: `soak-${n}`,
      taskType: 'soak',
      input: { events: EVENTS_PER_TASK, size: EVENT_BYTES, intervalMs: 20 },
    }),
  });
  if (created.status !== 201) throw new Error(`create: ${created.status} ${await created.text()}`);
  const { taskId } = (await created.json()) as { taskId: string };
  const stream = await fetch(`${url}/api/v1/tasks/${taskId}/events/stream`, { headers });
  if (stream.status !== 200 || !stream.body) throw new Error(`stream: ${stream.status}`);
  let bytes = 0;
  for await (const chunk of stream.body) bytes += (chunk as Uint8Array).byteLength;
  return bytes;
}

/** Runs the soak benchmark. */
export async function runSoak(_config: BenchConfig): Promise<BenchReport> {
  const seconds = envInt('BENCH_SOAK_SECONDS', 60);
  const rate = envInt('BENCH_SOAK_RATE', 20);
  const ttlMs = envInt('BENCH_SOAK_TTL_MS', 20_000);
  const sampleMs = envInt('BENCH_SOAK_SAMPLE_MS', 5_000);
  const server = await spawnBench(
    'server-reference (soak)',
    benchFile(import.meta.url, './servers/soak.ts'),
    {
      nodeFlags: ['--expose-gc'],
    },
  );
  try {
    const { url } = await server.call<{ url: string }>('fresh', { ttlMs });
    // Warm-up: JIT, the first sockets, module-level caches; not part of the baseline.
    await Promise.all(Array.from({ length: 20 }, (_, i) => createAndStream(url, -1 - i)));
    await sleep(ttlMs + 2_000);
    const baseline = await server.call<Omit<Sample, 't' | 'phase'>>('memory');

    const samples: Sample[] = [];
    const started = performance.now();
    const elapsed = () => (performance.now() - started) / 1000;
    const sample = async (phase: Sample['phase']) => {
      samples.push({ t: elapsed(), phase, ...(await server.call<Omit<Sample, 't' | 'phase'>>('memory')) });
    };
    const running = new Set<Promise<unknown>>();
    let created = 0;
    let failed = 0;
    let streamedBytes = 0;
    let nextSample = sampleMs;
    const total = seconds * rate;
    while (created < total) {
      const due = (created / rate) * 1000;
      const now = performance.now() - started;
      if (now >= nextSample) {
        nextSample += sampleMs;
        await sample('load');
        continue;
      }
      if (now < due) {
        await sleep(Math.min(due - now, nextSample - now));
        continue;
      }
      const task = createAndStream(url, created).then(
        (bytes) => (streamedBytes += bytes),
        () => (failed += 1),
      );
      created += 1;
      running.add(task);
      void task.finally(() => running.delete(task));
    }
    await Promise.all(running);
    await sample('load');
    const loadEnd = elapsed();
    // Idle past the TTL (plus one sweep): everything finished during the load must be evicted.
    const idleUntil = loadEnd + (ttlMs + 3_000) / 1000;
    while (elapsed() < idleUntil) {
      await sleep(Math.min(sampleMs, (idleUntil - elapsed()) * 1000));
      await sample('idle');
    }

    const load = samples.filter((s) => s.phase === 'load');
    // The retention window is full once the TTL has passed since the load started.
    const plateau = load.filter((s) => s.t >= ttlMs / 1000 + 1);
    const first = plateau[0] ?? load[0];
    const last = plateau.at(-1) ?? load.at(-1);
    const peak = Math.max(...samples.map((s) => s.heap));
    const end = samples.at(-1) as Sample;
    const perTask = median(plateau.map((s) => (s.heap - baseline.heap) / Math.max(1, s.retained)));
    const growth = first && last ? last.heap / first.heap : Number.NaN;
    const fallBack = (end.heap - baseline.heap) / Math.max(1, peak - baseline.heap);

    const rows = [
      ['t (s)', 'phase', 'heap+ext (MiB)', 'RSS (MiB)', 'retained tasks'],
      ['—', 'baseline', fmt(baseline.heap / MiB, 1), fmt(baseline.rss / MiB, 1), fmtInt(baseline.retained)],
      ...samples.map((s) => [
        fmt(s.t, 0),
        s.phase,
        fmt(s.heap / MiB, 1),
        fmt(s.rss / MiB, 1),
        fmtInt(s.retained),
      ]),
    ];
    const summary = [
      ['measure', 'value'],
      [
        'load',
        `${fmtInt(created)} tasks at ${rate}/s for ${seconds} s, each ${EVENTS_PER_TASK} × ${EVENT_BYTES} B over SSE`,
      ],
      ['retention TTL (finished tasks, idempotency keys)', `${fmt(ttlMs / 1000, 0)} s`],
      ['failed creates/streams', fmtInt(failed)],
      ['bytes streamed', `${fmt(streamedBytes / MiB, 1)} MiB`],
      [
        'heap at plateau start → end of load',
        `${fmt((first?.heap ?? 0) / MiB, 1)} → ${fmt((last?.heap ?? 0) / MiB, 1)} MiB (×${fmt(growth, 2)})`,
      ],
      [
        'peak heap / after TTL / baseline',
        `${fmt(peak / MiB, 1)} / ${fmt(end.heap / MiB, 1)} / ${fmt(baseline.heap / MiB, 1)} MiB`,
      ],
      [
        'retained tasks: plateau median / after TTL',
        `${fmtInt(median(plateau.map((s) => s.retained)))} / ${fmtInt(end.retained)}`,
      ],
      ['heap per retained task (plateau, above baseline)', `${fmt(perTask / 1024, 1)} KB`],
    ];
    return {
      name: 'soak',
      tables: [table('Soak: server memory over time', rows), table('Soak: summary', summary)],
      targets: [
        {
          benchmark: 'soak',
          claim: 'heap plateaus under sustained load: end of load ≤ 1.2× the first sample after the TTL',
          measured: `×${fmt(growth, 2)}`,
          met: growth <= 1.2,
        },
        {
          benchmark: 'soak',
          claim: 'heap falls back after the TTL: ≤ 25% of the peak growth left',
          measured: `${fmt(fallBack * 100, 0)}%`,
          met: fallBack <= 0.25,
        },
        {
          benchmark: 'soak',
          claim: 'every finished task evicted after the TTL',
          measured: `${fmtInt(end.retained)} retained`,
          met: end.retained === 0,
        },
        {
          benchmark: 'soak',
          claim: 'no create or stream failed',
          measured: fmtInt(failed),
          met: failed === 0,
        },
      ],
      notes: [],
    };
  } finally {
    await server.stop();
  }
}
