/**
 * An A2A client (the A2A SDK's own `ClientFactory`) calling the TaskBridge demo server through its A2A
 * bridge: `summarize` streamed token by token, then `approval` answered on the same A2A task.
 *
 * Run: `npm start` in one terminal, then `npm run example:a2a` (or pass another base URL).
 */
import { type Message, Role, type StreamResponse, TaskState } from '@a2a-js/sdk';
import { ClientFactory } from '@a2a-js/sdk/client';

/** A user message: a data part naming the task type and its input, or an answer on a task. */
function message(data: Record<string, unknown>, taskId = ''): Message {
  return {
    messageId: crypto.randomUUID(), // the idempotency key: resend it and you get the same task
    contextId: '',
    taskId,
    role: Role.ROLE_USER,
    parts: [
      {
        content: { $case: 'data', value: data },
        metadata: undefined,
        filename: '',
        mediaType: 'application/json',
      },
    ],
    metadata: undefined,
    extensions: [],
    referenceTaskIds: [],
  };
}

/** The text of an artifact update (the bridge streams each TASK_MESSAGE into the `output` artifact). */
function chunkOf(response: StreamResponse): string {
  const update = response.payload?.$case === 'artifactUpdate' ? response.payload.value : undefined;
  if (update?.artifact?.artifactId !== 'output') return '';
  return update.artifact.parts.map((p) => (p.content?.$case === 'text' ? p.content.value : '')).join('');
}

/** Runs both calls against `baseUrl`; `write` receives what a terminal would print. */
export async function callDemo(
  baseUrl: string,
  write: (text: string) => void = (t) => process.stdout.write(t),
) {
  const client = await new ClientFactory().createFromUrl(baseUrl);
  const as = { serviceParameters: { authorization: 'Bearer demo' } }; // the demo server's bearer = owner

  // 1. summarize: one stream, token by token, until COMPLETED.
  const text =
    'Rivers carry water to the sea. Cats sleep a lot. Rivers carry sediment and build deltas at the sea.';
  let summary = '';
  for await (const response of client.sendMessageStream(
    {
      tenant: '',
      message: message({ taskType: 'summarize', input: { text, tokenDelayMs: 5 } }),
      configuration: undefined,
      metadata: undefined,
    },
    as,
  )) {
    summary += chunkOf(response);
    write(chunkOf(response));
  }
  write('\n');

  // 2. approval: the stream ends at INPUT_REQUIRED; the answer is a new message on the same task.
  let taskId = '';
  let state: TaskState | undefined;
  for await (const response of client.sendMessageStream(
    {
      tenant: '',
      message: message({ taskType: 'approval', input: { question: 'Publish the summary?' } }),
      configuration: undefined,
      metadata: undefined,
    },
    as,
  )) {
    if (response.payload?.$case === 'task') {
      taskId = response.payload.value.id;
      state = response.payload.value.status?.state;
    }
    if (response.payload?.$case === 'statusUpdate') state = response.payload.value.status?.state;
  }
  write(
    `approval asks: ${state === TaskState.TASK_STATE_INPUT_REQUIRED ? 'INPUT_REQUIRED' : String(state)}\n`,
  );
  for await (const response of client.sendMessageStream(
    {
      tenant: '',
      message: message({ actionType: 'approve', payload: { comment: 'ship it' } }, taskId),
      configuration: undefined,
      metadata: undefined,
    },
    as,
  )) {
    if (response.payload?.$case === 'statusUpdate') state = response.payload.value.status?.state;
    if (response.payload?.$case === 'task') state = response.payload.value.status?.state;
  }
  write(`approval ends: ${state === TaskState.TASK_STATE_COMPLETED ? 'COMPLETED' : String(state)}\n`);
  return { summary, approval: { taskId, state } };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await callDemo(process.argv[2] ?? 'http://127.0.0.1:8787');
}
