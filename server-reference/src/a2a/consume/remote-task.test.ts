import { type StreamResponse, TaskState } from '@a2a-js/sdk';
import { describe, expect, it } from 'vitest';
import { createArtifact, createMessage, textPart } from '../parts';
import { reconnectDelayMs } from './agent-handler';
import { RemoteTaskTracker } from './remote-task';

const task = (state: TaskState, chunks: string[], question?: string): StreamResponse => ({
  payload: {
    $case: 'task',
    value: {
      id: 'r',
      contextId: 'c',
      status: {
        state,
        message: question
          ? createMessage({ messageId: 'q1', role: 'agent', parts: [textPart(question)] })
          : undefined,
        timestamp: 'then',
      },
      artifacts: chunks.length ? [createArtifact('story', chunks.map(textPart))] : [],
      history: [],
      metadata: {},
    },
  },
});
const chunk = (text: string, append = true): StreamResponse => ({
  payload: {
    $case: 'artifactUpdate',
    value: {
      taskId: 'r',
      contextId: 'c',
      artifact: createArtifact('story', [textPart(text)]),
      append,
      lastChunk: false,
      metadata: undefined,
    },
  },
});

function tracker() {
  const messages: string[] = [];
  const progress: number[] = [];
  const t = new RemoteTaskTracker({
    message: async (text) => void messages.push(text),
    progress: async (p) => void progress.push(p),
  });
  return { t, messages, progress };
}

describe('RemoteTaskTracker', () => {
  it('emits each chunk once: a resubscription snapshot gives back only what is missing', async () => {
    const { t, messages } = tracker();
    await t.apply(task(TaskState.TASK_STATE_WORKING, []));
    await t.apply(chunk('a', false));
    await t.apply(chunk('b'));
    // The stream drops; the snapshot holds a, b, c, d.
    await t.apply(task(TaskState.TASK_STATE_WORKING, ['a', 'b', 'c', 'd']));
    await t.apply(chunk('e'));
    const done = await t.apply({
      payload: {
        $case: 'statusUpdate',
        value: {
          taskId: 'r',
          contextId: 'c',
          status: { state: TaskState.TASK_STATE_COMPLETED, message: undefined, timestamp: '' },
          metadata: undefined,
        },
      },
    });
    expect(messages).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(done).toMatchObject({ kind: 'completed', result: { taskId: 'r', contextId: 'c', text: 'abcde' } });
  });

  it('asks a question once, even when the next turn starts with the task still showing it', async () => {
    const { t } = tracker();
    const asked = await t.apply(task(TaskState.TASK_STATE_INPUT_REQUIRED, [], 'More?'));
    expect(asked).toMatchObject({
      kind: 'interrupted',
      question: { suspend: { allowedActions: ['respond'], interaction: { question: 'More?' } } },
    });
    expect(await t.apply(task(TaskState.TASK_STATE_INPUT_REQUIRED, [], 'More?'))).toEqual({
      kind: 'running',
    });
    expect(
      t.stillAsking(task(TaskState.TASK_STATE_INPUT_REQUIRED, [], 'More?').payload?.value as never),
    ).toBe(true);
  });

  it("reports WORKING as progress, keeping the agent's own percentage", async () => {
    const { t, progress } = tracker();
    const working = (metadata: Record<string, unknown> | undefined): StreamResponse => ({
      payload: {
        $case: 'statusUpdate',
        value: {
          taskId: 'r',
          contextId: 'c',
          status: { state: TaskState.TASK_STATE_WORKING, message: undefined, timestamp: '' },
          metadata,
        },
      },
    });
    await t.apply(working(undefined));
    await t.apply(working({ progress: 30 }));
    await t.apply(working(undefined));
    expect(progress).toEqual([0, 30, 30]);
  });
});

describe('reconnectDelayMs', () => {
  it('is full jitter under an exponential cap', () => {
    expect([1, 2, 3, 6, 20].map((n) => reconnectDelayMs(n, {}, () => 1))).toEqual([
      250, 500, 1000, 5000, 5000,
    ]);
    expect(reconnectDelayMs(4, { baseMs: 10, maxMs: 50 }, () => 0.5)).toBe(25);
    expect(reconnectDelayMs(3, {}, () => 0)).toBe(0);
  });
});
