/**
 * A run's side of its lease: renew it while the run goes on, and say so at once when it is lost — a
 * reaper took it (the run was presumed dead: another worker may already run the task), or renewals
 * kept failing until it ran out — so the run stops writing instead of racing its successor.
 */
import type { Lease, LeaseStore } from './lease';

/** Options of {@link keepLease}. */
export interface LeaseKeeperOptions {
  /** How long one hold or renewal lasts, ms (> 0). */
  leaseMs: number;
  /** Clock, ms since epoch. Default `Date.now`. */
  now?: () => number;
  /** Called once when the lease is lost. */
  onLost: () => void;
}

/** A lease being kept. */
export interface KeptLease {
  /** True once the lease was lost (`onLost` was called). */
  readonly lost: boolean;
  /** Stops renewing (the lease itself is left to the caller: release or let it expire). Idempotent. */
  stop(): void;
}

/**
 * Holds `lease` for `leaseMs`, then renews it every `leaseMs / 3` (so two renewals may fail before it
 * runs out).
 *
 * @throws rejects when the first hold fails (nothing is kept then).
 */
export async function keepLease(
  store: LeaseStore,
  lease: Lease,
  options: LeaseKeeperOptions,
): Promise<KeptLease> {
  const now = options.now ?? Date.now;
  let heldUntil = now() + options.leaseMs;
  await store.hold(lease, heldUntil);
  let stopped = false;
  let lost = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const loseIt = () => {
    if (stopped) return;
    lost = true;
    stopped = true;
    options.onLost();
  };
  const renew = async () => {
    const until = now() + options.leaseMs;
    try {
      if (!(await store.renew(lease, until))) return loseIt();
      heldUntil = until;
    } catch {
      // Renewals failing (the store is unreachable): the lease still holds until it runs out.
      if (now() >= heldUntil) return loseIt();
    }
    schedule();
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => void renew(), Math.max(1, Math.floor(options.leaseMs / 3)));
  };
  schedule();
  return {
    get lost() {
      return lost;
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
