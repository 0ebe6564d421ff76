/**
 * `scriptedTask`: a {@link TaskHandler} that plays a list of steps with delays, for UI tests
 * ("three tokens, then it completes"). It runs on the engine like any handler, so `TASK_STARTED`, the
 * single terminal event, cancellation and suspensions behave exactly as on the real server.
 */
import {
  type JsonObject,
  type MessageLevel,
  type SuspensionKind,
  TaskBridgeError,
  type TaskBridgeErrorCode,
} from '@taskbridge/protocol';
import type { ActionAnswer, TaskHandler } from '../engine/types';

/** Wait before the step, ms (through the task's abortable `sleep`, so a cancel interrupts it). Default 0. */
interface Delayed {
  delayMs?: number;
}

/**
 * One step of a script:
 * - `progress` → `TASK_PROGRESS` (0–100); `message` → `TASK_MESSAGE` (a streamed token);
 * - `suspend` → `TASK_SUSPENDED`, then waits for an accepted action (`TASK_ACTION_ACCEPTED`);
 * - `complete` → `TASK_COMPLETED {result}`; `fail` → `TASK_FAILED {code, message, retryable}` (defaults
 *   `TASK_EXECUTION_FAILED`, `'scripted failure'`, `false`).
 * `suspend` takes the `SuspendOptions` fields (`expiresInMs` in ms; on expiry the task fails with
 * `SUSPENSION_EXPIRED`). Steps after `complete`/`fail` never run; a script without either completes
 * with `result: null`.
 */
export type ScriptStep = Delayed &
  (
    | { type: 'progress'; progress: number; stage?: string; message?: string }
    | { type: 'message'; message: string; level?: MessageLevel }
    | {
        type: 'suspend';
        reasonCode: string;
        allowedActions: readonly string[];
        kind?: SuspensionKind;
        expiresInMs?: number;
        interaction?: JsonObject;
        uiHints?: JsonObject;
      }
    | {
        type: 'complete';
        /** The result. Default `null`. */
        result?: unknown;
        /** Builds the result from the accepted answers to the script's suspensions; wins over `result`. */
        resultFrom?: (answers: readonly ActionAnswer[]) => unknown;
      }
    | { type: 'fail'; code?: TaskBridgeErrorCode; message?: string; retryable?: boolean }
  );

/**
 * Builds a handler that plays `steps` in order. The engine writes `TASK_STARTED` and the one terminal
 * event (hazard H6).
 *
 * @see protocol/SPEC.md §3 (events), §7 (suspension answers)
 *
 * @example
 * kit.registerHandler('chat', scriptedTask([
 *   { type: 'message', message: 'Hel', delayMs: 10 },
 *   { type: 'message', message: 'lo', delayMs: 10 },
 *   { type: 'complete', result: { text: 'Hello' } },
 * ]));
 */
export function scriptedTask(steps: readonly ScriptStep[]): TaskHandler {
  return async (ctx) => {
    const answers: ActionAnswer[] = [];
    for (const step of steps) {
      if (step.delayMs !== undefined && step.delayMs > 0) await ctx.sleep(step.delayMs);
      switch (step.type) {
        case 'progress': {
          const { type: _type, delayMs: _delay, progress, ...details } = step;
          await ctx.progress(progress, details);
          break;
        }
        case 'message':
          await ctx.message(step.message, step.level);
          break;
        case 'suspend': {
          const { type: _type, delayMs: _delay, ...options } = step;
          answers.push(await ctx.suspend(options));
          break;
        }
        case 'complete':
          return step.resultFrom ? step.resultFrom(answers) : (step.result ?? null);
        case 'fail':
          throw new TaskBridgeError({
            code: step.code ?? 'TASK_EXECUTION_FAILED',
            message: step.message ?? 'scripted failure',
            retryable: step.retryable ?? false,
          });
      }
    }
    return null;
  };
}
