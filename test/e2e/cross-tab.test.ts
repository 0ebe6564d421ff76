/**
 * One stream per task across tabs, in headless Chromium: one browser context, several pages of one
 * origin following one task through the real client (bundled from source) against the real reference
 * server (port 0), which counts the streams it opens per task. Checks: at most one stream at a time;
 * every page receives the events exactly once, in order; closing the leader mid-stream hands over
 * within 1 s without loss; the terminal event reaches every page and nobody reopens a stream (no lock
 * held or pending afterwards); two users in one browser never share; reloading a follower and the
 * leader both resume. Prints its figures.
 */
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserPage, openBrowserPage } from './support/chromium';
import { readmeSnippet } from '../packaging/readme-snippets';
import {
  buildCrossTabSite,
  type CountingServer,
  exactlyOnce,
  type PageRecord,
  readRecord,
  ROLE_SAMPLE,
  startCountingServer,
  waitFor,
} from './support/cross-tab-pages';

const E2E_TIMEOUT = 90_000;

let site: Awaited<ReturnType<typeof buildCrossTabSite>>;
let server: CountingServer | undefined;
let browser: BrowserPage | undefined;

beforeAll(async () => {
  site = await buildCrossTabSite();
}, 60_000);
afterAll(() => site.remove());
afterEach(async () => {
  await browser?.close();
  await server?.ts.close();
  browser = undefined;
  server = undefined;
});

const textOf = (count: number) => Array.from({ length: count }, (_, i) => `tick ${i + 1} `).join('');

async function setUp(count: number, intervalMs: number, user = 'alice') {
  server = await startCountingServer(site.dir);
  browser = await openBrowserPage();
  const taskId = await server.ts.createTask('gated', { count, intervalMs }, user);
  return { server, browser, taskId };
}

/** Opens a page of the browser's one context following `taskId` as `user`. */
async function follow(taskId: string, user = 'alice', first = false): Promise<Page> {
  if (!browser || !server) throw new Error('not set up');
  const page = first
    ? (browser.context.pages()[0] ?? (await browser.context.newPage()))
    : await browser.context.newPage();
  await page.goto(`${server.ts.url}/index.html?task=${encodeURIComponent(taskId)}&user=${user}`);
  return page;
}

/** A first page that leads and `followers` pages that follow, all on one new task; the gate still shut. */
async function pagesOnOneTask(count: number, followers: number) {
  const { server, taskId } = await setUp(count, 10);
  const leader = await follow(taskId, 'alice', true);
  await waitFor(leader, 'live', 'leader');
  const others: Page[] = [];
  for (let i = 0; i < followers; i += 1) others.push(await follow(taskId));
  await Promise.all(others.map((p) => waitFor(p, 'live', 'follower')));
  return { server, taskId, a: leader, others };
}

/** Waits until the page has received at least `n` events. */
function received(page: Page, n: number): Promise<unknown> {
  return page.waitForFunction(
    (min) => (window as unknown as { __tb: { ids: string[] } }).__tb.ids.length >= min,
    n,
  );
}

/** How many events the page has received. */
function receivedCount(page: Page): Promise<number> {
  return page.evaluate(() => (window as unknown as { __tb: { ids: string[] } }).__tb.ids.length);
}

/** Each record got the log exactly once, in order, and folded the task's whole text. */
function expectExactlyOnce(records: PageRecord[], log: string[], count: number): void {
  for (const record of records) {
    expect(exactlyOnce(record, log).ok).toBe(true);
    expect(record.snapshot.text).toBe(textOf(count));
  }
}

