/**
 * Chaos: tasks streamed through a fault proxy must still be delivered exactly once, in order, up to the
 * terminal event (protocol/SPEC.md §3 resume from the last eventId, §10 recovery; design/recovery.md).
 *
 * - kills: every connection is reset at random moments 50–500 ms apart, mid-stream;
 * - stall + refuse: every connection goes silent without closing, so each live stream must notice by its
 *   liveness deadline; its reconnects are first reset on accept, then accepted but silent, so the open
 *   deadline must fire too before the stall ends.
 *
 * Each transport mode (forced WebSocket, SSE, polling, and the automatic ladder) runs its tasks
 * concurrently; modes and scenarios run one after the other. Each task has its own client, and what it
 * received is compared with the server's event log read straight from the store.
 *
 * Replay a run with `CHAOS_SEED=<seed printed below> npx vitest run test/integration/chaos.test.ts`.
 */
import {
  type ConnectionState,
  createMemoryCheckpointStore,
  createTaskBridgeClient,
  type Diagnostic,
  type TaskBridgeClient,
} from '@taskbridge/client';
import { compareEventIds, isTerminalEvent, TaskBridgeError, type TransportName } from '@taskbridge/protocol';
import type { EventStore } from '@taskbridge/server-reference';
import { EventSource } from 'eventsource';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy';
import { startTestServer, type TestServer } from '../support/reference-server';

const EVENTS_PER_TASK = 300;
// 10 ms between ticks makes each task last ~3 s, so every stream sees several faults mid-flight.
const TICK_MS = 10;
const KILL_TASKS = 20;
const KILL_SCHEDULE = { minMs: 50, maxMs: 500 };
const STALL_TASKS = 10;
const LIVENESS_TIMEOUT_MS = 2000;
const OPEN_TIMEOUT_MS = 1000;
// Refusing outlasts the liveness deadline, so the first reconnects after it are reset on accept.
const REFUSE_MS = LIVENESS_TIMEOUT_MS + 500;
// The stall outlasts the refusal by more than the open deadline (plus slack for the ≤ 200 ms backoff
// and timer lag on a loaded machine), so the first accepted reconnect times out on open.
const STALL_MS = REFUSE_MS + OPEN_TIMEOUT_MS + 1000;
// How long a scenario may take before its unfinished tasks count as hung (and fail the test).
const SCENARIO_DEADLINE_MS = 20_000;

const SEED = Number(process.env.CHAOS_SEED ?? Date.now() % 2 ** 32) >>> 0;

interface Mode {
  name: string;
  forceTransport?: TransportName;
}

const MODES: readonly Mode[] = [
  { name: 'websocket', forceTransport: 'websocket' },
  { name: 'sse', forceTransport: 'sse' },
  { name: 'polling', forceTransport: 'polling' },
  { name: 'auto' },
];

/** What one client saw of one task. */
interface TaskOutcome {
  taskId: string;
  /** eventIds in delivery order. */
  received: string[];
  terminal: boolean;
  completed: boolean;
  error: TaskBridgeError | undefined;
  /** `TIMEOUT` errors the connection went through, by deadline (`open`, `firstFrame`, `liveness`). */
  deadlines: string[];
}

/** One line of the printed table. */
interface Row {
  scenario: string;
  mode: string;
  tasks: number;
  expected: number;
  received: number;
  lost: number;
  duplicated: number;
  reordered: number;
  terminal: number;
  kills: number;
  killRounds: number;
  stalls: number;
  refused: number;
  reconnects: number;
  deadlines: number;
  durationMs: number;
}

/** The comparison of what one task received with the server's log. */
interface TaskCheck {
  lost: string[];
  duplicated: string[];
  /** Received ids the server never wrote (a corrupted or foreign event). */
  unexpected: string[];
  /** Adjacent deliveries where the later eventId is older than the earlier one. */
  reordered: number;
}

function checkTask(expected: readonly string[], received: readonly string[]): TaskCheck {
  const seen = new Set<string>();
  const duplicated: string[] = [];
  let reordered = 0;
  received.forEach((id, index) => {
    if (seen.has(id)) duplicated.push(id);
    seen.add(id);
    const previous = received[index - 1];
    if (previous !== undefined && compareEventIds(previous, id) === 1) reordered += 1;
  });
  const logged = new Set(expected);
  return {
    lost: expected.filter((id) => !seen.has(id)),
    duplicated,
    unexpected: received.filter((id) => !logged.has(id)),
    reordered,
  };
}

