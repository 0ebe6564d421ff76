/**
 * Slow consumers (hazard H3): one reference-server process with the default subscriber budget
 * (1 MiB buffered, 10 s to drain, 10,000 queued events) streams one `BENCH_SLOW_EVENTS` ×
 * `BENCH_SLOW_EVENT_BYTES` task (20,000 × 8 KiB, each event its own string) to 20 fast WebSocket
 * readers, 20 WebSocket and 20 SSE readers that never read, and 10 SSE readers that stop reading for
 * 5 s and then catch up (resuming with `Last-Event-ID` when the server cuts them off). Reports
 * whether every stalled reader was disconnected — by the drain budget (the server's own account of
 * how long the last write waited) or by the queue bound — whether every fast and catch-up reader got
 * every event once and in order, and the server's peak RSS over the run (target < 400 MiB; the
 * task's events alone take ~160 MiB in the memory store).
 */
import { join } from 'node:path';
import type { BenchConfig } from './config';
import { benchFile, type BenchProcess, spawnBench } from './processes';
import { describeProfiles, startProfiles, stopProfiles } from './profile';
import { type BenchReport, fmt, fmtInt, table } from './stats';

interface Group {
  readers: number;
  completed: number;
  minEvents: number;
  outOfOrder: number;
  reconnects: number;
  lastDoneMs: number;
}

interface Drops {
  closed: { url: string; status: unknown; closeCode: unknown; durationMs: number }[];
  budgetWaits: { transport: unknown; waitedMs: number }[];
}

interface Memory {
  baseline: number;
  peak: number;
  heapAtPeak: number;
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
}

const FAST_WS = 20;
const STALLED_WS = 20;
const STALLED_SSE = 20;
const STALLED = STALLED_WS + STALLED_SSE;
const CATCH_UP_SSE = 10;
const CATCH_UP_PAUSE_MS = 5_000;
const PEAK_RSS_TARGET = 400 * 1024 * 1024;
// Timers on a loaded 2-core machine fire late; a budget wait counts as "within budget" up to this.
const TIMER_SLACK_MS = 1_000;

const MiB = (bytes: number) => `${fmt(bytes / 1024 / 1024, 1)} MiB`;

