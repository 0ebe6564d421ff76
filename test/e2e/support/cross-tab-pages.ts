/**
 * The cross-tab browser test's fixtures: the client bundled for the browser (esbuild, from source) with
 * a page that follows `?task=…&user=…` and records what it receives, and the real reference server
 * (port 0) with a task that waits for the test before it streams, wrapped so that it counts the
 * streams (WebSocket and SSE subscriptions) open per task.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TaskHandler } from '@taskbridge/server-reference';
import { build } from 'esbuild';
import type { Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../../support/reference-server';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The README's cross-tab sample, as the page runs it (the test checks the README still shows it). */
export const ROLE_SAMPLE = `const client = createTaskBridgeClient({ baseUrl: location.origin, getAccessToken: () => user });
const stream = client.task(taskId);
stream.connection$.subscribe(({ role, status }) => {
  // 'leader': this tab streams the task for every tab of this user; 'follower': another tab does
  show(role, status);
});`;

// Runs in the page: follows the task of the URL as its user; everything it sees goes to \`__tb\`.
const PAGE_SCRIPT = `
const { createTaskBridgeClient } = TB;
const params = new URLSearchParams(location.search);
const taskId = params.get('task');
const user = params.get('user');
const state = (window.__tb = { ids: [], times: [], roles: [], role: null, status: null, done: false, error: null });
const show = (role, status) => {
  if (state.roles[state.roles.length - 1] !== role) state.roles.push(role);
  state.role = role;
  state.status = status;
};
if (taskId) {
${ROLE_SAMPLE}
  window.__stream = stream;
  stream.events$.subscribe({
    next: (event) => { state.ids.push(event.eventId); state.times.push(Date.now()); },
    complete: () => { state.done = true; },
    error: (error) => { state.error = error.code ?? String(error); },
  });
}
`;

/** A static dir with the bundled client and the page. */
export async function buildCrossTabSite(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'taskbridge-e2e-crosstab-'));
  await build({
    entryPoints: [join(ROOT, 'client/src/index.ts')],
    bundle: true,
    format: 'iife',
    globalName: 'TB',
    platform: 'browser',
    target: 'es2022',
    conditions: ['@taskbridge/source', 'module'],
    outfile: join(dir, 'client.js'),
    logLevel: 'silent',
  });
  await writeFile(join(dir, 'page.js'), PAGE_SCRIPT);
  await writeFile(
    join(dir, 'index.html'),
    '<!doctype html><meta charset="utf-8"><title>cross-tab</title>' +
      '<script src="/client.js"></script><script src="/page.js"></script>',
  );
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** One stream the server opened. */
export interface OpenedStream {
  taskId: string;
  at: number;
}

/** The server, its stream counts, and the gate of the `gated` task type. */
export interface CountingServer {
  ts: TestServer;
  /** Every stream opened, in order. */
  opened: OpenedStream[];
  /** Most streams open at once, per task. */
  maxConcurrent(taskId: string): number;
  /** Lets every `gated` task stream its messages. */
  openGate(): void;
  /** The task's stored event ids, oldest first. */
  log(taskId: string): Promise<string[]>;
}

/**
 * Starts the reference server with a `gated` task type: `TASK_STARTED`, then (once {@link
 * CountingServer.openGate} is called) `count` messages `tick N ` every `intervalMs`, then completed.
 */
export async function startCountingServer(staticDir: string): Promise<CountingServer> {
  let openGate!: () => void;
  const gate = new Promise<void>((resolve) => (openGate = resolve));
  const gated: TaskHandler = async function* (ctx) {
    const count = Number(ctx.input.count ?? 10);
    const intervalMs = Number(ctx.input.intervalMs ?? 10);
    await gate;
    for (let i = 1; i <= count; i += 1) {
      yield { type: 'message', message: `tick ${i} ` };
      await ctx.sleep(intervalMs);
    }
    return { count };
  };
  const ts = await startTestServer({ staticDir, handlers: { gated } });
  const opened: OpenedStream[] = [];
  const open = new Map<string, number>();
  const max = new Map<string, number>();
  const { engine } = ts.server;
  const subscribe = engine.subscribe.bind(engine);
  // A counting wrapper around the real engine's subscribe (what WebSocket and SSE sessions call).
  engine.subscribe = async (auth, taskId, cursor) => {
    const subscription = await subscribe(auth, taskId, cursor);
    const now = (open.get(taskId) ?? 0) + 1;
    open.set(taskId, now);
    max.set(taskId, Math.max(max.get(taskId) ?? 0, now));
    opened.push({ taskId, at: Date.now() });
    let counted = true;
    const ended = () => {
      if (counted) open.set(taskId, (open.get(taskId) ?? 1) - 1);
      counted = false;
    };
    const close = subscription.close.bind(subscription);
    const next = subscription.next.bind(subscription);
    subscription.close = () => {
      ended();
      close();
    };
    subscription.next = async () => {
      const result = await next();
      if (result.done) ended();
      return result;
    };
    return subscription;
  };
  return {
    ts,
    opened,
    maxConcurrent: (taskId) => max.get(taskId) ?? 0,
    openGate,
    async log(taskId) {
      const { events } = await engine.backend.events.read(taskId, null, 10_000);
      return events.map((e) => e.eventId);
    },
  };
}

/** What a page recorded. */
export interface PageRecord {
  ids: string[];
  times: number[];
  roles: string[];
  role: string | null;
  status: string | null;
  done: boolean;
  error: string | null;
  snapshot: { eventCount: number; text: string; status: string; lastEventId: string | null };
  /** This origin's TaskBridge cross-tab locks, held and pending. */
  locks: { held: number; pending: number };
}

/** Reads what the page recorded. */
export function readRecord(page: Page): Promise<PageRecord> {
  return page.evaluate(async () => {
    const w = window as unknown as {
      __tb: Omit<PageRecord, 'snapshot' | 'locks'>;
      __stream: { getSnapshot(): PageRecord['snapshot'] };
    };
    const { held = [], pending = [] } = await navigator.locks.query();
    const ours = (list: LockInfo[]) => list.filter((l) => l.name?.startsWith('taskbridge:tabs:')).length;
    const { eventCount, text, status, lastEventId } = w.__stream.getSnapshot();
    return {
      ...w.__tb,
      ids: [...w.__tb.ids],
      snapshot: { eventCount, text, status, lastEventId },
      locks: { held: ours(held), pending: ours(pending) },
    };
  });
}

/** Waits until the page's stream is `status` (e.g. `done`) and, if given, its role is `role`. */
export async function waitFor(page: Page, status: string | null, role?: string, timeoutMs = 20_000) {
  await page.waitForFunction(
    ([s, r]) => {
      const tb = (window as unknown as { __tb?: { status: string | null; role: string | null } }).__tb;
      return tb !== undefined && (s === null || tb.status === s) && (r === undefined || tb.role === r);
    },
    [status, role] as const,
    { timeout: timeoutMs, polling: 20 },
  );
}

/**
 * Checks a page received the log exactly once, in order: its events are the log's tail after the
 * cursor it restored, and its folded snapshot covers the whole log (restored part + delivered part).
 */
export function exactlyOnce(record: PageRecord, log: string[]): { from: number; ok: boolean } {
  const from = record.ids.length === 0 ? log.length : log.indexOf(record.ids[0] ?? '');
  const tail = log.slice(from);
  const ok =
    from >= 0 &&
    JSON.stringify(record.ids) === JSON.stringify(tail) &&
    record.snapshot.eventCount === log.length &&
    record.snapshot.lastEventId === log[log.length - 1];
  return { from, ok };
}
