/**
 * The Redis {@link IdempotencyStore}: `SET key "<taskId>\n<fingerprint>" NX GET PX <ttl>` — one
 * round trip, first writer wins across every process (protocol/SPEC.md §2); release is a
 * compare-and-delete script.
 */
import type { IdempotencyRecord, IdempotencyStore } from '../idempotency-store';
import type { RedisContext } from './redis-context';
import { SCRIPTS } from './redis-scripts';

const encode = (record: IdempotencyRecord) => `${record.taskId}\n${record.fingerprint}`;
const decode = (value: string): IdempotencyRecord => {
  const split = value.indexOf('\n');
  return { taskId: value.slice(0, split), fingerprint: value.slice(split + 1) };
};

/**
 * Creates the store.
 *
 * @param ttlMs - ms a key lives after its claim; `null` = forever.
 */
export function createRedisIdempotencyStore(context: RedisContext, ttlMs: number | null): IdempotencyStore {
  const { commands, guard, scripts, keys } = context;
  return {
    async get(owner, clientRequestId) {
      const value = await guard(() => commands.get(keys.idempotency(owner, clientRequestId)));
      return value === null ? null : decode(value);
    },
    async claim(owner, clientRequestId, record) {
      const key = keys.idempotency(owner, clientRequestId);
      const previous = await guard(() =>
        // PX 0 is refused by Redis; a zero TTL keeps the key for 1 ms (it only has to decide the race).
        ttlMs === null
          ? commands.set(key, encode(record), 'NX', 'GET')
          : commands.set(key, encode(record), 'PX', Math.max(1, ttlMs), 'NX', 'GET'),
      );
      return previous === null ? record : decode(previous);
    },
    async release(owner, clientRequestId, taskId) {
      await guard(() =>
        scripts.run(SCRIPTS.releaseIdempotency, [keys.idempotency(owner, clientRequestId)], [taskId]),
      );
    },
  };
}
