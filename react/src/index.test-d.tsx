/**
 * Type tests of the public API (`vitest --typecheck`): what a component writes against
 * `@taskbridge/react` compiles, what it must not write does not, and nothing public is `any`.
 */
import type { ConnectionState, TaskBridgeClient, TaskBridgeError, TaskSnapshot } from '@taskbridge/client';
import type { ClientActionResponse, TaskEvent, UnknownTaskEvent } from '@taskbridge/protocol';
import {
  TaskBridgeProvider,
  type TaskBridgeProviderProps,
  useTask,
  useTaskBridgeClient,
  useTaskEvents,
  type UseTaskResult,
  useTaskSelector,
} from '@taskbridge/react';
import type { ReactNode } from 'react';
import { describe, expectTypeOf, it } from 'vitest';

describe('useTask', () => {
  it('follows a task by id, or starts one', () => {
    expectTypeOf(useTask({ taskId: 't' })).toEqualTypeOf<UseTaskResult>();
    expectTypeOf(useTask({ taskId: null })).toEqualTypeOf<UseTaskResult>();
    expectTypeOf(
      useTask({ taskType: 'summarize', input: { text: 'x' }, resumeKey: 'k' }),
    ).toEqualTypeOf<UseTaskResult>();
    // @ts-expect-error either a task id or a task type
    useTask({});
    // @ts-expect-error inputs are JSON objects
    useTask({ taskType: 'summarize', input: 'text' });
  });

  it('returns the snapshot, the connection, the failure and the commands', () => {
    const task = useTask({ taskId: 't' });
    expectTypeOf(task.status).toEqualTypeOf<TaskSnapshot['status']>();
    expectTypeOf(task.text).toEqualTypeOf<string>();
    expectTypeOf(task.taskId).toEqualTypeOf<string | null>();
    expectTypeOf(task.connection).toEqualTypeOf<ConnectionState>();
    expectTypeOf(task.failure).toEqualTypeOf<TaskBridgeError | null>();
    expectTypeOf(task.submitAction('approve')).resolves.toEqualTypeOf<ClientActionResponse>();
    expectTypeOf(task.restart()).resolves.toEqualTypeOf<void>();
    expectTypeOf<UseTaskResult>().not.toBeAny();
  });

  it('takes throwOnError as a flag or a predicate over TaskBridgeError', () => {
    useTask({ taskId: 't', throwOnError: true });
    useTask({ taskId: 't', throwOnError: (error) => error.code === 'TASK_NOT_FOUND' });
  });
});

describe('useTaskSelector and useTaskEvents', () => {
  it('infer the selection and type the events', () => {
    expectTypeOf(useTaskSelector('t', (s) => s.progress ?? 0)).toEqualTypeOf<number>();
    expectTypeOf(useTaskSelector(null, (s) => s.status === 'completed')).toEqualTypeOf<boolean>();
    useTaskEvents('t', (event) => expectTypeOf(event).toEqualTypeOf<TaskEvent | UnknownTaskEvent>());
  });
});

describe('TaskBridgeProvider', () => {
  it('takes one client', () => {
    expectTypeOf<TaskBridgeProviderProps['client']>().toEqualTypeOf<TaskBridgeClient>();
    expectTypeOf(TaskBridgeProvider).returns.toEqualTypeOf<ReactNode>();
    expectTypeOf(useTaskBridgeClient()).toEqualTypeOf<TaskBridgeClient>();
  });
});