async function createBurst(url: string, count: number, payloadBytes: number): Promise<string> {
  const response = await fetch(`${url}/api/v1/tasks`, {
    method: 'POST',
    headers: { authorization: 'Bearer alice', 'content-type': 'application/json' },
    body: JSON.stringify({
      clientRequestId: `slow-${Date.now()}`,
      taskType: 'bench-burst',
      input: { count, payloadBytes },
    }),
  });
  if (response.status !== 201) throw new Error(`create failed: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { taskId: string }).taskId;
}

/** The stalled readers' connections the server has ended, once all have (or after `timeoutMs`). */
async function stalledDrops(server: BenchProcess, timeoutMs: number): Promise<Drops> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const drops = await server.call<Drops>('drops');
    const ended = drops.closed.filter((c) => c.url.includes('role=stalled'));
    if (ended.length >= STALLED || performance.now() > deadline) return { ...drops, closed: ended };
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Runs the slow-consumer benchmark. */
export async function runSlowConsumer(config: BenchConfig): Promise<BenchReport> {
  const processes: BenchProcess[] = [];
  const notes: string[] = [];
  try {
    const [server, fast, stalledClients, catchUp] = await Promise.all([
      spawnBench('slow-consumer server', benchFile(import.meta.url, './servers/slow-consumer.ts')),
      spawnBench('fast readers', benchFile(import.meta.url, './clients/slow-readers.ts')),
      spawnBench('stalled readers', benchFile(import.meta.url, './clients/slow-readers.ts')),
      spawnBench('catch-up readers', benchFile(import.meta.url, './clients/slow-readers.ts')),
    ]);
    processes.push(server, fast, stalledClients, catchUp);
    const { url, drainTimeoutMs, maxBufferedBytes } = await server.call<{
      url: string;
      drainTimeoutMs: number;
      maxBufferedBytes: number;
    }>('fresh');
    await server.call('rss-start');
    if (config.profile) await startProfiles([server]);
    const taskId = await createBurst(url, config.slowEvents, config.slowEventBytes);
    const started = performance.now();
    await stalledClients.call('stalled', { url, taskId, ws: STALLED_WS, sse: STALLED_SSE });
    await Promise.all([
      fast.call('fast-ws', { url, taskId, count: FAST_WS }),
      catchUp.call('catch-up-sse', { url, taskId, count: CATCH_UP_SSE, pauseMs: CATCH_UP_PAUSE_MS }),
    ]);
    const [fastResult, catchUpResult] = await Promise.all([
      fast.call<{ fast: Group }>('wait', { timeoutMs: 600_000 }, 660_000),
      catchUp.call<{ catchUp: Group }>('wait', { timeoutMs: 600_000 }, 660_000),
    ]);
    const elapsedMs = performance.now() - started;
    // A reader cut off by the queue bound got its end (SSE) or close frame (WS) queued behind bytes it
    // never reads: the connection itself goes at the latest one drain budget later.
    const drops = await stalledDrops(server, drainTimeoutMs + 5_000);
    if (config.profile) {
      const dir = join(config.profileDir, 'slow-consumer');
      await stopProfiles([server], dir);
      notes.push(...describeProfiles(dir));
    }
    const state = await server.call<{ subscriptions: number; connections: number }>('state');
    const memory = await server.call<Memory>('rss-stop');
    const released = await stalledClients.call<{ released: number; gone: number }>('release', {}, 60_000);

    const expected = config.slowEvents + 2;
    const ws = drops.closed.filter((c) => c.status === 101).length;
    const sse = drops.closed.length - ws;
    const byBudget = drops.budgetWaits.length;
    const maxWaited = Math.max(0, ...drops.budgetWaits.map((w) => w.waitedMs));
    const longestStalled = Math.max(0, ...drops.closed.map((c) => c.durationMs));
    const complete = (g: Group, readers: number) =>
      g.completed === readers && g.minEvents >= expected && g.outOfOrder === 0;
    const group = (name: string, g: Group) => [
      name,
      `${g.completed}/${g.readers}`,
      fmtInt(g.minEvents),
      String(g.outOfOrder),
      String(g.reconnects),
      `${fmt(g.lastDoneMs / 1000, 1)} s`,
    ];
    const title =
      `Slow consumers: ${fmtInt(config.slowEvents)} × ${fmtInt(config.slowEventBytes)} B task, budget ` +
      `${MiB(maxBufferedBytes)} / ${fmtInt(drainTimeoutMs)} ms (defaults)`;
    return {
      name: 'slow-consumer',
      tables: [
        table(title, [
          ['readers', 'completed', 'min events', 'out of order', 'reconnects', 'last done'],
          group(`fast WebSocket (${FAST_WS})`, fastResult.fast),
          group(
            `SSE paused ${CATCH_UP_PAUSE_MS / 1000} s, then catching up (${CATCH_UP_SSE})`,
            catchUpResult.catchUp,
          ),
        ]),
        table('Stalled readers (never read) and the server', [
          ['measure', 'value'],
          [
            'stalled WebSocket / SSE connections the server ended',
            `${ws}/${STALLED_WS} / ${sse}/${STALLED_SSE}`,
          ],
          ['  ended by the drain budget (a write waited too long)', String(byBudget)],
          [
            '  ended by the queue bound (10,000 events behind)',
            String(Math.max(0, drops.closed.length - byBudget)),
          ],
          ['longest wait before a budget drop (server side)', `${fmtInt(maxWaited)} ms`],
          ['longest stalled connection (subscribe → dropped)', `${fmt(longestStalled / 1000, 1)} s`],
          ['stalled readers that found their connection gone', `${released.gone}/${released.released}`],
          ['subscriptions / connections left at the end', `${state.subscriptions} / ${state.connections}`],
          ['run time (subscribe → every reader done)', `${fmt(elapsedMs / 1000, 1)} s`],
          ['server RSS before the task', MiB(memory.baseline)],
          ['server peak RSS', MiB(memory.peak)],
          ['  JS heap at the peak', MiB(memory.heapAtPeak)],
          ['events stored (payload only)', MiB(config.slowEvents * config.slowEventBytes)],
          [
            'server event-loop delay p99 / max',
            `${fmt(memory.loopDelayP99Ms, 0)} / ${fmt(memory.loopDelayMaxMs, 0)} ms`,
          ],
        ]),
      ],
      targets: [
        {
          benchmark: 'slow-consumer',
          claim: `all ${STALLED} stalled readers dropped; budget waits ≤ drain budget`,
          measured: `${drops.closed.length}/${STALLED}, longest wait ${fmtInt(maxWaited)} ms`,
          met:
            drops.closed.length === STALLED &&
            state.connections === 0 &&
            maxWaited <= drainTimeoutMs + TIMER_SLACK_MS,
        },
        {
          benchmark: 'slow-consumer',
          claim: 'fast and catch-up readers get every event once, in order',
          measured: `${fastResult.fast.completed}/${FAST_WS} fast, ${catchUpResult.catchUp.completed}/${CATCH_UP_SSE} catch-up`,
          met: complete(fastResult.fast, FAST_WS) && complete(catchUpResult.catchUp, CATCH_UP_SSE),
        },
        {
          benchmark: 'slow-consumer',
          claim: 'server peak RSS < 400 MiB',
          measured: MiB(memory.peak),
          met: memory.peak < PEAK_RSS_TARGET,
        },
      ],
      notes,
    };
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
  }
}
