/**
 * protocol/SPEC.md §4 — `GET /api/v1/tasks/{taskId}/events`: cursor semantics, paging with `maxEvents` /
 * `hasMore` / `nextAfterEventId`, the long-poll wake-up on append, our immediate return on terminal
 * tasks with `taskStatus` (E), and the 400/404 envelopes.
 */
import { compareEventIds, type TaskEvent } from '@taskbridge/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  collectUntilTerminal,
  expectErrorEnvelope,
  poll,
  taskPaths,
  waitForEvent,
} from '../support/protocol-calls';
import { startTestServer, type TestServer } from '../support/reference-server';

const paths = taskPaths();
let ts: TestServer;
/** A finished `ticker` task of 250 messages (252 events) shared by the read-only tests. */
let tickerId: string;
let tickerEvents: TaskEvent[];

beforeAll(async () => {
  ts = await startTestServer();
  tickerId = await ts.createTask('ticker', { count: 250 });
  tickerEvents = await collectUntilTerminal(ts, tickerId);
});
afterAll(() => ts.close());

describe('cursor', () => {
  it('returns everything from the oldest event when the cursor is missing', async () => {
    const page = await poll(ts, tickerId, { maxEvents: 500 });
    expect(page.events).toEqual(tickerEvents);
    expect(page.hasMore).toBe(false);
    expect(page.nextAfterEventId).toBe(tickerEvents.at(-1)?.eventId);
    expect(page.taskStatus).toBe('COMPLETED');
    expect(page.taskId).toBe(tickerId);
  });

  it('treats an empty cursor as missing', async () => {
    const page = await poll(ts, tickerId, { afterEventId: '', maxEvents: 3 });
    expect(page.events).toEqual(tickerEvents.slice(0, 3));
  });

  it('returns only events strictly newer than the cursor', async () => {
    const cursor = tickerEvents[10]?.eventId as string;
    const page = await poll(ts, tickerId, { afterEventId: cursor, maxEvents: 5 });
    expect(page.events).toEqual(tickerEvents.slice(11, 16));
    for (const e of page.events) expect(compareEventIds(e.eventId, cursor)).toBe(1);
  });

  it('accepts a cursor that is not a stored id and returns what is newer', async () => {
    const ms = Number((tickerEvents[5] as TaskEvent).eventId.split('-')[0]);
    const between = `${ms - 1}-999999`;
    const newer = tickerEvents.filter((e) => compareEventIds(e.eventId, between) === 1);
    const page = await poll(ts, tickerId, { afterEventId: between, maxEvents: 500 });
    expect(page.events).toEqual(newer);
    expect(page.events.length).toBeGreaterThan(0);
    // An all-numeric cursor older than every event replays from the oldest.
    const oldest = await poll(ts, tickerId, { afterEventId: '0', maxEvents: 1 });
    expect(oldest.events[0]).toEqual(tickerEvents[0]);
  });
});

describe('paging', () => {
  it('pages through 252 events with maxEvents=100, hasMore and nextAfterEventId', async () => {
    const seen: TaskEvent[] = [];
    const pages: { size: number; hasMore: boolean }[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 10; i++) {
      const page = await poll(ts, tickerId, {
        maxEvents: 100,
        ...(cursor === undefined ? {} : { afterEventId: cursor }),
      });
      pages.push({ size: page.events.length, hasMore: page.hasMore });
      seen.push(...page.events);
      expect(page.nextAfterEventId).toBe(page.events.at(-1)?.eventId);
      cursor = page.nextAfterEventId ?? undefined;
      if (!page.hasMore) break;
    }
    expect(pages).toEqual([
      { size: 100, hasMore: true },
      { size: 100, hasMore: true },
      { size: 52, hasMore: false },
    ]);
    expect(seen).toEqual(tickerEvents);
  });

  it('defaults maxEvents to 100', async () => {
    const page = await poll(ts, tickerId);
    expect(page.events).toHaveLength(100);
    expect(page.hasMore).toBe(true);
  });

  it('caps a page at maxEvents=1 and at maxEvents=500', async () => {
    expect((await poll(ts, tickerId, { maxEvents: 1 })).events).toHaveLength(1);
    expect((await poll(ts, tickerId, { maxEvents: 500 })).events).toHaveLength(252);
  });
});

