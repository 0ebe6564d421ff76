/**
 * The A2A SDK's own client against a server on port 0, in both wire versions: 1.0 (the card from
 * discovery, as any current client) and 0.3 (the card a 0.3 peer reads — no `A2A-Version` header —
 * parsed by the SDK's compat layer, so every call uses the 0.3 method names). Every JSON-RPC method
 * sent is recorded, so tests can show which names went on the wire.
 */
import type { Message, SendMessageRequest, StreamResponse, Task, TaskStatus } from '@a2a-js/sdk';
import { TaskState } from '@a2a-js/sdk';
import {
  type Client,
  ClientFactory,
  ClientFactoryOptions,
  JsonRpcTransportFactory,
} from '@a2a-js/sdk/client';
import { parseLegacyAgentCard } from '@a2a-js/sdk/compat/v0_3/client';
import {
  createMessage,
  dataOf,
  dataPart,
  EVENT_ID_KEY,
  joinedText,
  OUTPUT_ARTIFACT_ID,
  textOf,
  textPart,
} from '@taskbridge/server-reference/a2a';

/** Which A2A wire version the client speaks. */
export type A2AWire = '1.0' | '0.3';

/** An SDK client plus the JSON-RPC methods it sent. */
export interface RecordedClient {
  client: Client;
  /** JSON-RPC method names, in the order they were sent. */
  methods: string[];
}

/**
 * An SDK client for the agent at `baseUrl`, sending `Authorization: Bearer <subject>` (the demo auth;
 * an empty subject sends no credentials).
 *
 * @param wire - `'1.0'` (discovery with `ClientFactory.createFromUrl`) or `'0.3'` (the legacy card).
 */
export async function createA2AClient(
  baseUrl: string,
  wire: A2AWire,
  subject = 'alice',
): Promise<RecordedClient> {
  const methods: string[] = [];
  const fetchImpl: typeof fetch = (input, init) => {
    if (typeof init?.body === 'string') methods.push((JSON.parse(init.body) as { method: string }).method);
    const headers = new Headers(init?.headers);
    if (subject !== '') headers.set('authorization', `Bearer ${subject}`);
    return fetch(input, { ...init, headers });
  };
  const factory = new ClientFactory(
    ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
      transports: [new JsonRpcTransportFactory({ fetchImpl, legacyCompat: { enabled: true } })],
    }),
  );
  if (wire === '1.0') return { client: await factory.createFromUrl(baseUrl), methods };
  const legacyCard: unknown = await (await fetch(`${baseUrl}/.well-known/agent-card.json`)).json();
  return { client: await factory.createFromAgentCard(parseLegacyAgentCard(legacyCard)), methods };
}

/** A SendMessage request starting `taskType` with `input`. */
export function startRequest(
  taskType: string,
  input: Record<string, unknown>,
  messageId: string = crypto.randomUUID(),
): SendMessageRequest {
  return {
    tenant: '',
    message: createMessage({ messageId, role: 'user', parts: [dataPart({ taskType, input })] }),
    configuration: undefined,
    metadata: undefined,
  };
}

/** A SendMessage request answering task `taskId` with a bare text (e.g. `'approve'`) or a data part. */
export function answerRequest(
  taskId: string,
  answer: string | { actionType: string; payload?: Record<string, unknown> },
  messageId: string = crypto.randomUUID(),
): SendMessageRequest {
  const message: Message = createMessage({
    messageId,
    role: 'user',
    taskId,
    parts: [typeof answer === 'string' ? textPart(answer) : dataPart(answer)],
  });
  return { tenant: '', message, configuration: undefined, metadata: undefined };
}

/** Reads a stream to its end. */
export async function collect(stream: AsyncIterable<StreamResponse>): Promise<StreamResponse[]> {
  const responses: StreamResponse[] = [];
  for await (const response of stream) responses.push(response);
  return responses;
}

/** The task of the stream's first response (a stream always starts with one). */
export function firstTask(responses: readonly StreamResponse[]): Task {
  const first = responses[0]?.payload;
  if (first?.$case !== 'task') throw new Error(`stream did not start with a task: ${JSON.stringify(first)}`);
  return first.value;
}

/** The state of the last status the responses carry (a task's or a status update's). */
export function lastState(responses: readonly StreamResponse[]): TaskState | undefined {
  for (let i = responses.length - 1; i >= 0; i--) {
    const payload = responses[i]?.payload;
    if (payload?.$case === 'statusUpdate') return payload.value.status?.state;
    if (payload?.$case === 'task') return payload.value.status?.state;
  }
  return undefined;
}

/** The last status the responses carry, with the metadata that came with it (update or task). */
export function lastStatus(responses: readonly StreamResponse[]): {
  status: TaskStatus | undefined;
  metadata: Record<string, unknown>;
} {
  for (let i = responses.length - 1; i >= 0; i--) {
    const payload = responses[i]?.payload;
    if (payload?.$case === 'statusUpdate')
      return { status: payload.value.status, metadata: payload.value.metadata ?? {} };
    if (payload?.$case === 'task')
      return { status: payload.value.status, metadata: payload.value.metadata ?? {} };
  }
  return { status: undefined, metadata: {} };
}

/** The text of a status's message (its text parts joined). */
export function statusText(status: TaskStatus | undefined): string {
  return status?.message ? joinedText(status.message.parts) : '';
}

/** The first data part of a status's message. */
export function statusData(status: TaskStatus | undefined): unknown {
  return status?.message?.parts.map(dataOf).find((d) => d !== undefined);
}

/** The output text chunks a stream carries: the snapshot's parts, then each appended part. */
export function outputChunks(responses: readonly StreamResponse[]): string[] {
  const chunks: string[] = [];
  for (const { payload } of responses) {
    if (payload?.$case === 'task') {
      const output = payload.value.artifacts.find((a) => a.artifactId === OUTPUT_ARTIFACT_ID);
      for (const part of output?.parts ?? []) chunks.push(textOf(part) ?? '');
    } else if (
      payload?.$case === 'artifactUpdate' &&
      payload.value.artifact?.artifactId === OUTPUT_ARTIFACT_ID
    ) {
      for (const part of payload.value.artifact.parts) chunks.push(textOf(part) ?? '');
    }
  }
  return chunks;
}

/** The `taskbridgeEventId` of every update (not the snapshot), in stream order. */
export function updateEventIds(responses: readonly StreamResponse[]): string[] {
  const ids: string[] = [];
  for (const { payload } of responses) {
    if (payload?.$case === 'statusUpdate' || payload?.$case === 'artifactUpdate') {
      ids.push(String(payload.value.metadata?.[EVENT_ID_KEY]));
    }
  }
  return ids;
}

export { TaskState };
