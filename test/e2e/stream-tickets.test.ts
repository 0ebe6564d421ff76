/**
 * Stream tickets (protocol/SPEC.md §12) in headless Chromium: a page holding a bearer token mints a
 * ticket over an authenticated `fetch`, then streams a task with the browser's own `WebSocket` and
 * `EventSource` — which cannot send headers — with only the ticket in the URL. A reused or expired
 * ticket is refused (WebSocket 1008, EventSource error without a message). The token never appears
 * in a URL the browser requested, and the access log shows `ticket=REDACTED`.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TaskEvent } from '@taskbridge/protocol';
import { createMemoryTicketStore, type LogEntry } from '@taskbridge/server-reference';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/reference-server';
import { type BrowserPage, openBrowserPage } from './support/chromium';

const TOKEN = 'page-user';
const TTL_MS = 30_000;
const E2E_TIMEOUT = 60_000;

let dir: string;
let ts: TestServer | undefined;
let browser: BrowserPage | undefined;
let now = Date.now();
const logs: LogEntry[] = [];
const requested: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'taskbridge-e2e-tickets-'));
  await writeFile(join(dir, 'index.html'), '<!doctype html><title>tickets</title><p>tickets</p>');
});
afterAll(() => rm(dir, { recursive: true, force: true }));
afterEach(async () => {
  await browser?.close();
  await ts?.close();
  browser = undefined;
  ts = undefined;
  logs.length = 0;
  requested.length = 0;
});

/** The reference server (demo resolver: the page's bearer token is its user) serving the page. */
async function open(): Promise<{ page: BrowserPage['page']; server: TestServer }> {
  now = Date.now();
  ts = await startTestServer({
    staticDir: dir,
    streamTickets: { ttlMs: TTL_MS, now: () => now, store: createMemoryTicketStore({ now: () => now }) },
    logger: (entry) => logs.push(entry),
  });
  browser = await openBrowserPage();
  browser.page.on('request', (request) => requested.push(request.url()));
  await browser.page.goto(`${ts.url}/index.html`);
  return { page: browser.page, server: ts };
}

/** In the page: creates a ticker task and mints a ticket for it, with the bearer token in headers. */
function createAndMint(page: BrowserPage['page']): Promise<{ taskId: string; ticket: string }> {
  return page.evaluate(async (token) => {
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const created = await fetch('/api/v1/tasks', {
      method: 'POST',
      headers,
      body: JSON.stringify({
        clientRequestId: crypto.randomUUID(),
        taskType: 'ticker',
        input: { count: 20, intervalMs: 5 },
      }),
    });
    const { taskId } = (await created.json()) as { taskId: string };
    const minted = await fetch('/api/v1/stream-tickets', {
      method: 'POST',
      headers,
      body: JSON.stringify({ taskId }),
    });
    const { ticket } = (await minted.json()) as { ticket: string };
    return { taskId, ticket };
  }, TOKEN);
}

/** In the page: a native WebSocket with `?ticket=`: the frames it got and how it closed. */
function streamOverWebSocket(
  page: BrowserPage['page'],
  taskId: string,
  ticket: string,
): Promise<{ frames: Record<string, unknown>[]; code: number; reason: string }> {
  return page.evaluate(
    ({ taskId, ticket }) =>
      new Promise((resolve) => {
        const frames: Record<string, unknown>[] = [];
        const url = `${location.origin.replace(/^http/, 'ws')}/api/v1/tasks/ws?ticket=${encodeURIComponent(ticket)}`;
        const ws = new WebSocket(url);
        ws.onopen = () => ws.send(JSON.stringify({ action: 'subscribe', taskId, lastEventId: null }));
        ws.onmessage = (message) => frames.push(JSON.parse(String(message.data)) as Record<string, unknown>);
        ws.onclose = (event) => resolve({ frames, code: event.code, reason: event.reason });
      }),
    { taskId, ticket },
  );
}

