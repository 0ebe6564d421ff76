/**
 * Reads and drives the demo page through its `data-testid`s (examples/react-demo).
 */
import type { Page } from 'playwright-core';

/** What the page shows. */
export interface PageState {
  /** The streamed text. */
  text: string;
  /** Events folded into the page's snapshot. */
  eventCount: number;
  /** Task status (`idle`, `running`, `suspended`, `completed`, `failed`, `cancelled`). */
  status: string;
  /** The badge's transport and connection status. */
  transport: string;
  connection: string;
  /** Transports the stream went live on, e.g. `['websocket']` or `['polling']`. */
  path: string[];
  taskId: string;
}

/** The page's state now. */
export function readPage(page: Page): Promise<PageState> {
  return page.evaluate(() => {
    const el = (id: string) => document.querySelector<HTMLElement>(`[data-testid="${id}"]`);
    const path = el('transport-path')?.textContent ?? '';
    return {
      text: el('output')?.textContent ?? '',
      eventCount: Number(el('output')?.dataset.eventCount ?? 0),
      status: el('task-status')?.dataset.status ?? '',
      transport: el('connection-badge')?.dataset.transport ?? '',
      connection: el('connection-badge')?.dataset.status ?? '',
      path: path === '' ? [] : path.split(' → '),
      taskId: el('task-id')?.textContent ?? '',
    };
  });
}

/** Waits until the task's status is `status`. */
export async function waitForStatus(page: Page, status: string, timeoutMs = 30_000): Promise<void> {
  await page.locator(`[data-testid="task-status"][data-status="${status}"]`).waitFor({ timeout: timeoutMs });
}

/** Waits until the page has folded at least `count` events. */
export async function waitForEventCount(page: Page, count: number, timeoutMs = 30_000): Promise<void> {
  await page.waitForFunction(
    (n) => Number(document.querySelector<HTMLElement>('[data-testid="output"]')?.dataset.eventCount) >= n,
    count,
    { timeout: timeoutMs, polling: 'raf' },
  );
}

/** Starts `summarize` on `text` pasted into the form. */
export async function summarizeText(page: Page, text: string): Promise<void> {
  await page.getByTestId('text-input').fill(text);
  await page.getByTestId('start-summarize').click();
}

/** A small seeded PRNG (mulberry32), so "random" reload points repeat run to run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
