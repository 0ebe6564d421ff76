/**
 * Cross-site task creation in headless Chromium. The API runs on http://127.0.0.1:<port> and trusts
 * a caller without a token (a configured anonymous subject, standing for any ambient credential such
 * as a cookie): the origin check is all that stands between a page and a task. A page on another site
 * (http://localhost:<port>) cannot create a task — not with an auto-submitted multipart form, not with
 * a `no-cors` multipart `fetch` (both skip the CORS preflight, so the server refuses them by `Origin`)
 * and not with a JSON `fetch` (its preflight is refused). A page on an allowed origin can, with
 * multipart and with JSON.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDemoAuthResolver } from '@taskbridge/server-reference';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/reference-server';
import { type BrowserPage, openBrowserPage } from './support/chromium';
import { type StaticServer, startStaticServer } from './support/static-server';

const E2E_TIMEOUT = 60_000;

let dir: string;
let evil: StaticServer;
let friend: StaticServer;
let api: TestServer | undefined;
let browser: BrowserPage | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'taskbridge-e2e-origin-'));
  await writeFile(join(dir, 'index.html'), '<!doctype html><title>a page</title><p>a page</p>');
  evil = await startStaticServer(dir);
  friend = await startStaticServer(dir);
});
afterAll(async () => {
  await evil.close();
  await friend.close();
  await rm(dir, { recursive: true, force: true });
});
afterEach(async () => {
  await browser?.close();
  await api?.close();
  browser = undefined;
  api = undefined;
});

/** localhost:<port> is another site than 127.0.0.1:<port> (a different host, not only a port). */
const asLocalhost = (url: string) => url.replace('127.0.0.1', 'localhost');

async function start(): Promise<{ api: TestServer; page: BrowserPage['page'] }> {
  api = await startTestServer({
    auth: createDemoAuthResolver({ anonymousSubject: 'visitor' }),
    allowedOrigins: [friend.url],
    cors: { origin: [friend.url] },
  });
  browser = await openBrowserPage();
  return { api, page: browser.page };
}

describe('cross-site task creation in Chromium', () => {
  it(
    'a page on another site cannot create a task: form post, no-cors multipart fetch, JSON fetch',
    async () => {
      const { api, page } = await start();
      const createUrl = `${api.url}/api/v1/tasks`;
      await page.goto(`${asLocalhost(evil.url)}/index.html`);

      // 1. An auto-submitted HTML form: a navigation the attacker does not need to read.
      const formResponse = page.waitForResponse((res) => res.url() === createUrl);
      await page.evaluate((action) => {
        const form = document.createElement('form');
        form.method = 'POST';
        form.enctype = 'multipart/form-data';
        form.action = action;
        for (const [name, value] of [
          ['clientRequestId', 'csrf-form'],
          ['taskType', 'greet'],
        ]) {
          const input = document.createElement('input');
          input.name = name as string;
          input.value = value as string;
          form.append(input);
        }
        document.body.append(form);
        form.submit();
      }, createUrl);
      const refused = await formResponse;
      expect(refused.status()).toBe(403);
      expect(refused.request().headers().origin).toBe(asLocalhost(evil.url));
      // The form navigated the page to the answer: let that navigation finish before leaving it.
      await page.waitForURL(createUrl);
      await page.goto(`${asLocalhost(evil.url)}/index.html`);

      // 2. A `no-cors` multipart fetch: sent without a preflight, its answer unreadable (opaque).
      const fetchResponse = page.waitForResponse((res) => res.url() === createUrl);
      const opaque = await page.evaluate(async (url) => {
        const body = new FormData();
        body.set('clientRequestId', 'csrf-fetch');
        body.set('taskType', 'greet');
        const res = await fetch(url, { method: 'POST', mode: 'no-cors', body });
        return res.type;
      }, createUrl);
      expect(opaque).toBe('opaque');
      expect((await fetchResponse).status()).toBe(403);

      // 3. A JSON fetch needs a preflight, which the API's CORS policy refuses for this origin.
      const json = await page.evaluate(async (url) => {
        try {
          await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ clientRequestId: 'csrf-json', taskType: 'greet' }),
          });
          return 'sent';
        } catch (error) {
          return (error as Error).name;
        }
      }, createUrl);
      expect(json).toBe('TypeError');

      expect(api.server.engine.taskCount).toBe(0);
    },
    E2E_TIMEOUT,
  );

  it(
    'a page on an allowed origin creates tasks with multipart and with JSON, and reads the answers',
    async () => {
      const { api, page } = await start();
      const createUrl = `${api.url}/api/v1/tasks`;
      await page.goto(`${friend.url}/index.html`);
      const statuses = await page.evaluate(async (url) => {
        const form = new FormData();
        form.set('clientRequestId', 'friend-form');
        form.set('taskType', 'greet');
        const multipart = await fetch(url, { method: 'POST', body: form });
        const json = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ clientRequestId: 'friend-json', taskType: 'greet' }),
        });
        return [
          multipart.status,
          ((await multipart.json()) as { taskId?: string }).taskId !== undefined,
          json.status,
        ];
      }, createUrl);
      expect(statuses).toEqual([201, true, 201]);
      expect(api.server.engine.taskCount).toBe(2);
    },
    E2E_TIMEOUT,
  );
});
