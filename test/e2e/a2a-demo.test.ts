/**
 * The React demo following a remote A2A agent in a real browser (headless Chromium): "Summarize via
 * A2A" starts `a2a-summarize`, a task type backed by `a2aAgentHandler` — here the server's own A2A
 * endpoint, as `npm start` wires it. The page streams the remote summary token by token, a reload
 * mid-stream resumes without a repeated or lost token, and the text is the remote task's result.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  createDemoAuthResolver,
  createReferenceServer,
  createSummarizeHandler,
  demoHandlers,
  type ReferenceServer,
} from '@taskbridge/server-reference';
import { a2aAgentHandler, a2aBridge, bearerAuth, dataPart } from '@taskbridge/server-reference/a2a';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserPage, openBrowserPage } from './support/chromium';
import { readPage, waitForEventCount, waitForStatus } from './support/demo-page';
import { completedResult, streamedText } from './support/demo-server';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TEXT =
  'Rivers carry water to the sea. Rivers also carry sediment and sediment builds deltas. Cats sleep a lot. ' +
  'Deltas form where rivers meet the sea and drop their sediment. The weather was fine. Sediment makes deltas ' +
  'grow year after year, and rivers keep carrying more of it to the sea.';

let dir = '';
let server: ReferenceServer | undefined;
let browser: BrowserPage | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'taskbridge-e2e-a2a-'));
  await promisify(execFile)(
    process.execPath,
    [
      join(ROOT, 'node_modules/vite/bin/vite.js'),
      'build',
      'examples/react-demo',
      '--outDir',
      dir,
      '--emptyOutDir',
      '--logLevel',
      'warn',
    ],
    { cwd: ROOT },
  );
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('React demo following a remote A2A agent', () => {
  it('streams the remote summary, survives a reload mid-stream, and ends with the remote result', async () => {
    server = createReferenceServer({
      auth: createDemoAuthResolver(),
      staticDir: dir,
      handlers: { ...demoHandlers, summarize: createSummarizeHandler({ tokenDelayMs: 60 }) },
      extensions: [a2aBridge()],
    });
    const { url } = await server.listen(0, '127.0.0.1');
    server.engine.registerHandler(
      'a2a-summarize',
      a2aAgentHandler({
        url,
        auth: (ctx) => bearerAuth(ctx.auth.subject),
        message: (ctx) => [dataPart({ taskType: 'summarize', input: ctx.input })],
      }),
    );
    const created: string[] = [];
    server.engine.onTaskCreated((taskId) => created.push(taskId));
    browser = await openBrowserPage();
    const { page } = browser;
    await page.goto(url);
    await page.getByTestId('text-input').fill(TEXT);
    await page.getByTestId('start-a2a-summarize').click();
    await waitForEventCount(page, 6);
    await page.reload();
    await waitForStatus(page, 'completed');
    const state = await readPage(page);
    // Two tasks: the one the page follows, and the remote A2A task behind it.
    expect(created).toHaveLength(2);
    const [local, remote] = created as [string, string];
    expect(state.taskId).toBe(local);
    const { events } = await server.engine.backend.events.read(local, null, 10_000);
    expect(state.text).toBe(streamedText(events));
    expect(state.eventCount).toBe(events.length);
    const result = completedResult(events) as { taskId: string; result: { summary: string } };
    expect(result.taskId).toBe(remote);
    expect(state.text).toBe(result.result.summary);
    const remoteEvents = (await server.engine.backend.events.read(remote, null, 10_000)).events;
    expect(streamedText(remoteEvents)).toBe(state.text);
  }, 60_000);
});
