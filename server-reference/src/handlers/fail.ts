import type { TaskHandler } from '../engine/types';

/**
 * `fail`: emits one progress event, then throws; the engine writes `TASK_FAILED` with code
 * `TASK_EXECUTION_FAILED` (hazard H6). Input `{message?}`.
 */
export const fail: TaskHandler = async (ctx) => {
  await ctx.progress(10, { stage: 'starting' });
  throw new Error(typeof ctx.input.message === 'string' ? ctx.input.message : 'this task always fails');
};
