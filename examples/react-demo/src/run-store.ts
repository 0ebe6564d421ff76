/**
 * The page's current run, kept in `sessionStorage` so a reload (same tab) picks it up: its resume key
 * (the client keeps the start's `clientRequestId` under it, so re-sending the start never creates a
 * second task) and, once the server has answered, its task id (the client then resumes from the
 * IndexedDB checkpoint).
 */
import type { JsonObject } from '@taskbridge/protocol';

/** One task the page shows. */
export interface Run {
  resumeKey: string;
  /** `a2a-summarize`: the same summary, run by the server's own A2A agent and followed through the bridge. */
  taskType: 'summarize' | 'approval' | 'a2a-summarize';
  input: JsonObject;
  /** Name of the uploaded file; the file itself does not survive a reload, the task id does. */
  fileName: string | null;
  taskId: string | null;
}

const KEY = 'taskbridge-demo:run';

/** The run saved in this tab, or `null`. */
export function loadRun(): Run | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    return raw === null ? null : (JSON.parse(raw) as Run);
  } catch {
    return null;
  }
}

/** Saves (or with `null`, forgets) the tab's run. */
export function saveRun(run: Run | null): void {
  if (run === null) sessionStorage.removeItem(KEY);
  else sessionStorage.setItem(KEY, JSON.stringify(run));
}