/** In the page: a native EventSource with `?ticket=`: its events until the terminal one, or its error. */
function streamOverEventSource(
  page: BrowserPage['page'],
  taskId: string,
  ticket: string,
): Promise<{ events: TaskEvent[]; lastEventIds: string[]; failed: boolean }> {
  return page.evaluate(
    ({ taskId, ticket }) =>
      new Promise((resolve) => {
        const events: TaskEvent[] = [];
        const lastEventIds: string[] = [];
        const source = new EventSource(
          `/api/v1/tasks/${taskId}/events/stream?ticket=${encodeURIComponent(ticket)}`,
        );
        source.onmessage = (message) => {
          const data = JSON.parse(String(message.data)) as TaskEvent | { type: 'HEARTBEAT' };
          if (data.type === 'HEARTBEAT') return;
          events.push(data as TaskEvent);
          lastEventIds.push(message.lastEventId);
          if (['TASK_COMPLETED', 'TASK_FAILED', 'TASK_CANCELLED'].includes(data.type)) {
            source.close();
            resolve({ events, lastEventIds, failed: false });
          }
        };
        // A refused ticket: the 401 makes the browser give the source up for good (readyState CLOSED).
        source.onerror = () => {
          if (source.readyState === EventSource.CLOSED) resolve({ events, lastEventIds, failed: true });
        };
      }),
    { taskId, ticket },
  );
}

async function serverLog(server: TestServer, taskId: string): Promise<string[]> {
  const { events } = await server.server.engine.backend.events.read(taskId, null, 1_000);
  return events.map((e) => e.eventId);
}

describe('stream tickets in Chromium', () => {
  it(
    'native WebSocket: streams a task with a ticket; the same ticket again and an expired one are refused (1008)',
    async () => {
      const { page, server } = await open();
      const { taskId, ticket } = await createAndMint(page);
      const first = await streamOverWebSocket(page, taskId, ticket);
      expect(first.code).toBe(1000);
      expect(first.frames[0]).toMatchObject({ type: 'SUBSCRIPTION_CONFIRMED', taskId });
      const ids = first.frames.filter((f) => typeof f.eventId === 'string').map((f) => f.eventId);
      expect(ids).toEqual(await serverLog(server, taskId));
      expect(ids).toHaveLength(22);

      const reused = await streamOverWebSocket(page, taskId, ticket);
      expect(reused).toEqual({ frames: [], code: 1008, reason: 'authentication failed' });

      const { ticket: expiring } = await page.evaluate(
        async ({ taskId, token }) =>
          (await (
            await fetch('/api/v1/stream-tickets', {
              method: 'POST',
              headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
              body: JSON.stringify({ taskId }),
            })
          ).json()) as { ticket: string },
        { taskId, token: TOKEN },
      );
      now += TTL_MS;
      const expired = await streamOverWebSocket(page, taskId, expiring);
      expect(expired).toEqual({ frames: [], code: 1008, reason: 'authentication failed' });

      expect(requested.some((url) => url.includes(TOKEN))).toBe(false);
      const upgrades = logs.filter((e) => e.msg === 'access' && e.status === 101);
      expect(upgrades.map((e) => e.url)).toEqual(Array(3).fill('/api/v1/tasks/ws?ticket=REDACTED'));
    },
    E2E_TIMEOUT,
  );

  it(
    'native EventSource: streams a task with a ticket; the same ticket again and an expired one are refused',
    async () => {
      const { page, server } = await open();
      const { taskId, ticket } = await createAndMint(page);
      const first = await streamOverEventSource(page, taskId, ticket);
      expect(first.failed).toBe(false);
      const log = await serverLog(server, taskId);
      expect(first.events.map((e) => e.eventId)).toEqual(log);
      expect(first.lastEventIds).toEqual(log);

      const reused = await streamOverEventSource(page, taskId, ticket);
      expect(reused).toEqual({ events: [], lastEventIds: [], failed: true });

      const again = await createAndMint(page);
      now += TTL_MS;
      const expired = await streamOverEventSource(page, again.taskId, again.ticket);
      expect(expired).toEqual({ events: [], lastEventIds: [], failed: true });

      expect(requested.some((url) => url.includes(TOKEN))).toBe(false);
      const streams = logs.filter((e) => e.msg === 'access' && String(e.url).includes('/events/stream'));
      expect(streams.map((e) => [e.status, String(e.url).split('?')[1]])).toEqual([
        [200, 'ticket=REDACTED'],
        [401, 'ticket=REDACTED'],
        [401, 'ticket=REDACTED'],
      ]);
    },
    E2E_TIMEOUT,
  );
});
