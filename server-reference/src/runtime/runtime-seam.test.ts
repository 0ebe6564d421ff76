/**
 * The engine behind the runtime seam: a runtime gets the engine's context, every create is
 * submitted, cancels and accepted answers reach it after the facts are stored, and a runtime that
 * cannot take a task fails it with `TASK_SUBMISSION_ERROR` (503) instead of leaving it waiting.
 */
import { describe, expect, it, vi } from 'vitest';
import { createTaskEngine } from '../engine/task-engine';
import type { TaskRuntime, TaskRuntimeFactory } from './runtime';

const auth = { subject: 'alice', scopes: [], attributes: {} };
const never = () => new Promise<never>(() => undefined);

function recordingRuntime(submit: TaskRuntime['submit']) {
  const calls: string[] = [];
  const factory: TaskRuntimeFactory = (context) => {
    return {
      submit: (task) => {
        calls.push(`submit ${task.taskType}`);
        // The handlers registered with the engine, for a runtime that runs them locally.
        expect(context.handlerFor(task.taskType)).toBeDefined();
        return submit(task);
      },
      cancel: (taskId, reason) => {
        calls.push(`cancel ${reason}`);
        return Promise.resolve();
      },
      deliverAction: (taskId, suspendId) => {
        calls.push(`answer ${suspendId}`);
        return Promise.resolve();
      },
      shutdown: () => {
        calls.push('shutdown');
        return Promise.resolve();
      },
    };
  };
  return { calls, factory };
}

describe('the runtime seam', () => {
  it('submit on create, cancel after TASK_CANCELLED is stored, shutdown with the engine; no handler runs here', async () => {
    const handler = vi.fn(never);
    const { calls, factory } = recordingRuntime(() => Promise.resolve());
    const engine = createTaskEngine({ handlers: { work: handler }, runtime: factory });
    const { response } = await engine.createTask(auth, {
      clientRequestId: 'c1',
      taskType: 'work',
      input: {},
    });
    expect(await engine.cancel(auth, response.taskId, 'stop')).toMatchObject({
      status: 'CANCELLATION_REQUESTED',
    });
    expect((await engine.backend.events.head(response.taskId)).terminal?.type).toBe('TASK_CANCELLED');
    await engine.shutdown();
    expect(calls).toEqual(['submit work', 'cancel stop', 'shutdown']);
    expect(handler).not.toHaveBeenCalled();
  });

  it('a runtime that cannot take the task: 503 TASK_SUBMISSION_ERROR, and the task ends with it', async () => {
    const { factory } = recordingRuntime(() => Promise.reject(new Error('queue unreachable')));
    const engine = createTaskEngine({ handlers: { work: never }, runtime: factory });
    const failed = engine.createTask(auth, { clientRequestId: 'c2', taskType: 'work', input: {} });
    await expect(failed).rejects.toMatchObject({
      code: 'TASK_SUBMISSION_ERROR',
      status: 503,
      retryable: true,
    });
    const taskId = (
      (await failed.catch((error: { details: { taskId: string } }) => error)) as {
        details: { taskId: string };
      }
    ).details.taskId;
    expect((await engine.backend.events.head(taskId)).terminal).toMatchObject({
      type: 'TASK_FAILED',
      payload: { code: 'TASK_SUBMISSION_ERROR', retryable: true },
    });
    await engine.shutdown();
  });
});
