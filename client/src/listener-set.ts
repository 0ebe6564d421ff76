/** The listener set behind a task stream's store (TanStack Query's `Subscribable` shape). */
/**
 * The store's listeners: one entry per subscription, so the same function subscribed twice is two
 * subscriptions. Made on the first `add` and dropped when emptied: an emptied `Set` keeps its table, and
 * most streams are watched until live, then only through `events$`.
 */
export class ListenerSet {
  #entries: Set<{ readonly listener: () => void }> | undefined;

  /** Adds `listener`; the teardown removes it, then calls `release` (once). */
  add(listener: () => void, release: () => void): () => void {
    const entry = { listener };
    (this.#entries ??= new Set()).add(entry);
    return () => {
      if (!this.#entries?.delete(entry)) return;
      if (this.#entries.size === 0) this.#entries = undefined;
      release();
    };
  }

  /**
   * Calls each listener once, in subscription order. One that unsubscribes during the call is skipped if
   * not yet reached; one that subscribes after the set was emptied in the same call waits for the next.
   */
  notify(): void {
    if (this.#entries !== undefined) for (const { listener } of this.#entries) listener();
  }
}
