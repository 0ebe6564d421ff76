/**
 * One run: the streamed text, progress and stage, the approval dialog, cancel, and the connection badge.
 */
import type { TaskSnapshotSuspension } from '@taskbridge/client';
import { type UseTaskOptions, type UseTaskResult, useTask } from '@taskbridge/react';
import { useEffect } from 'react';
import { ConnectionBadge } from './ConnectionBadge';
import { type Run, saveRun } from './run-store';

interface TaskPanelProps {
  run: Run;
  /** The upload of this page load; empty after a reload. */
  files: File[];
  onReset: () => void;
}

// A fresh start sends the request; after a reload the task id is known and the client resumes from its
// checkpoint. A text run reloaded before the server answered re-sends the start under its resume key,
// and the server answers with the same task.
function taskOptions(run: Run, files: File[]): UseTaskOptions {
  if (files.length === 0 && run.taskId !== null) return { taskId: run.taskId };
  const lostUpload = files.length === 0 && run.fileName !== null;
  return { taskType: run.taskType, input: run.input, files, resumeKey: run.resumeKey, enabled: !lostUpload };
}

/**
 * What the status chip says: the task's status, or `unreachable` once the page cannot follow the task
 * any more (`failure`: e.g. `TASK_NOT_FOUND` after a server restart), whatever the last snapshot said.
 */
function shownStatus(task: UseTaskResult): string {
  return task.failure ? 'unreachable' : task.status;
}

/**
 * The line under the progress bar. A stage belongs to a running task: once the task ended, the line says
 * how it ended instead of the last stage it reported ("awaiting_approval", "streaming").
 */
function progressLine(task: UseTaskResult): { value: number; label: string } {
  const progress = task.progress ?? 0;
  if (task.failure) return { value: progress, label: `${progress}% · stopped (${task.failure.code})` };
  switch (task.status) {
    case 'completed':
      return { value: 100, label: '100% · completed' };
    case 'failed':
      return { value: progress, label: `${progress}% · failed` };
    case 'cancelled':
      return { value: progress, label: `${progress}% · cancelled` };
    default:
      return { value: progress, label: task.stage ? `${progress}% · ${task.stage}` : `${progress}%` };
  }
}

export function TaskPanel({ run, files, onReset }: TaskPanelProps) {
  const task = useTask(taskOptions(run, files));
  const { taskId, status } = task;

  useEffect(() => {
    if (taskId !== null && run.taskId !== taskId) saveRun({ ...run, taskId });
  }, [run, taskId]);

  // Still going (or starting) and still followed: only then a cursor and a Cancel button.
  const running =
    task.failure === null && (status === 'idle' || status === 'running' || status === 'suspended');
  const line = progressLine(task);
  return (
    <section className="card">
      <div className="meta">
        <span>
          {run.taskType}
          {run.fileName ? ` · ${run.fileName}` : ''}
        </span>
        <span data-testid="task-id">{taskId ?? 'starting…'}</span>
        <span
          data-testid="task-status"
          data-status={shownStatus(task)}
          className={`status ${shownStatus(task)}`}
        >
          {shownStatus(task)}
        </span>
      </div>
      <div className="progress">
        <progress data-testid="progress" max={100} value={line.value} />
        <span data-testid="stage">{line.label}</span>
      </div>
      <p className="output">
        <span
          data-testid="output"
          data-event-count={task.eventCount}
          data-last-event-id={task.lastEventId ?? ''}
        >
          {task.text}
        </span>
        {running && <span className="cursor" aria-hidden="true" />}
      </p>
      {task.suspension && running && (
        <ApprovalDialog
          suspension={task.suspension}
          onAnswer={(actionType) => void task.submitAction(actionType)}
        />
      )}
      {task.error && (
        <p className="error" data-testid="task-error">
          {task.error.code}: {task.error.message}
        </p>
      )}
      {task.failure && (
        <p className="error" data-testid="failure">
          {task.failure.code}: {task.failure.message}
        </p>
      )}
      {files.length === 0 && run.fileName !== null && taskId === null && (
        <p className="error">The page reloaded before the upload finished; start again.</p>
      )}
      <div className="actions">
        {running && taskId !== null && (
          <button
            type="button"
            data-testid="cancel"
            onClick={() => void task.cancel('cancelled in the demo')}
          >
            Cancel
          </button>
        )}
        <button type="button" data-testid="new-task" onClick={onReset}>
          New task
        </button>
        {taskId !== null && (
          <a
            href={`?task=${encodeURIComponent(taskId)}`}
            target="_blank"
            rel="noopener"
            data-testid="open-tab"
          >
            Open in another tab
          </a>
        )}
      </div>
      <ConnectionBadge taskId={taskId} connection={task.connection} />
    </section>
  );
}

function ApprovalDialog({
  suspension,
  onAnswer,
}: {
  suspension: TaskSnapshotSuspension;
  onAnswer: (actionType: string) => void;
}) {
  const question = suspension.interaction?.question;
  return (
    <div role="dialog" aria-modal="true" className="dialog" data-testid="approval-dialog">
      <p>{typeof question === 'string' ? question : 'This task needs your decision.'}</p>
      <div className="actions">
        {suspension.allowedActions.map((action) => (
          <button key={action} type="button" data-testid={action} onClick={() => onAnswer(action)}>
            {action}
          </button>
        ))}
      </div>
    </div>
  );
}
