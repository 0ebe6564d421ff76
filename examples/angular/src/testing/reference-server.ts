/**
 * The real reference server these tests stream from. The root `npm test` starts it on port 0 and passes
 * its URL in `TASKBRIDGE_SERVER_URL` (test/standalone/angular.test.ts); by hand:
 * `npx taskbridge-server --port 8787` and `TASKBRIDGE_SERVER_URL=http://127.0.0.1:8787 npm test`.
 */
import type { TaskEvent } from '@taskbridge/client';

/** The server's base URL. @throws {Error} when `TASKBRIDGE_SERVER_URL` is not set. */
export function referenceServerUrl(): string {
  const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env;
  const url = env?.['TASKBRIDGE_SERVER_URL'];
  if (!url) throw new Error('TASKBRIDGE_SERVER_URL is not set (see src/testing/reference-server.ts)');
  return url;
}

/** Every event the server stored for a task, oldest first: what the page must have shown. */
export async function serverEvents(baseUrl: string, taskId: string, subject: string): Promise<TaskEvent[]> {
  const url = new URL(`/api/v1/tasks/${encodeURIComponent(taskId)}/events`, baseUrl);
  url.searchParams.set('waitTimeoutMs', '0');
  url.searchParams.set('maxEvents', '500');
  const response = await fetch(url, { headers: { authorization: `Bearer ${subject}` } });
  if (!response.ok) throw new Error(`poll ${url} answered ${response.status}`);
  const body = (await response.json()) as { events: TaskEvent[] };
  return body.events;
}

/** The text a task streamed: its `TASK_MESSAGE` payloads, concatenated. */
export function streamedText(events: readonly TaskEvent[]): string {
  return events.map((event) => (event.type === 'TASK_MESSAGE' ? event.payload.message : '')).join('');
}
