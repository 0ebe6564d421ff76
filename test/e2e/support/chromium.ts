/**
 * Drives the system Chromium (Debian `chromium`, installed by `npm test` when missing) headless through playwright-core,
 * each page in a fresh temporary profile so IndexedDB checkpoints and remembered transport health never
 * leak between tests. Never downloads a browser.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

/** `CHROMIUM_PATH`, else `/usr/bin/chromium`. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

/** Fails with instructions when Chromium is missing: the browser tests never skip. */
export function requireChromium(): void {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}: the browser tests need it. Install it with ` +
        '`apt-get install -y chromium` (npm test does), or set CHROMIUM_PATH.',
    );
  }
}

/** A page in its own browser and profile. */
export interface BrowserPage {
  page: Page;
  context: BrowserContext;
  /** Closes the browser and deletes the profile. */
  close(): Promise<void>;
}

/** Starts Chromium with a fresh `--user-data-dir` and returns its page. */
export async function openBrowserPage(): Promise<BrowserPage> {
  requireChromium();
  const profile = await mkdtemp(join(tmpdir(), 'taskbridge-e2e-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ARGS,
    viewport: { width: 900, height: 560 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    page,
    context,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
