/**
 * `createRedisBackend`: the engine's state in Redis (≥ 7.0), so any number of server processes can
 * serve the same tasks: a task created through one instance is polled, streamed, cancelled and
 * answered through any other, and survives a restart of every process (with Redis persistence on).
 */
import type { RetentionOptions, TaskBridgeBackend } from '../backend';
import { resolveRetention } from '../memory/memory-backend';
import { openRedisConnections, type RedisConnectionSpec } from './redis-connection';
import { createRedisControlChannel } from './redis-control-channel';
import { createRedisEventStore } from './redis-event-store';
import { createRedisIdempotencyStore } from './redis-idempotency-store';
import type { RedisContext } from './redis-context';
import { redisKeys } from './redis-keys';
import { scriptRunner } from './redis-scripts';
import { createRedisSubscriber } from './redis-subscriber';
import { createRedisSuspensionStore } from './redis-suspension-store';
import { createRedisTaskRegistry } from './redis-task-registry';
import { createRedisTicketStore } from './redis-ticket-store';

/** Default prefix of every key and channel: `tb:`. */
export const DEFAULT_REDIS_KEY_PREFIX = 'tb:';

/** Options of {@link createRedisBackend}. */
export interface RedisBackendOptions extends RetentionOptions {
  /**
   * Where Redis is: a URL (`redis://host:6379/0`, `rediss://…`, a unix socket path or
   * `unix:///path/redis.sock`), ioredis options, or an ioredis client. For a URL or options the
   * backend opens its connections with fail-fast settings (no offline queue, commands in flight are
   * never resent, 5,000 ms command timeout, reconnect with backoff capped at 2,000 ms) and closes
   * them. A client passed in is used as is and left open on `close()` (a duplicate of it carries the
   * subscriptions and is closed).
   */
  redis: RedisConnectionSpec;
  /**
   * Prefix of every key and channel, so several deployments (or test suites) can share one Redis.
   * Default {@link DEFAULT_REDIS_KEY_PREFIX} (`tb:`).
   */
  keyPrefix?: string;
  /**
   * Events kept per task, ≥ 1 (trimmed in the append script; a cursor before them gets the
   * history-trimmed signal, protocol/SPEC.md §11). `null` = unbounded. Default 100,000.
   */
  maxEventsPerTask?: number | null;
  /**
   * ms a finished task's keys (events, head, record, suspensions) live after its terminal event
   * (Redis `PEXPIRE`). `null` = forever. Default 3,600,000 (1 hour).
   */
  finishedTaskTtlMs?: number | null;
  /** ms an idempotency key lives after its create. `null` = forever. Default 86,400,000 (24 hours). */
  idempotencyTtlMs?: number | null;
  /** Receives Redis connection errors (expected during an outage; the backend reconnects). Default: ignored. */
  onConnectionError?: (error: Error) => void;
}

/**
 * The Redis backend (ioredis, Redis ≥ 7.0):
 * - events: one stream per task (eventId = stream id), one Lua script per append — terminal claim
 *   (hazard H6), epoch fencing, trim, TTL after the terminal event, `PUBLISH` — pipelined per task;
 * - live tails: one subscriber connection per backend with gap fill (hazard H2: attach first);
 * - idempotency by `SET NX` with a TTL; suspensions and decided answers durable in hashes;
 * - cancel and "answer arrived" relayed over pub/sub to the process running the handler;
 * - stream tickets (`SET NX PX`, `GETDEL`), so a ticket minted on one instance is redeemed on another.
 *
 * Every call rejects with a 503 `TaskBridgeError` while Redis is unreachable; the connections
 * reconnect by themselves, and `isReady()` (`GET /ready`) is false meanwhile.
 *
 * @throws {RangeError} for invalid retention options (as `createMemoryBackend`).
 */
export function createRedisBackend(options: RedisBackendOptions): TaskBridgeBackend {
  const retention = resolveRetention(options);
  const connections = openRedisConnections(options.redis, options.onConnectionError ?? (() => undefined));
  const { commands } = connections;
  const context: RedisContext = {
    commands,
    guard: connections.guard,
    scripts: scriptRunner(commands),
    keys: redisKeys(options.keyPrefix ?? DEFAULT_REDIS_KEY_PREFIX),
    subscriber: createRedisSubscriber(connections.subscriber, connections.subscriberGuard),
  };
  return {
    name: 'redis',
    events: createRedisEventStore(context, {
      maxEventsPerTask: retention.maxEventsPerTask,
      finishedTaskTtlMs: retention.finishedTaskTtlMs,
    }),
    tasks: createRedisTaskRegistry(context),
    idempotency: createRedisIdempotencyStore(context, retention.idempotencyTtlMs),
    suspensions: createRedisSuspensionStore(context),
    control: createRedisControlChannel(context),
    tickets: createRedisTicketStore(context),
    retention,
    isReady: connections.isReady,
    close: connections.close,
  };
}