function formatTable(table: readonly Row[]): string {
  const header = [
    'scenario',
    'mode',
    'tasks',
    'events expected',
    'received',
    'lost',
    'duplicated',
    'reordered',
    'terminal',
    'kills (rounds)',
    'stalls',
    'refused',
    'reconnects',
    'deadlines fired',
    'duration',
  ];
  const lines = table.map((r) => [
    r.scenario,
    r.mode,
    String(r.tasks),
    String(r.expected),
    String(r.received),
    String(r.lost),
    String(r.duplicated),
    String(r.reordered),
    `${r.terminal}/${r.tasks}`,
    `${r.kills} (${r.killRounds})`,
    String(r.stalls),
    String(r.refused),
    String(r.reconnects),
    String(r.deadlines),
    `${(r.durationMs / 1000).toFixed(1)} s`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const format = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  const rule = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  return [format(header), rule, ...lines.map(format)].join('\n');
}

let srv: TestServer;
let store: EventStore;
const proxies = new Set<FaultProxy>();
const clients = new Set<TaskBridgeClient>();
const rows: Row[] = [];

beforeAll(async () => {
  // Short heartbeats keep an idle stream talking, so only a real stall trips the liveness deadline.
  srv = await startTestServer({ heartbeatIntervalMs: { websocket: 500, sse: 500 } });
  store = srv.server.engine.backend.events;
  console.log(`[chaos] seed=${SEED} (replay with CHAOS_SEED=${SEED})`);
});

afterEach(async () => {
  for (const client of clients) client.close();
  clients.clear();
  await Promise.all(Array.from(proxies, (proxy) => proxy.close()));
  proxies.clear();
});

afterAll(async () => {
  if (rows.length > 0) console.log(`[chaos] seed=${SEED}\n${formatTable(rows)}`);
  await srv?.close();
});

/** Starts one task through the proxy and observes it with its own client. */
async function observeTask(
  proxy: FaultProxy,
  mode: Mode,
  onDiagnostic: (d: Diagnostic) => void,
): Promise<TaskOutcome> {
  const client = createTaskBridgeClient({
    baseUrl: proxy.url,
    getAccessToken: () => 'alice',
    platform: { WebSocket: WebSocket as never, EventSource: EventSource as never },
    checkpointStore: createMemoryCheckpointStore(),
    environment: null,
    ...(mode.forceTransport ? { forceTransport: mode.forceTransport } : {}),
    connection: {
      backoff: { baseMs: 10, maxMs: 200 },
      openTimeoutMs: OPEN_TIMEOUT_MS,
      firstFrameTimeoutMs: 1500,
      livenessTimeoutMs: LIVENESS_TIMEOUT_MS,
    },
    polling: { waitTimeoutMs: 1000 },
    // The create itself goes through the proxy: a reset after the server took it is retried with the
    // same clientRequestId and must not start a second task.
    requestRetry: { attempts: 20, backoff: { baseMs: 10, maxMs: 200 } },
    onDiagnostic,
  });
  clients.add(client);
  const { taskId, stream } = await client.startTask({
    taskType: 'ticker',
    input: { count: EVENTS_PER_TASK, intervalMs: TICK_MS },
  });
  const outcome: TaskOutcome = {
    taskId,
    received: [],
    terminal: false,
    completed: false,
    error: undefined,
    deadlines: [],
  };
  stream.events$.subscribe({
    next: (event) => {
      outcome.received.push(event.eventId);
      if (isTerminalEvent(event)) outcome.terminal = true;
    },
    complete: () => {
      outcome.completed = true;
    },
    error: (error: unknown) => {
      outcome.error = TaskBridgeError.from(error);
    },
  });
  let lastError: TaskBridgeError | null = null;
  stream.connection$.subscribe((state: ConnectionState) => {
    if (state.error !== null && state.error !== lastError && state.error.code === 'TIMEOUT') {
      outcome.deadlines.push(String(state.error.details.deadline));
    }
    lastError = state.error;
  });
  return outcome;
}

/** How a scenario disturbs the connections. */
interface Scenario {
  name: string;
  tasks: number;
  /** Runs before the tasks are created (faults that should hit the creates too). */
  beforeStart?(proxy: FaultProxy): void;
  /** Runs once every task is created and observed. */
  whileStreaming?(proxy: FaultProxy, outcomes: readonly TaskOutcome[]): Promise<void>;
}

/**
 * Runs `scenario` in `mode`, prints and records its row, and asserts exactly-once, in-order, terminal
 * delivery of every task.
 */
async function runScenario(
  scenario: Scenario,
  mode: Mode,
  seed: number,
): Promise<{ row: Row; outcomes: TaskOutcome[] }> {
  const proxy = await startFaultProxy({ targetPort: srv.port, seed });
  proxies.add(proxy);
  let reconnects = 0;
  const onDiagnostic = (d: Diagnostic) => {
    if (d.type === 'retry' || d.type === 'fallback') reconnects += 1;
  };
  const tasksBefore = srv.server.engine.taskCount;
  const startedAt = Date.now();

  scenario.beforeStart?.(proxy);
  const outcomes = await Promise.all(
    Array.from({ length: scenario.tasks }, () => observeTask(proxy, mode, onDiagnostic)),
  );
  await scenario.whileStreaming?.(proxy, outcomes);
  const pending = () => outcomes.filter((o) => !o.completed && o.error === undefined).length;
  // A hang shows up as unfinished tasks in the table and the assertions below, not as a test timeout.
  await vi
    .waitFor(() => expect(pending()).toBe(0), { timeout: SCENARIO_DEADLINE_MS, interval: 50 })
    .catch(() => undefined);
  const durationMs = Date.now() - startedAt;
  proxy.stopKilling();
  const stats = proxy.stats();

  const checks = await Promise.all(
    outcomes.map(async (outcome) => {
      const log = (await store.read(outcome.taskId, null, 10_000)).events;
      const expected = log.map((e) => e.eventId);
      return { outcome, log, expected, ...checkTask(expected, outcome.received) };
    }),
  );
  const sum = (f: (c: (typeof checks)[number]) => number) => checks.reduce((n, c) => n + f(c), 0);
  const row: Row = {
    scenario: scenario.name,
    mode: mode.name,
    tasks: scenario.tasks,
    expected: sum((c) => c.expected.length),
    received: sum((c) => c.outcome.received.length),
    lost: sum((c) => c.lost.length),
    duplicated: sum((c) => c.duplicated.length),
    reordered: sum((c) => c.reordered),
    terminal: checks.filter((c) => c.outcome.terminal && c.outcome.completed).length,
    kills: stats.kills,
    killRounds: stats.killRounds,
    stalls: stats.stalls,
    refused: stats.refused,
    reconnects,
    deadlines: sum((c) => c.outcome.deadlines.length),
    durationMs,
  };
  rows.push(row);
  console.log(`[chaos] ${scenario.name}/${mode.name} (proxy seed ${proxy.seed}): ${JSON.stringify(row)}`);

  // Per task, what was received must be the server's whole log, in its order, and nothing else.
  const exact = (c: (typeof checks)[number]) => c.outcome.received.join() === c.expected.join();
  const failures = checks
    .filter((c) => !exact(c) || !c.outcome.terminal || !c.outcome.completed)
    .map((c) => ({
      taskId: c.outcome.taskId,
      expected: c.expected.length,
      received: c.outcome.received.length,
      lost: c.lost.slice(0, 5),
      duplicated: c.duplicated.slice(0, 5),
      unexpected: c.unexpected.slice(0, 5),
      reordered: c.reordered,
      terminal: c.outcome.terminal,
      completed: c.outcome.completed,
      error: c.outcome.error?.code,
    }));
  expect(failures).toEqual([]);
  expect(row).toMatchObject({ lost: 0, duplicated: 0, reordered: 0, terminal: scenario.tasks });
  // The server ran each task once (a retried create was deduplicated) and to its end.
  expect(srv.server.engine.taskCount - tasksBefore).toBe(scenario.tasks);
  for (const { log } of checks) {
    expect(log.filter((e) => e.type === 'TASK_MESSAGE')).toHaveLength(EVENTS_PER_TASK);
    expect(log.at(-1)?.type).toBe('TASK_COMPLETED');
  }
  // The client really had to recover: a run in which nothing broke proves nothing.
  expect(reconnects).toBeGreaterThan(0);
  return { row, outcomes };
}

const killScenario: Scenario = {
  name: 'kills',
  tasks: KILL_TASKS,
  beforeStart: (proxy) => proxy.startKilling(KILL_SCHEDULE),
};

const stallScenario: Scenario = {
  name: 'stall+refuse',
  tasks: STALL_TASKS,
  async whileStreaming(proxy, outcomes) {
    // Only once every stream is live and mid-task, so the liveness deadline (not the open) must notice.
    await vi.waitFor(() => expect(outcomes.every((o) => o.received.length >= 20)).toBe(true), {
      timeout: 10_000,
      interval: 20,
    });
    proxy.stall(STALL_MS);
    proxy.refuseFor(REFUSE_MS);
  },
};

describe(`chaos: ${KILL_TASKS} tasks × ${EVENTS_PER_TASK} events, every connection reset every ${KILL_SCHEDULE.minMs}–${KILL_SCHEDULE.maxMs} ms`, () => {
  MODES.forEach((mode, index) => {
    it(`${mode.name}: 0 lost, 0 duplicated, 0 reordered, all terminal`, async () => {
      const { row } = await runScenario(killScenario, mode, SEED + index);
      expect(row.kills).toBeGreaterThan(0);
    }, 60_000);
  });
});

describe(`chaos: ${STALL_TASKS} tasks × ${EVENTS_PER_TASK} events, a ${STALL_MS} ms stall with connections refused for ${REFUSE_MS} ms`, () => {
  MODES.forEach((mode, index) => {
    it(`${mode.name}: liveness and open deadlines fire, delivery stays exactly-once and in order`, async () => {
      const { row, outcomes } = await runScenario(stallScenario, mode, SEED + MODES.length + index);
      expect(row.stalls).toBe(1);
      expect(row.refused).toBeGreaterThan(0);
      // Every stream was live when the stall began: each must time out on liveness, then on open.
      expect(outcomes.filter((o) => o.deadlines.includes('liveness'))).toHaveLength(STALL_TASKS);
      expect(outcomes.filter((o) => o.deadlines.includes('open'))).toHaveLength(STALL_TASKS);
    }, 60_000);
  });
});
