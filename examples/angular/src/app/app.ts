import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { TaskRunner } from './task-bridge/task-runner';
import { IDLE_TASK_VIEW } from './task-bridge/task-view';

const SAMPLE_TEXT =
  'Rivers carry water to the sea. Rivers also carry sediment, and sediment builds deltas. ' +
  'Cats sleep a lot. Deltas form where rivers meet the sea and drop their sediment. The weather was fine.';

/** The demo page: summarize text, ask for an approval, or run a task that fails; cancel any of them. */
@Component({
  selector: 'app-root',
  templateUrl: './app.html',
  styleUrl: './app.css',
  providers: [TaskRunner],
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class App {
  readonly #runner = inject(TaskRunner);
  /** The task as a signal: each event re-renders the template, errors included. */
  protected readonly task = toSignal(this.#runner.view$, { initialValue: IDLE_TASK_VIEW });
  protected readonly busy = computed(() => ['starting', 'running', 'suspended'].includes(this.task().status));
  protected readonly text = signal(SAMPLE_TEXT);

  protected summarize(): void {
    this.#runner.start({ taskType: 'summarize', input: { text: this.text() } });
  }

  protected requestApproval(): void {
    this.#runner.start({ taskType: 'approval', input: { question: 'Publish the summary?' } });
  }

  protected runFailingTask(): void {
    this.#runner.start({ taskType: 'fail', input: { message: 'the model is unavailable' } });
  }

  protected cancel(): Promise<void> {
    return this.#runner.cancel('stopped from the page');
  }

  protected answer(actionType: string): Promise<void> {
    return this.#runner.submitAction(actionType);
  }

  protected editText(event: Event): void {
    this.text.set((event.target as HTMLTextAreaElement).value);
  }
}
