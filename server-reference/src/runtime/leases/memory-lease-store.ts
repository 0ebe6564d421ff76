/** A {@link LeaseStore} in one process's memory: for tests of the lease logic, and single-process use. */
import { type Lease, type LeaseStore, leaseMember, leaseOfMember } from './lease';

/** Creates an empty memory lease store. */
export function createMemoryLeaseStore(): LeaseStore & { readonly size: number } {
  const leases = new Map<string, number>();
  return {
    hold(lease, until) {
      leases.set(leaseMember(lease), until);
      return Promise.resolve();
    },
    renew(lease, until) {
      const member = leaseMember(lease);
      if (!leases.has(member)) return Promise.resolve(false);
      leases.set(member, until);
      return Promise.resolve(true);
    },
    release(lease) {
      leases.delete(leaseMember(lease));
      return Promise.resolve();
    },
    expired(now, limit) {
      const due = [...leases]
        .filter(([, until]) => until <= now)
        .sort((a, b) => a[1] - b[1])
        .slice(0, limit)
        .map(([member]) => leaseOfMember(member))
        .filter((lease): lease is Lease => lease !== null);
      return Promise.resolve(due);
    },
    claim(lease, now) {
      const member = leaseMember(lease);
      const until = leases.get(member);
      if (until === undefined || until > now) return Promise.resolve(false);
      leases.delete(member);
      return Promise.resolve(true);
    },
    get size() {
      return leases.size;
    },
  };
}