describe('long poll', () => {
  it('wakes up as soon as an event is appended, long before waitTimeoutMs', async () => {
    const taskId = await ts.createTask('ticker', { count: 2, intervalMs: 300 });
    const { event: started } = await waitForEvent(ts, taskId, (e) => e.type === 'TASK_STARTED');
    const t0 = Date.now();
    const page = await poll(ts, taskId, { afterEventId: started.eventId, waitTimeoutMs: 5000 });
    const elapsed = Date.now() - t0;
    expect(page.events.length).toBeGreaterThanOrEqual(1);
    expect(page.events[0]?.payload).toEqual({ message: 'tick 1' });
    // It waited for the tick (300 ms after TASK_STARTED) and returned right after it.
    expect(elapsed).toBeGreaterThanOrEqual(100);
    expect(elapsed).toBeLessThan(2500);
    expect(page.taskStatus).toBe('RUNNING');
  });

  it('returns at once with events:[] and taskStatus when the task is terminal and nothing is newer (E)', async () => {
    const terminal = tickerEvents.at(-1) as TaskEvent;
    const t0 = Date.now();
    const page = await poll(ts, tickerId, { afterEventId: terminal.eventId, waitTimeoutMs: 5000 });
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(page).toEqual({
      taskId: tickerId,
      events: [],
      nextAfterEventId: terminal.eventId,
      hasMore: false,
      taskStatus: 'COMPLETED',
    });
  });

  it('short-polls by default (waitTimeoutMs omitted → 0)', async () => {
    const taskId = await ts.createTask('approval', {});
    const { event } = await waitForEvent(ts, taskId, (e) => e.type === 'TASK_SUSPENDED');
    const t0 = Date.now();
    const res = await ts.request(`${paths.events(taskId)}?afterEventId=${event.eventId}`, {
      subject: 'alice',
    });
    const body = (await res.json()) as { events: unknown[]; nextAfterEventId: string | null };
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(body.events).toEqual([]);
    expect(body.nextAfterEventId).toBe(event.eventId);
    await ts.request(paths.cancel(taskId), { method: 'POST', subject: 'alice' });
  });
});

describe('errors', () => {
  it.each([
    ['waitTimeoutMs=60001'],
    ['waitTimeoutMs=-1'],
    ['waitTimeoutMs=1.5'],
    ['waitTimeoutMs=abc'],
    ['maxEvents=0'],
    ['maxEvents=501'],
    ['maxEvents=ten'],
    ['afterEventId=a&afterEventId=b'],
  ])('answers 400 INVALID_REQUEST for %s', async (query) => {
    const res = await ts.request(`${paths.events(tickerId)}?${query}`, { subject: 'alice' });
    await expectErrorEnvelope(res, 400, 'INVALID_REQUEST');
  });

  it.each([['abc'], ['hb-123'], ['1-2-3'], ['-1']])(
    'answers 400 INVALID_REQUEST for the cursor %s',
    async (cursor) => {
      const res = await ts.request(`${paths.events(tickerId)}?afterEventId=${encodeURIComponent(cursor)}`, {
        subject: 'alice',
      });
      await expectErrorEnvelope(res, 400, 'INVALID_REQUEST');
    },
  );

  it('answers 404 TASK_NOT_FOUND for an unknown task', async () => {
    const res = await ts.request(`${paths.events('no-such-task')}?waitTimeoutMs=0`, { subject: 'alice' });
    await expectErrorEnvelope(res, 404, 'TASK_NOT_FOUND');
  });

  it("answers 404 TASK_NOT_FOUND (never 403) for another owner's task", async () => {
    const res = await ts.request(`${paths.events(tickerId)}?waitTimeoutMs=1000`, { subject: 'mallory' });
    await expectErrorEnvelope(res, 404, 'TASK_NOT_FOUND');
  });

  it('accepts the limits themselves: waitTimeoutMs=0 and maxEvents=500', async () => {
    const res = await ts.request(`${paths.events(tickerId)}?waitTimeoutMs=0&maxEvents=500`, {
      subject: 'alice',
    });
    expect(res.status).toBe(200);
  });
});
