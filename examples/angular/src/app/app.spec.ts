/**
 * The page against the real reference server (started by the root `npm test`): tasks stream through
 * `TaskRunner` and `toSignal` into the DOM, and every kind of error renders as state.
 *
 * No test-only code path: jsdom supplies `fetch` (with CORS, as a browser would) and `WebSocket`; SSE
 * runs on the `eventsource` package, the client's default. Only the checkpoint store is swapped, as
 * jsdom has no IndexedDB.
 */
import { type ComponentFixture, TestBed } from '@angular/core/testing';
import { createMemoryCheckpointStore, type TransportName } from '@taskbridge/client';
import { firstValueFrom } from 'rxjs';
import { referenceServerUrl, serverEvents, streamedText } from '../testing/reference-server';
import { App } from './app';
import { provideTaskBridge } from './task-bridge/provide-task-bridge';
import { TaskRunner } from './task-bridge/task-runner';

const SUBJECT = 'angular-test';
const STREAM_TIMEOUT_MS = 15_000;
const TEST_TIMEOUT_MS = 20_000;
/** Long enough for a summary of several sentences (dozens of streamed tokens). */
const LONG_TEXT = Array.from(
  { length: 24 },
  (_, i) =>
    `Sentence ${i + 1} says that rivers carry ${i % 3 === 0 ? 'sediment to deltas' : 'water'} near town ${i}.`,
).join(' ');

function render(options: { forceTransport?: TransportName } = {}) {
  const baseUrl = referenceServerUrl();
  TestBed.configureTestingModule({
    imports: [App],
    providers: [
      provideTaskBridge({
        baseUrl,
        getAccessToken: () => SUBJECT,
        // jsdom has no IndexedDB; a fresh store per test keeps tests apart.
        checkpointStore: createMemoryCheckpointStore(),
        ...(options.forceTransport ? { forceTransport: options.forceTransport } : {}),
      }),
    ],
  });
  const fixture = TestBed.createComponent(App);
  return { fixture, baseUrl, page: pageOf(fixture) };
}

function pageOf(fixture: ComponentFixture<App>) {
  const root = fixture.nativeElement as HTMLElement;
  const find = (id: string) => root.querySelector<HTMLElement>(`[data-testid="${id}"]`);
  const text = (id: string) => find(id)?.textContent?.trim() ?? null;
  return {
    text,
    type(id: string, value: string) {
      const field = find(id);
      if (!(field instanceof HTMLTextAreaElement)) throw new Error(`no textarea ${id}`);
      field.value = value;
      field.dispatchEvent(new Event('input'));
    },
    click(id: string) {
      const button = find(id);
      if (!(button instanceof HTMLButtonElement)) throw new Error(`no button ${id}`);
      button.click();
    },
    /** Waits until the page shows `status` (the DOM, as rendered from the signal). */
    async waitForStatus(status: string) {
      await vi.waitFor(() => expect(text('status')).toBe(status), {
        timeout: STREAM_TIMEOUT_MS,
        interval: 10,
      });
      await fixture.whenStable();
    },
  };
}

describe('TaskRunner + toSignal against the reference server', () => {
  it.each(['websocket', 'sse', 'polling'] as const)(
    'streams summarize to completion over %s, exactly the server’s events',
    async (transport) => {
      const { fixture, baseUrl, page } = render({ forceTransport: transport });
      await fixture.whenStable();
      expect(page.text('status')).toBe('idle');
      const runner = fixture.debugElement.injector.get(TaskRunner);
      const seen = { transports: new Set<string>(), eventCounts: new Set<number>() };
      const watching = runner.view$.subscribe((view) => {
        if (view.connection.transport) seen.transports.add(view.connection.transport);
        seen.eventCounts.add(view.eventCount);
      });

      page.type('text-input', LONG_TEXT);
      page.click('summarize');
      await page.waitForStatus('completed');
      watching.unsubscribe();

      const view = await firstValueFrom(runner.view$);
      expect(view.taskId).not.toBeNull();
      const events = await serverEvents(baseUrl, view.taskId ?? '', SUBJECT);
      expect(events.at(-1)?.type).toBe('TASK_COMPLETED');
      expect(events.filter((event) => event.type === 'TASK_MESSAGE').length).toBeGreaterThan(30);
      expect(page.text('text')).toBe(streamedText(events).trim());
      expect(page.text('event-count')).toBe(String(events.length));
      // One view per event, in order: every count from 0 to the last was rendered through the runner.
      expect([...seen.eventCounts].sort((a, b) => a - b)).toEqual(
        events.map((_, i) => i).concat(events.length),
      );
      expect([...seen.transports]).toEqual([transport]);
      expect(view.connection.status).toBe('done');
      expect(page.text('transport')).toBe('no transport');
      expect(view.progress).toBe(100);
      expect(view.failure).toBeNull();
      console.log(
        `[taskbridge-angular] ${transport}: task ${view.taskId} completed, ${events.length} events`,
      );
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'renders a failed task as state (TASK_FAILED → error), not as a thrown error',
    async () => {
      const { fixture, page } = render();
      await fixture.whenStable();
      page.click('fail');
      await page.waitForStatus('failed');
      expect(page.text('task-error')).toBe('Task failed: TASK_EXECUTION_FAILED the model is unavailable');
      expect(page.text('failure')).toBeNull();
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'renders a stream that cannot follow its task as state (TASK_NOT_FOUND → failure)',
    async () => {
      const { fixture, page } = render();
      fixture.debugElement.injector.get(TaskRunner).follow('no-such-task');
      await vi.waitFor(() => expect(page.text('failure')).toContain('TASK_NOT_FOUND'), {
        timeout: STREAM_TIMEOUT_MS,
      });
      expect(page.text('status')).toBe('idle');
      expect(page.text('task-error')).toBeNull();
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'renders a refused start as state (unknown task type → failure)',
    async () => {
      const { fixture, page } = render();
      fixture.debugElement.injector.get(TaskRunner).start({ taskType: 'no-such-type' });
      await vi.waitFor(() => expect(page.text('failure')).toContain('INVALID_REQUEST'), {
        timeout: STREAM_TIMEOUT_MS,
      });
      expect(page.text('failure')).toContain('unknown taskType no-such-type');
      expect(page.text('status')).toBe('idle');
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'answers the approval from the page; the task completes with the answer',
    async () => {
      const { fixture, page } = render();
      await fixture.whenStable();
      page.click('approval');
      await page.waitForStatus('suspended');
      expect(page.text('suspension')).toContain('approval_required');
      page.click('action-approve');
      await page.waitForStatus('completed');
      expect(page.text('text')).toBe(`Approved by ${SUBJECT}.`);
      expect(page.text('suspension')).toBeNull();
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'cancels from the page; the task ends cancelled through the stream',
    async () => {
      const { fixture, page } = render();
      await fixture.whenStable();
      page.click('approval');
      await page.waitForStatus('suspended');
      page.click('cancel');
      await page.waitForStatus('cancelled');
      expect(page.text('command-failure')).toBeNull();
      expect(page.text('suspension')).toBeNull();
    },
    TEST_TIMEOUT_MS,
  );
});
