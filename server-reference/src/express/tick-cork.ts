/**
 * Write coalescing for a Node stream: everything written in one turn of the event loop leaves in one
 * `writev` instead of one syscall (and one TCP segment) per frame.
 */

/** The part of `stream.Writable` (and `http.ServerResponse`) that {@link tickCorker} uses. */
export interface Corkable {
  cork(): void;
  uncork(): void;
}

/**
 * Returns `hold()`: call it before each write. The first call in a tick corks `stream`; the uncork is
 * queued with `process.nextTick`, which runs once the current microtask queue is drained.
 *
 * Why: a handler emitting in a tight loop produces its events in a chain of microtasks (the engine
 * yields to the event loop every few hundred), and the subscriber is woken for each one, so without
 * this every event became its own write. Latency is unchanged: the flush happens before the process
 * goes back to the event loop, the same turn the write would have happened in. Corks nest, so a
 * caller's own cork around a batch still works, and a write that waits for a drain is not held: its
 * frame leaves at the end of the tick it was written in.
 */
export function tickCorker(stream: Corkable): () => void {
  let held = false;
  const release = () => {
    held = false;
    stream.uncork();
  };
  return () => {
    if (held) return;
    held = true;
    stream.cork();
    process.nextTick(release);
  };
}
