/**
 * The demo behind a real nginx (shared/PROXIES.md) that breaks transports the way deployed proxies do:
 * the WebSocket upgrade refused with 403, then also the SSE route gzip-buffered (headers and events held
 * until the upstream ends). The page finishes the same task over SSE, then over long polling, the
 * transport badge shows which, and the page shows exactly the server's events. Short client deadlines
 * come from the demo's query parameters.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserPage, openBrowserPage } from './support/chromium';
import { readPage, summarizeText, waitForStatus } from './support/demo-page';
import {
  buildDemo,
  completedResult,
  type DemoBuild,
  type DemoServer,
  startDemoServer,
  streamedText,
} from './support/demo-server';
import { type Nginx, startNginx } from './support/nginx';

const FIXTURE_TEXT = readFileSync(
  fileURLToPath(new URL('./fixtures/declaration.txt', import.meta.url)),
  'utf8',
);
const DEADLINES = '?openTimeoutMs=1500&firstFrameTimeoutMs=2000';
const E2E_TIMEOUT = 60_000;

let build: DemoBuild | undefined;
let srv: DemoServer | undefined;
let proxy: Nginx | undefined;
let browser: BrowserPage | undefined;

// Missing Chromium or nginx fails each test (openBrowserPage, startNginx), never skips it.
beforeAll(async () => {
  build = await buildDemo();
}, 120_000);

afterAll(async () => {
  await build?.remove();
});

afterEach(async () => {
  await browser?.close();
  await proxy?.close();
  await srv?.close();
  browser = undefined;
  proxy = undefined;
  srv = undefined;
});

/** Runs `summarize` through nginx to its end and returns what the page showed. */
async function summarizeThroughNginx(options: { bufferSse: boolean }) {
  srv = await startDemoServer((build as DemoBuild).dir);
  proxy = await startNginx({ upstreamPort: srv.port, blockWebSocket: true, bufferSse: options.bufferSse });
  browser = await openBrowserPage();
  const { page } = browser;
  await page.goto(`${proxy.url}/${DEADLINES}`);
  await summarizeText(page, FIXTURE_TEXT);
  await waitForStatus(page, 'completed', 45_000);
  const events = await srv.events(srv.onlyTaskId());
  const state = await readPage(page);
  // Nothing lost, nothing twice: the server's text and event count, and the full summary.
  expect(state.text).toBe(streamedText(events));
  expect(state.text).toBe((completedResult(events) as { summary: string }).summary);
  expect(state.eventCount).toBe(events.length);
  expect(srv.server.engine.taskCount).toBe(1);
  return state;
}

describe('demo behind nginx', () => {
  it(
    'WebSocket upgrade refused (403): the page finishes over SSE',
    async () => {
      const state = await summarizeThroughNginx({ bufferSse: false });
      expect(state.path).toEqual(['sse']);
      expect(state.transport).toBe('sse');
    },
    E2E_TIMEOUT,
  );

  it(
    'WebSocket refused and SSE gzip-buffered: the client detects the buffering and finishes over polling',
    async () => {
      const state = await summarizeThroughNginx({ bufferSse: true });
      expect(state.path).toEqual(['polling']);
      expect(state.transport).toBe('polling');
    },
    E2E_TIMEOUT,
  );
});
