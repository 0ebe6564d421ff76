/**
 * The reaper: every `intervalMs` it looks for expired leases, takes each (one reaper wins per lease,
 * whichever process it runs in) and hands it to `onExpired`, which applies the worker-loss policy. A
 * lost worker is therefore noticed at most `leaseMs + intervalMs` after its last renewal.
 */
import type { Lease, LeaseStore } from './lease';

/** Options of {@link startReaper}. */
export interface ReaperOptions {
  store: LeaseStore;
  /** Time between sweeps, ms (> 0). */
  intervalMs: number;
  /** Applies the loss policy to a lease this reaper took; a rejection puts the lease back. */
  onExpired(lease: Lease): Promise<void>;
  /** Clock, ms since epoch. Default `Date.now`. */
  now?: () => number;
  /** Leases handled per sweep. Default 100. */
  batch?: number;
  /** Receives sweep failures (the store unreachable; the next sweep tries again). Default: ignored. */
  onError?: (error: unknown) => void;
}

/** A running reaper. */
export interface Reaper {
  /** Runs one sweep now (tests; the timer runs them otherwise); resolves with the leases handled. */
  sweep(): Promise<number>;
  /** Stops the timer and waits for a sweep in progress. Idempotent. */
  stop(): Promise<void>;
}

/** Starts sweeping every `intervalMs`. */
export function startReaper(options: ReaperOptions): Reaper {
  const { store } = options;
  const now = options.now ?? Date.now;
  const onError = options.onError ?? (() => undefined);
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<number> = Promise.resolve(0);

  const handle = async (lease: Lease): Promise<boolean> => {
    if (!(await store.claim(lease, now()))) return false;
    try {
      await options.onExpired(lease);
    } catch (error) {
      // Put back as expired: the next sweep (here or elsewhere) tries again.
      await store.hold(lease, 0).catch(() => undefined);
      onError(error);
    }
    return true;
  };
  const sweep = async (): Promise<number> => {
    let handled = 0;
    try {
      for (const lease of await store.expired(now(), options.batch ?? 100)) {
        if (await handle(lease)) handled += 1;
      }
    } catch (error) {
      onError(error);
    }
    return handled;
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = sweep();
      void running.then(schedule);
    }, options.intervalMs);
    (timer as { unref?: () => void }).unref?.();
  };
  schedule();
  return {
    sweep: () => (running = running.then(sweep)),
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
