/**
 * The Redis backend fixture: one `redis-server` per suite (a unix socket in a temp dir, no
 * persistence); each backend gets its own key prefix, so servers of one suite never see each other's
 * tasks.
 */
import { createRedisBackend } from '@taskbridge/server-reference';
import type { BackendFixture } from '../backend-fixture';
import { startRedisServer } from '../redis-server';

const fixture: BackendFixture = {
  async start() {
    const redis = await startRedisServer();
    let count = 0;
    return {
      async create(retention) {
        count += 1;
        const backend = createRedisBackend({ redis: redis.url, keyPrefix: `t${count}:`, ...retention });
        // Both connections up before the first test request (the first calls would wait anyway, but
        // `/ready` must already say ready).
        await backend.tasks.get('connect');
        (await backend.control.subscribe('connect', () => undefined))();
        return backend;
      },
      stop: () => redis.stop(),
    };
  },
};

export default fixture;
