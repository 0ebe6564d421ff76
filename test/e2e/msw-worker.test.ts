/**
 * The MSW kit's browser setup with no backend, in headless Chromium: examples/msw-browser is built by
 * Vite (plus `msw init` for the worker script) and served by a plain static file server; the page
 * starts the kit's service worker and streams a scripted task to completion over each transport MSW
 * mocks — the WebSocket (`ws.link` on MSW's patched global `WebSocket`), SSE (the kit's streaming
 * handler, read through the worker by the `eventsource` package and by the browser's own
 * `EventSource`) and long polling. The static
 * server's log proves no TaskBridge route ever reached the network.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DEFAULT_ROUTES, expandRoute } from '@taskbridge/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CHAT_TOKENS, TOKEN_DELAY_MS } from '../../examples/msw-browser/src/script';
import { type BrowserPage, openBrowserPage } from './support/chromium';
import { type StaticServer, startStaticServer } from './support/static-server';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const EXAMPLE = join(ROOT, 'examples/msw-browser');
const VITE = join(ROOT, 'node_modules/vite/bin/vite.js');
const MSW_CLI = join(ROOT, 'node_modules/msw/cli/index.js');
const E2E_TIMEOUT = 30_000;

let dir: string | undefined;
let site: StaticServer | undefined;
let browser: BrowserPage | undefined;

// Built into a temp dir, with the worker script generated there (never committed, never in the tree).
// Missing Chromium fails each test (openBrowserPage), never skips it.
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'taskbridge-e2e-msw-'));
  const run = promisify(execFile);
  await run(
    process.execPath,
    [VITE, 'build', EXAMPLE, '--outDir', dir, '--emptyOutDir', '--logLevel', 'warn'],
    {
      cwd: ROOT,
    },
  );
  // `msw init` reads the package.json of its cwd; --no-save leaves it untouched.
  await run(process.execPath, [MSW_CLI, 'init', dir, '--no-save'], { cwd: EXAMPLE });
  site = await startStaticServer(dir);
}, 120_000);

afterAll(async () => {
  await site?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

afterEach(async () => {
  await browser?.close();
  browser = undefined;
});

/** Requests that are not the page's own static files: a TaskBridge route that escaped the mocks. */
function escapedRequests(requests: readonly string[]): string[] {
  const pageFile = /^GET \/(\?[^ ]*|assets\/[^ ?]+|mockServiceWorker\.js|favicon\.ico)?$/;
  return requests.filter((request) => !pageFile.test(request));
}

describe('the MSW kit in Chromium with no backend', () => {
  it('the static server is no backend: every TaskBridge route answers 404', async () => {
    const { url } = site as StaticServer;
    const params = { taskId: 'task-1' };
    const probes: Array<[string, string]> = [
      ['POST', DEFAULT_ROUTES.create],
      ['GET', DEFAULT_ROUTES.capabilities],
      ['GET', expandRoute(DEFAULT_ROUTES.status, params)],
      ['GET', expandRoute(DEFAULT_ROUTES.events, params)],
      ['GET', expandRoute(DEFAULT_ROUTES.stream, params)],
      ['GET', DEFAULT_ROUTES.websocket],
      ['GET', '/health'],
    ];
    const statuses = await Promise.all(
      probes.map(async ([method, path]) => (await fetch(`${url}${path}`, { method })).status),
    );
    expect(statuses).toEqual(probes.map(() => 404));
  });

  const cases = [
    { name: 'auto (the client’s own order)', query: '', transport: 'websocket' },
    { name: 'websocket, forced', query: '?transport=websocket', transport: 'websocket' },
    { name: 'sse, forced', query: '?transport=sse', transport: 'sse' },
    { name: 'sse with the native EventSource', query: '?transport=sse&eventsource=native', transport: 'sse' },
    { name: 'polling, forced', query: '?transport=polling', transport: 'polling' },
  ];
  for (const { name, query, transport } of cases) {
    it(
      `${name}: the task streams to completion over ${transport} through the worker`,
      async () => {
        const server = site as StaticServer;
        const seen = server.requests.length;
        browser = await openBrowserPage();
        const { page } = browser;
        await page.goto(`${server.url}/${query}`);
        // Any final status, so a failure reports what the page shows instead of a bare timeout.
        await page.waitForFunction(
          () =>
            ['completed', 'failed', 'cancelled', 'error'].includes(
              document.getElementById('status')?.dataset.status ?? '',
            ),
          undefined,
          { timeout: 20_000 },
        );
        const state = await page.evaluate(() => {
          const el = (id: string) => document.getElementById(id) as HTMLElement;
          return {
            status: el('status').dataset.status,
            text: el('text').textContent,
            eventCount: Number(el('text').dataset.eventCount),
            arrivalsMs: (el('text').dataset.arrivalsMs ?? '').split(' ').map(Number),
            lagsMs: el('text').dataset.lagsMs ?? '',
            transport: el('transport').textContent,
            error: el('error').textContent,
            worker: navigator.serviceWorker.controller?.scriptURL ?? null,
          };
        });
        const { arrivalsMs, lagsMs, ...shown } = state;
        expect(shown).toEqual({
          status: 'completed',
          text: CHAT_TOKENS.join(''),
          // TASK_STARTED, one TASK_MESSAGE per token, TASK_COMPLETED: each exactly once.
          eventCount: CHAT_TOKENS.length + 2,
          transport,
          error: '',
          worker: `${server.url}/mockServiceWorker.js`,
        });
        // Streamed, not buffered: a buffered response delivers every token at once, at the end, so
        // some gap between tokens must show the script's delay (a quarter of it, for slack). Not every gap:
        // the task starts at create, so the tokens emitted before the stream attaches come as one replay
        // (the lags say so: they fall by the script's delay from one token to the next).
        expect(arrivalsMs).toHaveLength(CHAT_TOKENS.length);
        const gaps = arrivalsMs.slice(1).map((at, i) => at - (arrivalsMs[i] ?? at));
        expect(
          Math.max(...gaps),
          `token arrivals, ms after the first: ${arrivalsMs.join(' ')}; lag behind createdAt, ms: ${lagsMs}`,
        ).toBeGreaterThanOrEqual(TOKEN_DELAY_MS / 4);
        expect(escapedRequests(server.requests.slice(seen))).toEqual([]);
      },
      E2E_TIMEOUT,
    );
  }
});
