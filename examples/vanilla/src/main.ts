/**
 * TaskBridge without a framework: start a `summarize` task and render it from the stream's observables.
 * `events$` gives each event exactly once, in order (tokens are appended as they arrive); `snapshot$`
 * gives the folded state (progress); `connection$` the transport.
 */
import { createTaskBridgeClient, TaskBridgeError, type TaskStream } from '@taskbridge/client';
import type { TaskEvent, UnknownTaskEvent } from '@taskbridge/protocol';
import { distinctUntilChanged, filter, fromEvent, map, type Subscription } from 'rxjs';
import { connectionLabel, statusLabel, streamFailureLabel } from './labels';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const text = $<HTMLTextAreaElement>('text');
const startButton = $<HTMLButtonElement>('start');
const cancelButton = $<HTMLButtonElement>('cancel');
const progress = $<HTMLProgressElement>('progress');
const stage = $('stage');
const output = $('output');
const badge = $('badge');

const client = createTaskBridgeClient({ baseUrl: location.origin, getAccessToken: () => 'demo' });
let subscriptions: Subscription[] = [];

// A peer may send an off-schema payload; only a string message is a token.
const tokenOf = (event: TaskEvent | UnknownTaskEvent): string | null => {
  const message = event.type === 'TASK_MESSAGE' ? event.payload.message : undefined;
  return typeof message === 'string' ? message : null;
};

function follow(stream: TaskStream): void {
  for (const s of subscriptions) s.unsubscribe();
  output.textContent = '';
  subscriptions = [
    stream.events$
      .pipe(
        map(tokenOf),
        filter((token) => token !== null),
      )
      .subscribe({
        next: (token) => output.append(token),
        // The stream cannot go on (e.g. TASK_NOT_FOUND): say so instead of freezing on the last state.
        error: (error: unknown) => {
          stage.textContent = streamFailureLabel(TaskBridgeError.from(error));
        },
      }),
    stream.snapshot$
      .pipe(
        map((s) => ({ progress: s.status === 'completed' ? 100 : (s.progress ?? 0), label: statusLabel(s) })),
        distinctUntilChanged((a, b) => a.progress === b.progress && a.label === b.label),
      )
      .subscribe({
        next: ({ progress: value, label }) => {
          progress.value = value;
          stage.textContent = label;
        },
        error: () => undefined, // shown by the events$ subscriber
      }),
    stream.connection$.subscribe((c) => {
      badge.textContent = connectionLabel(c);
      cancelButton.disabled = c.status === 'done' || c.status === 'failed' || c.status === 'stopped';
    }),
  ];
  cancelButton.onclick = () => void stream.cancel('cancelled in the vanilla demo');
}

fromEvent(startButton, 'click').subscribe(async () => {
  startButton.disabled = true;
  try {
    const { stream } = await client.startTask({ taskType: 'summarize', input: { text: text.value } });
    follow(stream);
  } catch (error) {
    stage.textContent = String(error);
  } finally {
    startButton.disabled = false;
  }
});
