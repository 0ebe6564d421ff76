/**
 * The Redis {@link TaskRegistry}: one hash per task — `r` the record as created (JSON), plus one field
 * per mutable value (`status`, `updatedAt`, `runner`, `leaseUntil`, `epoch`, JSON-encoded) that
 * overrides it. The keys expire with the task's events (the append script's TTL).
 */
import { TaskBridgeError } from '@taskbridge/protocol';
import type { TaskPatch, TaskRegistry } from '../task-registry';
import type { RedisContext } from './redis-context';
import { SCRIPTS } from './redis-scripts';
import { decodeTask, encodeTask } from './task-codec';

const MUTABLE = ['status', 'updatedAt', 'runner', 'leaseUntil', 'epoch'] as const;

/** Creates the registry. */
export function createRedisTaskRegistry(context: RedisContext): TaskRegistry {
  const { commands, guard, scripts, keys } = context;
  return {
    async create(task) {
      const created = await guard(() => commands.hsetnx(keys.task(task.taskId), 'r', encodeTask(task)));
      if (created === 0) {
        throw new TaskBridgeError({ code: 'INTERNAL_ERROR', message: `task id ${task.taskId} is taken` });
      }
    },
    async get(taskId) {
      const fields = await guard(() => commands.hgetall(keys.task(taskId)));
      if (fields.r === undefined) return null;
      const task = decodeTask(fields.r);
      const patch: Record<string, unknown> = {};
      for (const name of MUTABLE) {
        const value = fields[name];
        if (value !== undefined) patch[name] = JSON.parse(value);
      }
      return Object.assign(task, patch);
    },
    async update(taskId, patch: TaskPatch) {
      const args: string[] = [];
      for (const name of MUTABLE) {
        if (name in patch) args.push(name, JSON.stringify(patch[name] ?? null));
      }
      if (args.length === 0) return;
      await guard(() => scripts.run(SCRIPTS.updateTask, [keys.task(taskId)], args));
    },
    async delete(taskId) {
      await guard(() => commands.del(keys.task(taskId)));
    },
  };
}
