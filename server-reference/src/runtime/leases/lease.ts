/**
 * Leases on running tasks: a worker holds one per run and renews it; when it stops renewing (the
 * process died, its event loop is stuck, its network is gone) the lease expires and a reaper applies
 * the task type's worker-loss policy. The lease store is the one place every process agrees on.
 */

/**
 * What happens to a task whose worker is lost: `'fail'` ends it with one `TASK_FAILED`
 * `{ code: 'WORKER_LOST', retryable: true }` (for work that must not run twice, e.g. an LLM answer);
 * `'retry'` runs it again on another worker with a fresh epoch and no second `TASK_STARTED` (for
 * idempotent work).
 */
export type WorkerLossPolicy = 'fail' | 'retry';

/** One run's lease. */
export interface Lease {
  taskId: string;
  /** The run's epoch (attempt number, ≥ 1): its fencing token in the event log. */
  epoch: number;
  policy: WorkerLossPolicy;
  /** Runs a `'retry'` task may have in all, ≥ 1; past it the task fails with `WORKER_LOST`. */
  maxAttempts: number;
}

/**
 * Where leases live, shared by every worker and API process. Each operation is atomic.
 */
export interface LeaseStore {
  /** Holds `lease` until `until` (ms since epoch), creating or extending it. */
  hold(lease: Lease, until: number): Promise<void>;
  /**
   * Extends `lease` to `until` only while it is still held.
   *
   * @returns false when it is gone (a reaper took it: the run must stop).
   */
  renew(lease: Lease, until: number): Promise<boolean>;
  /** Drops `lease` (its run ended). Unknown leases are ignored. */
  release(lease: Lease): Promise<void>;
  /** Leases whose `until` is ≤ `now`, oldest first, at most `limit`. */
  expired(now: number, limit: number): Promise<Lease[]>;
  /**
   * Takes an expired lease away, so exactly one reaper handles it.
   *
   * @returns true for the caller that took it; false when it was renewed or taken meanwhile.
   */
  claim(lease: Lease, now: number): Promise<boolean>;
}

/** The lease's identity as stored (a JSON array, the same text for the same lease). */
export function leaseMember(lease: Lease): string {
  return JSON.stringify([lease.taskId, lease.epoch, lease.policy, lease.maxAttempts]);
}

/** The lease of {@link leaseMember}'s text, or `null` for anything else. */
export function leaseOfMember(member: string): Lease | null {
  try {
    const [taskId, epoch, policy, maxAttempts] = JSON.parse(member) as unknown[];
    if (typeof taskId !== 'string' || typeof epoch !== 'number' || typeof maxAttempts !== 'number') {
      return null;
    }
    if (policy !== 'fail' && policy !== 'retry') return null;
    return { taskId, epoch, policy, maxAttempts };
  } catch {
    return null;
  }
}
