/**
 * The component under test: starts a `chat` task with `useTask` and renders the streamed answer,
 * the task status, the transport in use, and an approve button while the task waits for one.
 */
import { useTask } from '@taskbridge/react';
import type { ReactNode } from 'react';

/** Props of {@link ChatAnswer}. */
export interface ChatAnswerProps {
  taskType: string;
  prompt: string;
}

/** Streams one answer. */
export function ChatAnswer({ taskType, prompt }: ChatAnswerProps): ReactNode {
  const task = useTask({ taskType, input: { prompt }, resumeKey: `chat:${prompt}` });
  return (
    <section>
      <p data-testid="answer">{task.text}</p>
      <p data-testid="status">{task.status}</p>
      <p data-testid="transport">{task.connection.transport ?? 'none'}</p>
      <p data-testid="result">{task.result === null ? '' : JSON.stringify(task.result)}</p>
      {task.suspension ? (
        <button type="button" onClick={() => void task.submitAction('approve')}>
          Approve
        </button>
      ) : null}
      {task.failure ? <p role="alert">{task.failure.code}</p> : null}
    </section>
  );
}