describe('cross-tab: one stream per task in one browser', () => {
  it(
    'three pages: one stream; every page gets every event once, in order; the terminal event reaches all and no lock is left',
    async () => {
      const {
        server,
        taskId,
        a,
        others: [b, c],
      } = await pagesOnOneTask(120, 2);
      if (!b || !c) throw new Error('two followers expected');
      server.openGate();
      await Promise.all([a, b, c].map((p) => waitFor(p, 'done')));
      const log = await server.log(taskId);
      const records = await Promise.all([a, b, c].map(readRecord));
      // Nobody reopens a stream after the end: still one stream once every heartbeat and leader
      // timeout could have fired.
      await new Promise((resolve) => setTimeout(resolve, 6_500));
      const opened = server.opened.filter((o) => o.taskId === taskId).length;
      const after = await Promise.all([a, b, c].map(readRecord));
      console.log(
        `[cross-tab] 3 pages, ${log.length} events: streams opened ${opened}, max concurrent ${server.maxConcurrent(taskId)}; ` +
          `per page received ${records.map((r) => r.ids.length).join('/')} (restored before: ${records
            .map((r) => exactlyOnce(r, log).from)
            .join('/')}), roles ${records.map((r) => r.roles.join('>')).join(' | ')}`,
      );
      expect(opened).toBe(1);
      expect(server.maxConcurrent(taskId)).toBe(1);
      expectExactlyOnce(records, log, 120);
      expect(records.map((r) => r.done)).toEqual([true, true, true]);
      expect(records.map((r) => r.roles.at(-2))).toEqual(['leader', 'follower', 'follower']);
      for (const record of after) {
        expect(record.status).toBe('done');
        expect(record.locks).toEqual({ held: 0, pending: 0 });
      }
    },
    E2E_TIMEOUT,
  );

  it(
    'closing the leader mid-stream hands over within 1 s, without loss',
    async () => {
      const {
        server,
        taskId,
        a,
        others: [b, c],
      } = await pagesOnOneTask(300, 2);
      if (!b || !c) throw new Error('two followers expected');
      server.openGate();
      await received(a, 60);
      const closedAt = Date.now();
      await a.close();
      await Promise.all([b, c].map((p) => waitFor(p, 'done')));
      const log = await server.log(taskId);
      const records = await Promise.all([b, c].map(readRecord));
      const streams = server.opened.filter((o) => o.taskId === taskId);
      const reopenMs = (streams[1]?.at ?? Number.POSITIVE_INFINITY) - closedAt;
      // The longest pause in delivery on a follower from the close on: the hand-over, as the app sees it.
      const pauseMs = Math.max(
        ...records.map(({ times }) => {
          const from = [closedAt, ...times.filter((t) => t > closedAt)];
          return Math.max(...from.slice(1).map((t, i) => t - (from[i] ?? t)));
        }),
      );
      const leaders = records.filter((r) => r.roles.includes('leader')).length;
      console.log(
        `[cross-tab] leader closed mid-stream (${log.length} events): new stream after ${reopenMs} ms, longest ` +
          `delivery pause on a follower ${pauseMs} ms; streams opened ${streams.length}, max concurrent ` +
          `${server.maxConcurrent(taskId)}; new leaders ${leaders}`,
      );
      expect(reopenMs).toBeLessThan(1_000);
      expect(pauseMs).toBeLessThan(1_000);
      expect(streams).toHaveLength(2);
      expect(server.maxConcurrent(taskId)).toBe(1);
      expect(leaders).toBe(1);
      expectExactlyOnce(records, log, 300);
    },
    E2E_TIMEOUT,
  );

  it(
    'two users in one browser never share: the second user gets no event of the first',
    async () => {
      const { server, taskId } = await setUp(40, 10, 'alice');
      const a = await follow(taskId, 'alice', true);
      await waitFor(a, 'live', 'leader');
      // Bob follows alice's task id in the same browser: his own stream, refused by the server.
      const b = await follow(taskId, 'bob');
      await waitFor(b, 'failed');
      const bobTask = await server.ts.createTask('gated', { count: 40, intervalMs: 10 }, 'bob');
      const c = await follow(bobTask, 'bob');
      await waitFor(c, 'live', 'leader');
      server.openGate();
      await Promise.all([waitFor(a, 'done'), waitFor(c, 'done')]);
      const [ra, rb, rc] = await Promise.all([a, b, c].map(readRecord));
      console.log(
        `[cross-tab] two users: alice ${ra?.ids.length} events (${ra?.roles.join('>')}), bob on alice's task ` +
          `${rb?.ids.length} events, ${rb?.error} (${rb?.roles.join('>')}), bob's own task ${rc?.ids.length} events ` +
          `(${rc?.roles.join('>')}); streams alice ${server.maxConcurrent(taskId)}, bob ${server.maxConcurrent(bobTask)}`,
      );
      expect(rb?.ids).toEqual([]);
      expect(rb?.error).toBe('TASK_NOT_FOUND');
      // Bob led his own group while alice's page held hers: had they shared, he would have followed.
      expect(rb?.roles).toContain('leader');
      expect(exactlyOnce(ra!, await server.log(taskId)).ok).toBe(true);
      expect(exactlyOnce(rc!, await server.log(bobTask)).ok).toBe(true);
      expect(rc?.roles).toContain('leader');
    },
    E2E_TIMEOUT,
  );

  it(
    'reloading a follower, then the leader, mid-stream: both resume, nothing lost or repeated, one stream at a time',
    async () => {
      const {
        server,
        taskId,
        a,
        others: [b],
      } = await pagesOnOneTask(400, 1);
      if (!b) throw new Error('a follower expected');
      server.openGate();
      await received(a, 80);
      await b.reload();
      await waitFor(b, 'live', 'follower');
      await received(a, (await receivedCount(a)) + 80);
      await a.reload();
      await waitFor(b, 'live', 'leader');
      await waitFor(a, null, 'follower');
      await Promise.all([a, b].map((p) => waitFor(p, 'done')));
      const log = await server.log(taskId);
      const [ra, rb] = await Promise.all([a, b].map(readRecord));
      const streams = server.opened.filter((o) => o.taskId === taskId).length;
      console.log(
        `[cross-tab] reloads, ${log.length} events: reloaded leader resumed after event ${exactlyOnce(ra!, log).from} ` +
          `(${ra?.roles.join('>')}), reloaded follower now leader resumed after event ${exactlyOnce(rb!, log).from} ` +
          `(${rb?.roles.join('>')}); streams opened ${streams}, max concurrent ${server.maxConcurrent(taskId)}`,
      );
      expect(server.maxConcurrent(taskId)).toBe(1);
      expect(streams).toBe(2);
      expectExactlyOnce([ra!, rb!], log, 400);
    },
    E2E_TIMEOUT,
  );

  it(
    'bfcache: pagehide (persisted) makes the leader let go at once; pageshow (persisted) brings it back as a follower',
    async () => {
      // Playwright turns the bfcache off: the page lifecycle events are synthetic, the handlers real.
      const {
        server,
        taskId,
        a,
        others: [b],
      } = await pagesOnOneTask(300, 1);
      if (!b) throw new Error('a follower expected');
      server.openGate();
      await received(a, 60);
      const hiddenAt = Date.now();
      await a.evaluate(() => dispatchEvent(new PageTransitionEvent('pagehide', { persisted: true })));
      await waitFor(b, 'live', 'leader');
      const takenOverMs = Date.now() - hiddenAt;
      await b.waitForFunction(
        () => (window as unknown as { __tb: { ids: string[] } }).__tb.ids.length >= 150,
      );
      await a.evaluate(() => dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true })));
      await waitFor(a, 'live', 'follower');
      await Promise.all([a, b].map((p) => waitFor(p, 'done')));
      const log = await server.log(taskId);
      const [ra, rb] = await Promise.all([a, b].map(readRecord));
      const streams = server.opened.filter((o) => o.taskId === taskId).length;
      console.log(
        `[cross-tab] bfcache: follower led ${takenOverMs} ms after pagehide; roles ${ra?.roles.join('>')} | ` +
          `${rb?.roles.join('>')}; streams opened ${streams}, max concurrent ${server.maxConcurrent(taskId)}`,
      );
      expect(streams).toBe(2);
      expect(server.maxConcurrent(taskId)).toBe(1);
      expect(ra?.roles.slice(1, 4)).toEqual(['follower', 'leader', 'follower']);
      expectExactlyOnce([ra!, rb!], log, 300);
    },
    E2E_TIMEOUT,
  );

  it('the README shows the sample the pages run', () => {
    expect(readmeSnippet('cross-tab-role')).toBe(`${ROLE_SAMPLE}\n`);
  });
});
