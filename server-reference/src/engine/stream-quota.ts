/**
 * Concurrent live subscriptions (WebSocket and SSE streams, protocol/SPEC.md §5, §6) per subject and
 * per engine, for `maxStreamsPerSubject` and `maxStreams`: one more is refused with 429
 * `RATE_LIMITED` (protocol/SPEC.md §8) before anything is opened.
 */
import { rateLimited } from './limits';

/** Counts streams; a slot is taken before the subscription opens and given back when it ends. */
export class StreamQuota {
  readonly #perSubject: number | null;
  readonly #total: number | null;
  readonly #bySubject = new Map<string, number>();
  #count = 0;

  constructor(perSubject: number | null, total: number | null) {
    this.#perSubject = perSubject;
    this.#total = total;
  }

  /** Streams counted now, all subjects. */
  get count(): number {
    return this.#count;
  }

  /**
   * Takes a slot for `subject`.
   *
   * @returns the release function (idempotent).
   * @throws {TaskBridgeError} `RATE_LIMITED` (429) when the subject or the engine is at its limit.
   */
  take(subject: string): () => void {
    const mine = this.#bySubject.get(subject) ?? 0;
    if (this.#perSubject !== null && mine >= this.#perSubject) {
      throw rateLimited(
        'maxStreamsPerSubject',
        this.#perSubject,
        `too many open streams: at most ${this.#perSubject} per caller`,
      );
    }
    if (this.#total !== null && this.#count >= this.#total) {
      throw rateLimited('maxStreams', this.#total, 'too many open streams on this server');
    }
    this.#bySubject.set(subject, mine + 1);
    this.#count += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#count -= 1;
      const left = (this.#bySubject.get(subject) ?? 1) - 1;
      if (left <= 0) this.#bySubject.delete(subject);
      else this.#bySubject.set(subject, left);
    };
  }
}
