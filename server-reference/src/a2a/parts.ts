/**
 * Builders and readers for the A2A SDK's message shapes. The SDK's types are generated from protobuf:
 * every field is present (empty string, `[]` or `undefined` when unused), which makes literals long;
 * these helpers keep the bridge readable and the shapes in one place.
 */
import { type Artifact, type Message, type Part, Role } from '@a2a-js/sdk';

/** A JSON object, as carried in data parts and metadata. */
export type JsonRecord = { [key: string]: unknown };

/** A `text/plain` part. */
export function textPart(text: string): Part {
  return {
    content: { $case: 'text', value: text },
    metadata: undefined,
    filename: '',
    mediaType: 'text/plain',
  };
}

/** An `application/json` data part carrying `data` (any JSON value). */
export function dataPart(data: unknown): Part {
  return {
    content: { $case: 'data', value: data },
    metadata: undefined,
    filename: '',
    mediaType: 'application/json',
  };
}

/** The text of a text part, else `undefined`. */
export function textOf(part: Part): string | undefined {
  return part.content?.$case === 'text' ? part.content.value : undefined;
}

/** The JSON value of a data part, else `undefined`. */
export function dataOf(part: Part): unknown {
  return part.content?.$case === 'data' ? (part.content.value as unknown) : undefined;
}

/** True for a plain object (not an array, not null). */
export function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Options of {@link createMessage}. */
export interface MessageFields {
  /** Unique per message; the bridge uses it as the idempotency key. */
  messageId: string;
  role: 'user' | 'agent';
  /** At least one part. */
  parts: Part[];
  /** The task the message belongs to. Default: none (a new task). */
  taskId?: string;
  /** The A2A context. Default: none. */
  contextId?: string;
  /** Default: none. */
  metadata?: JsonRecord;
}

/** A complete SDK `Message`. */
export function createMessage(fields: MessageFields): Message {
  return {
    messageId: fields.messageId,
    contextId: fields.contextId ?? '',
    taskId: fields.taskId ?? '',
    role: fields.role === 'user' ? Role.ROLE_USER : Role.ROLE_AGENT,
    parts: fields.parts,
    metadata: fields.metadata,
    extensions: [],
    referenceTaskIds: [],
  };
}

/** A complete SDK `Artifact`. */
export function createArtifact(artifactId: string, parts: Part[], metadata?: JsonRecord): Artifact {
  return { artifactId, name: artifactId, description: '', parts, metadata, extensions: [] };
}

/** The text parts of `parts`, joined with nothing in between (chunks of one stream). */
export function joinedText(parts: readonly Part[]): string {
  let text = '';
  for (const part of parts) text += textOf(part) ?? '';
  return text;
}
