/**
 * The status clients see (protocol/SPEC.md §1 E1, §4 `taskStatus`), derived from the event log head:
 * the terminal claim is atomic in the log, so a terminal status is reported exactly when the terminal
 * event is readable (hazard H5: a client that stops on a terminal status must find the event).
 */
import type { TaskStatus, TerminalTaskEvent } from '@taskbridge/protocol';
import type { StreamHead } from './state/event-store';

const TERMINAL_STATUS: Readonly<Record<TerminalTaskEvent['type'], TaskStatus>> = {
  TASK_COMPLETED: 'COMPLETED',
  TASK_FAILED: 'FAILED',
  TASK_CANCELLED: 'CANCELLED',
};

/**
 * `ACCEPTED` before the first event, the terminal event's status once it is stored, `RUNNING` in
 * between (suspended tasks included).
 */
export function statusOf(head: Pick<StreamHead, 'lastEventId' | 'terminal'>): TaskStatus {
  if (head.terminal) return TERMINAL_STATUS[head.terminal.type];
  return head.lastEventId === null ? 'ACCEPTED' : 'RUNNING';
}
