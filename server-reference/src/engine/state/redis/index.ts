// The Redis backend: explicit exports.
export type { RedisBackendOptions } from './redis-backend';
export { createRedisBackend, DEFAULT_REDIS_KEY_PREFIX } from './redis-backend';
export type { RedisConnectionSpec } from './redis-connection';
export { DEFAULT_COMMAND_TIMEOUT_MS } from './redis-connection';
export { BACKEND_UNAVAILABLE } from './redis-errors';
