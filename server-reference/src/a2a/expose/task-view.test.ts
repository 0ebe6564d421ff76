import { TaskState } from '@a2a-js/sdk';
import type { TaskEvent } from '@taskbridge/protocol';
import { describe, expect, it } from 'vitest';
import type { TaskRecord } from '../../engine/types';
import { A2ATaskView, EVENT_ID_KEY, OUTPUT_ARTIFACT_ID, RESULT_ARTIFACT_ID } from './task-view';

const record: TaskRecord = {
  taskId: 't1',
  taskType: 'summarize',
  owner: 'alice',
  clientRequestId: 'm1',
  input: { text: 'x' },
  metadata: { a2aContextId: 'c1' },
  attachments: [],
  status: 'RUNNING',
  createdAt: 0,
  updatedAt: 0,
};

let seq = 0;
const event = (type: TaskEvent['type'], payload: unknown): TaskEvent =>
  ({ type, taskId: 't1', eventId: `1-${seq++}`, createdAt: new Date(0).toISOString(), payload }) as TaskEvent;

describe('A2ATaskView', () => {
  it('maps each event and folds exactly what it streams', () => {
    seq = 0;
    const view = new A2ATaskView(record);
    expect(view.snapshot()).toMatchObject({
      id: 't1',
      contextId: 'c1',
      status: { state: TaskState.TASK_STATE_SUBMITTED },
    });
    const streamed = [
      event('TASK_STARTED', {}),
      event('TASK_PROGRESS', { progress: 40, stage: 'reading' }),
      event('TASK_MESSAGE', { message: 'a ' }),
      event('TASK_MESSAGE', { message: 'b' }),
      event('TASK_SUSPENDED', {
        suspendId: 's1',
        kind: 'USER_ACTION_REQUIRED',
        reasonCode: 'approval_required',
        allowedActions: ['approve', 'reject'],
        schemaVersion: 1,
        interaction: { question: 'OK?' },
      }),
      event('TASK_ACTION_ACCEPTED', {
        suspendId: 's1',
        clientActionId: 'm2',
        actionType: 'approve',
        acceptedAt: '',
      }),
      event('TASK_COMPLETED', { result: { done: true } }),
    ].flatMap((e) => view.apply(e));
    expect(streamed.map((r) => r.payload?.$case)).toEqual([
      'statusUpdate',
      'statusUpdate',
      'artifactUpdate',
      'artifactUpdate',
      'statusUpdate',
      'statusUpdate',
      'artifactUpdate',
      'statusUpdate',
    ]);
    const appends = streamed.flatMap((r) =>
      r.payload?.$case === 'artifactUpdate' ? [r.payload.value.append] : [],
    );
    expect(appends).toEqual([false, true, false]);
    const question = streamed[4]?.payload;
    expect(question?.$case === 'statusUpdate' && question.value.status?.state).toBe(
      TaskState.TASK_STATE_INPUT_REQUIRED,
    );
    const task = view.snapshot();
    expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(task.metadata).toMatchObject({ [EVENT_ID_KEY]: '1-6', progress: 40, stage: 'reading' });
    expect(task.metadata?.historyTrimmed).toBeUndefined();
    expect(
      task.artifacts.find((a) => a.artifactId === OUTPUT_ARTIFACT_ID)?.parts.map((p) => p.content?.value),
    ).toEqual(['a ', 'b']);
    expect(task.artifacts.find((a) => a.artifactId === RESULT_ARTIFACT_ID)?.parts[0]?.content?.value).toEqual(
      { done: true },
    );
    // The creating message, the question, the answer.
    expect(task.history.map((m) => m.messageId)).toEqual(['m1', 't1:1-4', 'm2']);
    expect(view.terminal).toBe(true);
  });

  it('marks a fold that does not start at TASK_STARTED as trimmed', () => {
    seq = 10;
    const view = new A2ATaskView(record);
    view.apply(event('TASK_MESSAGE', { message: 'late' }));
    expect(view.snapshot().metadata?.historyTrimmed).toBe(true);
  });

  it('shows a suspension with reason a2a_auth_required as AUTH_REQUIRED, and failures with code', () => {
    seq = 20;
    const view = new A2ATaskView(record);
    view.apply(event('TASK_STARTED', {}));
    view.apply(
      event('TASK_SUSPENDED', {
        suspendId: 's',
        kind: 'EXTERNAL_CONFIRMATION_PENDING',
        reasonCode: 'a2a_auth_required',
        allowedActions: ['respond'],
        schemaVersion: 1,
      }),
    );
    expect(view.state).toBe(TaskState.TASK_STATE_AUTH_REQUIRED);
    expect(view.interrupted).toBe(true);
    const [failed] = view.apply(event('TASK_FAILED', { code: 'X', message: 'broke', retryable: true }));
    expect(failed?.payload?.$case === 'statusUpdate' && failed.payload.value.metadata).toMatchObject({
      code: 'X',
      retryable: true,
    });
    expect(view.snapshot().metadata).toMatchObject({ code: 'X', retryable: true });
  });
});
