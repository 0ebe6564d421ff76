/**
 * Reads a task's whole stored history into an {@link A2ATaskView} (GetTask, the blocking SendMessage
 * result, the turn checks), through the engine's poll operation.
 */
import { PollLimits } from '@taskbridge/protocol';
import type { TaskEngine } from '../../engine/task-engine';
import type { AuthContext } from '../../engine/types';
import { A2ATaskView } from './task-view';

/**
 * The task folded up to its newest stored event.
 *
 * @throws {TaskBridgeError} `TASK_NOT_FOUND` for an unknown or foreign task.
 */
export async function foldTask(engine: TaskEngine, auth: AuthContext, taskId: string): Promise<A2ATaskView> {
  const view = new A2ATaskView(await engine.getTask(auth, taskId));
  for (;;) {
    const page = await engine.poll(auth, taskId, {
      afterEventId: view.cursor,
      waitTimeoutMs: 0,
      maxEvents: PollLimits.MAX_EVENTS,
    });
    for (const event of page.events) view.apply(event);
    if (!page.hasMore || page.events.length === 0) return view;
  }
}
