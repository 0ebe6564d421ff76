import { TaskBridgeError } from '@taskbridge/protocol';
import type { TaskHandler } from '../engine/types';

/**
 * `approval`: suspends with `USER_ACTION_REQUIRED` (`approve` / `reject`), then completes on approve
 * or fails with `ACTION_REJECTED` on reject. Input: `{ question?: string, expiresInMs?: number }`
 * (`expiresInMs` in ms, default: never expires; on expiry the task fails with `SUSPENSION_EXPIRED`).
 * @see protocol/SPEC.md §3 (`TASK_SUSPENDED`), §7 (actions)
 */
export const approval: TaskHandler = async (ctx) => {
  const question = typeof ctx.input.question === 'string' ? ctx.input.question : 'Approve this task?';
  await ctx.progress(10, { stage: 'awaiting_approval' });
  const answer = await ctx.suspend({
    reasonCode: 'approval_required',
    allowedActions: ['approve', 'reject'],
    interaction: { question },
    uiHints: { presentation: 'dialog' },
    ...(typeof ctx.input.expiresInMs === 'number' ? { expiresInMs: ctx.input.expiresInMs } : {}),
  });
  if (answer.actionType === 'reject') {
    throw new TaskBridgeError({
      code: 'ACTION_REJECTED',
      message: 'the request was rejected',
      retryable: false,
    });
  }
  await ctx.message(`Approved by ${answer.subject}.`);
  return { approved: true, by: answer.subject, comment: answer.payload.comment ?? null };
};
