// @vitest-environment happy-dom
/**
 * The vanilla page (index.html + main.ts) against the MSW kit (the demo handlers, no backend): what it
 * prints when a task fails, and when it completes.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTaskBridgeHandlers } from '@taskbridge/server-reference/msw';
import { installMswNodeGlobals, setupTaskBridgeServer } from '@taskbridge/server-reference/msw/node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// (Node's path helpers: happy-dom replaces the global URL.)
const page = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../index.html'), 'utf8');
document.body.innerHTML = (/<body>([\s\S]*)<\/body>/.exec(page)?.[1] ?? '').replace(
  /<script[\s\S]*?<\/script>/g,
  '',
);

const restoreGlobals = installMswNodeGlobals();
const kit = createTaskBridgeHandlers({ baseUrl: location.origin });
const server = setupTaskBridgeServer(kit);
beforeAll(async () => {
  server.listen({ onUnhandledRequest: 'error' });
  await import('./main');
});
afterAll(() => {
  kit.close();
  server.close();
  restoreGlobals();
});

const el = (id: string) => document.querySelector<HTMLElement>(`[data-testid="${id}"]`) as HTMLElement;
const start = (text: string) => {
  (el('text-input') as HTMLTextAreaElement).value = text;
  el('start-summarize').click();
};

describe('the vanilla page', () => {
  it('says why a task failed (code and message), not just "failed ·"', async () => {
    start(''); // the summarize handler fails: nothing to summarize
    await vi.waitFor(() => expect(el('stage').textContent).toMatch(/^failed/), { timeout: 10_000 });
    expect(el('stage').textContent).toBe(
      'failed · TASK_EXECUTION_FAILED: nothing to summarize: send input.text or a text attachment',
    );
  });

  it('says completed, with the bar full, once a task completed', async () => {
    start(
      'Rivers carry water to the sea. Rivers also carry sediment. Deltas form where rivers meet the sea.',
    );
    await vi.waitFor(() => expect(el('stage').textContent).toBe('completed'), { timeout: 10_000 });
    expect((el('progress') as HTMLProgressElement).value).toBe(100);
    expect(el('output').textContent).not.toBe('');
  });
});
