/**
 * Typed use of each package's main API, compiled in an app outside the repository against the
 * packed tarballs under every compiler setting of the packaging test (nodenext and bundler, strict on
 * and off, exactOptionalPropertyTypes, noPropertyAccessFromIndexSignature, skipLibCheck off).
 */
import {
  createMemoryCheckpointStore,
  createTaskBridgeClient,
  type TaskBridgeClientOptions,
  type TaskSnapshot,
} from '@taskbridge/client';
import {
  compareEventIds,
  isKnownEventType,
  isTerminalEvent,
  TaskBridgeError,
  type TaskEvent,
  type UnknownTaskEvent,
} from '@taskbridge/protocol';
import { useTask } from '@taskbridge/react';
import {
  createDemoAuthResolver,
  createReferenceServer,
  type TaskHandler,
} from '@taskbridge/server-reference';
import { createTaskBridgeHandlers, scriptedTask } from '@taskbridge/server-reference/msw';
import { startTaskBridgeWorker } from '@taskbridge/server-reference/msw/browser';
import { installMswNodeGlobals, setupTaskBridgeServer } from '@taskbridge/server-reference/msw/node';

export function describeEvent(event: TaskEvent | UnknownTaskEvent): string {
  if (!isKnownEventType(event.type)) return `unknown event ${event.type}`;
  const known = event as TaskEvent;
  switch (known.type) {
    case 'TASK_PROGRESS':
      return `${known.payload.progress}%${known.payload.stage === undefined ? '' : ` ${known.payload.stage}`}`;
    case 'TASK_MESSAGE':
      return known.payload.message;
    case 'TASK_FAILED':
      return `${known.payload.code}: ${known.payload.message}`;
    default:
      return isTerminalEvent(known) ? `${known.type} (terminal)` : known.type;
  }
}

export const newer = compareEventIds('10-0', '9-0') === 1;

export function describeError(error: unknown): string {
  return error instanceof TaskBridgeError
    ? `${error.code} retryable=${String(error.retryable)}`
    : String(error);
}

const options: TaskBridgeClientOptions = {
  baseUrl: 'http://localhost:8787',
  getAccessToken: () => 'alice',
  checkpointStore: createMemoryCheckpointStore(),
  connection: { openTimeoutMs: 1000, backoff: { baseMs: 100, maxMs: 1000 } },
};

export async function summarize(text: string): Promise<TaskSnapshot> {
  const client = createTaskBridgeClient(options);
  try {
    const { stream } = await client.startTask({ taskType: 'summarize', input: { text } });
    stream.events$.subscribe((event) => console.log(describeEvent(event)));
    return await stream.settled();
  } finally {
    client.close();
  }
}

export const shout: TaskHandler = async function* ({ input }) {
  yield { type: 'progress', progress: 50 };
  yield { type: 'message', message: String(input['text']).toUpperCase() };
  return { done: true };
};

export async function serve(): Promise<string> {
  const server = createReferenceServer({ auth: createDemoAuthResolver(), handlers: { shout }, cors: true });
  const { url } = await server.listen(0);
  await server.close();
  return url;
}

export function mockedBackend() {
  installMswNodeGlobals();
  const kit = createTaskBridgeHandlers({ baseUrl: 'http://api.test' });
  kit.registerHandler('chat', scriptedTask([{ type: 'complete', result: { text: 'hi' } }]));
  return { kit, server: setupTaskBridgeServer(kit), startInBrowser: () => startTaskBridgeWorker(kit) };
}

export function useSummary(text: string): string {
  const task = useTask({ taskType: 'summarize', input: { text }, resumeKey: `summary:${text.length}` });
  return task.failure ? task.failure.message : task.text;
}
