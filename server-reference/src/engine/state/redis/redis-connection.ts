/**
 * The Redis connections of one backend: a command connection (every read and write; one connection
 * keeps each task's appends in call order) and one subscriber connection for the whole process's
 * live tails and control messages. Connections the backend opens fail fast while Redis is down
 * (no offline queue, no replay of commands that were in flight: a resent append could be stored
 * twice) and reconnect by themselves with capped backoff.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { type Guard, guardOf } from './redis-errors';

/** Where the Redis backend connects: a URL, ioredis options, or a client the caller owns. */
export type RedisConnectionSpec = string | RedisOptions | Redis;

/** Default per-command timeout of connections the backend opens: 5,000 ms. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 5_000;

// How long calls made before the first connection wait for it (a backend used right after creation).
const FIRST_CONNECT_WAIT_MS = 5_000;

// Failing fast while disconnected is what lets the wire layer answer 503 at once instead of hanging.
/** Options of every connection the backend opens: fail fast while Redis is away, reconnect forever. */
export const FAIL_FAST: RedisOptions = {
  enableOfflineQueue: false,
  autoResendUnfulfilledCommands: false,
  maxRetriesPerRequest: 0,
  commandTimeout: DEFAULT_COMMAND_TIMEOUT_MS,
  // 50 ms, 100 ms, … capped at 2 s; never gives up.
  retryStrategy: (attempt: number) => Math.min(50 * 2 ** Math.min(attempt, 6), 2_000),
};

/**
 * Options for a URL: `redis://…`, `rediss://…`, a unix socket path (`/run/redis.sock`) or
 * `unix:///run/redis.sock` / `redis+unix:///run/redis.sock`.
 */
function optionsOfUrl(url: string): RedisOptions {
  const unix = /^(?:redis\+)?unix:\/\/(\/[^?]*)/.exec(url);
  if (unix) return { path: unix[1] as string };
  if (url.startsWith('/')) return { path: url };
  // ioredis parses redis:// and rediss:// URLs itself; hand it over through `new Redis(url, options)`.
  return {};
}

/**
 * A new client for `spec` with `overrides` applied over it (a client passed in is duplicated, so the
 * caller always owns and closes what this returns).
 */
export function newRedisClient(spec: RedisConnectionSpec, overrides: RedisOptions): Redis {
  if (spec instanceof Redis) return spec.duplicate(overrides);
  if (typeof spec !== 'string') return new Redis({ ...spec, ...overrides });
  const extra = optionsOfUrl(spec);
  return 'path' in extra ? new Redis({ ...overrides, ...extra }) : new Redis(spec, { ...overrides });
}

/** The connections of one backend and whether the backend owns them. */
export interface RedisConnections {
  readonly commands: Redis;
  readonly subscriber: Redis;
  /** Runs a call on `commands` (see {@link guardOf}). */
  readonly guard: Guard;
  /** Runs a call on `subscriber`. */
  readonly subscriberGuard: Guard;
  /** True when both connections are ready (`GET /ready`). */
  isReady(): boolean;
  /** Closes what the backend opened (never a client passed in). Idempotent. */
  close(): Promise<void>;
}

/**
 * Opens the connections. A client passed in is used for commands as is (its options are the
 * caller's: keep its offline queue off to get 503s instead of waits during an outage) and
 * duplicated for the subscriber; anything else opens both with fail-fast options.
 *
 * @param onError - receives connection errors (ioredis would print them otherwise); they are
 *   expected during an outage and need no action: the connections reconnect by themselves.
 */
export function openRedisConnections(
  spec: RedisConnectionSpec,
  onError: (error: Error) => void,
): RedisConnections {
  let commands: Redis;
  let ownsCommands: boolean;
  if (spec instanceof Redis) {
    commands = spec;
    ownsCommands = false;
  } else if (typeof spec === 'string') {
    const extra = optionsOfUrl(spec);
    commands = 'path' in extra ? new Redis({ ...FAIL_FAST, ...extra }) : new Redis(spec, { ...FAIL_FAST });
    ownsCommands = true;
  } else {
    commands = new Redis({ ...FAIL_FAST, ...spec });
    ownsCommands = true;
  }
  const subscriber = commands.duplicate({ ...FAIL_FAST, autoResubscribe: true });
  commands.on('error', onError);
  subscriber.on('error', onError);
  let closed = false;
  const quit = async (client: Redis) => {
    try {
      await client.quit();
    } catch {
      client.disconnect();
    }
  };
  return {
    commands,
    subscriber,
    guard: guardOf(commands, FIRST_CONNECT_WAIT_MS),
    subscriberGuard: guardOf(subscriber, FIRST_CONNECT_WAIT_MS),
    isReady: () => !closed && commands.status === 'ready' && subscriber.status === 'ready',
    async close() {
      if (closed) return;
      closed = true;
      // Errors while closing (a socket already gone) are expected: swallowed, never printed.
      const ignore = () => undefined;
      subscriber.off('error', onError).on('error', ignore);
      await quit(subscriber);
      if (ownsCommands) {
        commands.off('error', onError).on('error', ignore);
        await quit(commands);
      } else {
        commands.off('error', onError);
      }
    },
  };
}
