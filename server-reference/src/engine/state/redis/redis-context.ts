/** What every Redis store of one backend shares. */
import type { Redis } from 'ioredis';
import type { Guard } from './redis-errors';
import type { RedisKeys } from './redis-keys';
import type { ScriptRunner } from './redis-scripts';
import type { RedisSubscriber } from './redis-subscriber';

/** The shared parts of one backend's stores. */
export interface RedisContext {
  /** The command connection (reads, writes, publishes). */
  readonly commands: Redis;
  /** Runs calls on `commands`, turning failures into 503s. */
  readonly guard: Guard;
  readonly scripts: ScriptRunner;
  readonly keys: RedisKeys;
  /** The process's one subscriber connection. */
  readonly subscriber: RedisSubscriber;
}
