import { isTerminalEvent, type TaskEvent } from '@taskbridge/protocol';
import { describe, expect, it } from 'vitest';
import { createTaskEngine } from '../engine/task-engine';
import type { AuthContext } from '../engine/types';
import { type ScriptStep, scriptedTask } from './scripted-task';

const alice: AuthContext = { subject: 'alice', scopes: [], attributes: {} };

async function play(steps: readonly ScriptStep[]) {
  const engine = createTaskEngine({ handlers: { script: scriptedTask(steps) } });
  const { response } = await engine.createTask(alice, { clientRequestId: 'c1', taskType: 'script' });
  const events: TaskEvent[] = [];
  for await (const item of await engine.subscribe(alice, response.taskId, null)) {
    if (item.kind !== 'events') continue;
    for (const event of item.events) {
      events.push(event);
      if (event.type === 'TASK_SUSPENDED') {
        await engine.submitAction(alice, response.taskId, {
          clientActionId: 'a1',
          suspendId: event.payload.suspendId,
          actionType: 'approve',
        });
      }
    }
  }
  return events;
}

describe('scriptedTask', () => {
  it('plays progress and tokens in order, then completes with the result', async () => {
    const events = await play([
      { type: 'progress', progress: 10, stage: 'thinking' },
      { type: 'message', message: 'Hel', delayMs: 1 },
      { type: 'message', message: 'lo' },
      { type: 'complete', result: { text: 'Hello' } },
    ]);
    expect(events.map((e) => e.type)).toEqual([
      'TASK_STARTED',
      'TASK_PROGRESS',
      'TASK_MESSAGE',
      'TASK_MESSAGE',
      'TASK_COMPLETED',
    ]);
    expect(events.at(-1)?.payload).toEqual({ result: { text: 'Hello' } });
  });

  it('suspends, resumes on the accepted action, and builds the result from the answers', async () => {
    const events = await play([
      { type: 'suspend', reasonCode: 'confirm', allowedActions: ['approve', 'reject'] },
      { type: 'complete', resultFrom: (answers) => answers.map((a) => a.actionType) },
    ]);
    expect(events.map((e) => e.type)).toEqual([
      'TASK_STARTED',
      'TASK_SUSPENDED',
      'TASK_ACTION_ACCEPTED',
      'TASK_COMPLETED',
    ]);
    expect(events.at(-1)?.payload).toEqual({ result: ['approve'] });
  });

  it('fails with the scripted code and never runs the steps after it', async () => {
    const events = await play([
      { type: 'fail', code: 'ACTION_REJECTED', message: 'no', retryable: true },
      { type: 'message', message: 'never' },
    ]);
    expect(events.map((e) => e.type)).toEqual(['TASK_STARTED', 'TASK_FAILED']);
    expect(events.filter(isTerminalEvent).at(0)?.payload).toEqual({
      code: 'ACTION_REJECTED',
      message: 'no',
      retryable: true,
    });
  });

  it('completes with null when the script has no terminal step', async () => {
    const events = await play([{ type: 'message', message: 'only' }]);
    expect(events.at(-1)).toMatchObject({ type: 'TASK_COMPLETED', payload: { result: null } });
  });
});
