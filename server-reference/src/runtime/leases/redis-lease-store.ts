/**
 * The Redis {@link LeaseStore}: one sorted set of every running task's lease, scored by the time it
 * expires. Renew and claim are scripts, so a renewal and a reaper's claim never both win.
 */
import type { Redis } from 'ioredis';
import { type Lease, type LeaseStore, leaseMember, leaseOfMember } from './lease';

// KEYS: leases. ARGV: member, until. Extends only a lease still held.
const RENEW = `
if redis.call('ZSCORE', KEYS[1], ARGV[1]) == false then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
return 1
`;
// KEYS: leases. ARGV: member, now. Removes only a lease still expired.
const CLAIM = `
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score == false or tonumber(score) > tonumber(ARGV[2]) then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
return 1
`;

/**
 * Creates the store on `client` (the caller's connection; it is not closed here).
 *
 * @param key - the sorted set's name, e.g. `tb:leases`.
 */
export function createRedisLeaseStore(client: Redis, key: string): LeaseStore {
  return {
    async hold(lease, until) {
      await client.zadd(key, until, leaseMember(lease));
    },
    async renew(lease, until) {
      return (await client.eval(RENEW, 1, key, leaseMember(lease), until)) === 1;
    },
    async release(lease) {
      await client.zrem(key, leaseMember(lease));
    },
    async expired(now, limit) {
      const members = await client.zrangebyscore(key, '-inf', now, 'LIMIT', 0, limit);
      return members.map(leaseOfMember).filter((lease): lease is Lease => lease !== null);
    },
    async claim(lease, now) {
      return (await client.eval(CLAIM, 1, key, leaseMember(lease), now)) === 1;
    },
  };
}
