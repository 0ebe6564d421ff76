/**
 * Unfinished tasks per subject, for the engine's `maxInFlightTasksPerSubject` (protocol/SPEC.md §8:
 * 429 `RATE_LIMITED`). Backend-neutral: a task leaves the count when the local runtime reports its run
 * over, or — for runs elsewhere (workers) — when a create at the limit finds its terminal event in the
 * log (or finds it evicted).
 */
import { rateLimited } from './limits';

/** Counts a subject's unfinished tasks and refuses one more past the limit. */
export class InFlightTasks {
  readonly #limit: number | null;
  readonly #isOver: (taskId: string) => Promise<boolean>;
  readonly #bySubject = new Map<string, Set<string>>();

  /**
   * @param limit - unfinished tasks per subject; `null` = unbounded (nothing is tracked).
   * @param isOver - whether a task has its terminal event (or is gone).
   */
  constructor(limit: number | null, isOver: (taskId: string) => Promise<boolean>) {
    this.#limit = limit;
    this.#isOver = isOver;
  }

  /** Tasks tracked for `subject` (tests). */
  count(subject: string): number {
    return this.#bySubject.get(subject)?.size ?? 0;
  }

  /**
   * Counts `taskId` for `subject`, first forgetting finished ones when the subject is at the limit.
   * The check and the count happen together after the last await, so concurrent creates cannot both
   * take the last slot.
   *
   * @throws {TaskBridgeError} `RATE_LIMITED` (429) when `subject` has `limit` unfinished tasks.
   */
  async reserve(subject: string, taskId: string): Promise<void> {
    const limit = this.#limit;
    if (limit === null) return;
    const held = this.#bySubject.get(subject);
    if (held && held.size >= limit) {
      const over = await Promise.all(
        [...held].map(async (id) => [id, await this.#isOver(id).catch(() => false)] as const),
      );
      for (const [id, done] of over) if (done) held.delete(id);
    }
    let tasks = this.#bySubject.get(subject);
    if (!tasks) {
      tasks = new Set();
      this.#bySubject.set(subject, tasks);
    }
    if (tasks.size >= limit) {
      throw rateLimited(
        'maxInFlightTasksPerSubject',
        limit,
        `too many unfinished tasks: at most ${limit} per caller; retry when one has finished`,
      );
    }
    tasks.add(taskId);
  }

  /** Forgets `taskId` (finished, or never created). Idempotent. */
  release(subject: string, taskId: string): void {
    const tasks = this.#bySubject.get(subject);
    if (!tasks) return;
    tasks.delete(taskId);
    if (tasks.size === 0) this.#bySubject.delete(subject);
  }
}
