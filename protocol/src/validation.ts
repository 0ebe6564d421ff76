/**
 * Runtime parsers: each returns a typed value or a typed {@link ProtocolValidationError}; none throws.
 * Validation runs validators precompiled from the JSON Schemas in `schemas.ts` (protocol/SPEC.md §2–§8) by
 * `npm run generate:validators` (ajv standalone code, `generated/validators.js`): no ajv at runtime and
 * no `new Function`/`eval`, so the parsers work under a Content-Security-Policy without
 * `'unsafe-eval'`.
 */
import type { ErrorEnvelope } from './errors';
import type { TaskEvent, UnknownTaskEvent } from './events';
import { isKnownEventType } from './events';
import type { ServerFrame, SubscribeFrame } from './frames';
import type { HistoryTrimmedSseData } from './history-trimmed';
import {
  type GeneratedValidationError,
  type GeneratedValidator,
  validateCancelTaskRequest,
  validateCancelTaskResponse,
  validateCapabilitiesResponse,
  validateClientAction,
  validateClientActionResponse,
  validateCreateTaskRequest,
  validateErrorEnvelope,
  validateEventEnvelope,
  validateHeartbeat,
  validateHistoryTrimmedSseData,
  validatePollEventsResponse,
  validateSubscribeFrame,
  validateSubscriptionConfirmed,
  validateTaskCreatedResponse,
  validateTaskEvent,
  validateTaskStatusResponse,
} from './generated/validators';
import { violationMessage } from './validation-messages';
import type {
  CapabilitiesResponse,
  TaskStatusResponse,
  CancelTaskRequest,
  CancelTaskResponse,
  ClientActionRequest,
  ClientActionResponse,
  CreateTaskRequest,
  PollEventsResponse,
  TaskCreatedResponse,
} from './http';

/** One schema violation: a JSON pointer into the value and a message. */
export interface SchemaIssue {
  /** JSON pointer, e.g. `/payload/progress`; empty for the root. */
  path: string;
  message: string;
}

/** Why a value was rejected. */
export type ProtocolViolationCode = 'MALFORMED_JSON' | 'SCHEMA_VIOLATION';

/**
 * A value that is not the protocol object it should be. Returned (not thrown) by every parser.
 */
export class ProtocolValidationError extends Error {
  override readonly name = 'ProtocolValidationError';
  /** `MALFORMED_JSON` when the text is not JSON; `SCHEMA_VIOLATION` when it does not match `schema`. */
  readonly code: ProtocolViolationCode;
  /** Name of the schema the value was checked against, e.g. `TaskEvent`. */
  readonly schema: string;
  readonly issues: readonly SchemaIssue[];

  constructor(code: ProtocolViolationCode, schema: string, issues: readonly SchemaIssue[]) {
    const first = issues[0];
    super(`${schema}: ${first ? `${first.path || '/'} ${first.message}` : code}`);
    this.code = code;
    this.schema = schema;
    this.issues = issues;
  }
}

/** A parser's result: `{ ok: true, value }` or `{ ok: false, error }`. */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: ProtocolValidationError };

/**
 * How well an event matched the contract. `off-schema-payload` is a known type whose payload breaks
 * the schema (a peer quirk: e.g. `TASK_COMPLETED` without `result`); it is still delivered, and still
 * terminal when its type is. `unknown-type` is passed through as {@link UnknownTaskEvent}.
 */
export type EventConformance = 'valid' | 'off-schema-payload' | 'unknown-type';

/** Result of {@link parseTaskEvent}. */
export type EventParseResult =
  | { ok: true; value: TaskEvent; conformance: 'valid' }
  | { ok: true; value: TaskEvent; conformance: 'off-schema-payload'; issues: readonly SchemaIssue[] }
  | { ok: true; value: UnknownTaskEvent; conformance: 'unknown-type' }
  | { ok: false; error: ProtocolValidationError };

function toIssues(errors: GeneratedValidationError[] | null | undefined): SchemaIssue[] {
  return (errors ?? []).map((e) => ({ path: e.instancePath, message: violationMessage(e) }));
}

function check<T>(validate: GeneratedValidator, name: string, value: unknown): ParseResult<T> {
  if (validate(value)) return { ok: true, value: value as T };
  return {
    ok: false,
    error: new ProtocolValidationError('SCHEMA_VIOLATION', name, toIssues(validate.errors)),
  };
}

/**
 * Parses JSON text; a syntax error becomes a `MALFORMED_JSON` violation (returned, never thrown).
 *
 * @param schemaName - the name reported in the violation. Default `'JSON'`.
 */
export function parseJson(text: string, schemaName = 'JSON'): ParseResult<unknown> {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    const message = error instanceof Error ? error.message : 'not JSON';
    return {
      ok: false,
      error: new ProtocolValidationError('MALFORMED_JSON', schemaName, [{ path: '', message }]),
    };
  }
}

/**
 * Parses one task event and classifies how well it matches the contract (protocol/SPEC.md §3).
 * A broken envelope is an error; an off-schema payload or an unknown type is delivered with its
 * conformance so callers can report it in diagnostics.
 */
export function parseTaskEvent(value: unknown): EventParseResult {
  if (validateTaskEvent(value)) return { ok: true, value: value as TaskEvent, conformance: 'valid' };
  return classifyInvalidEvent(value);
}

/** The slow path of {@link parseTaskEvent}: `validateTaskEvent` has just rejected `value`. */
function classifyInvalidEvent(value: unknown): EventParseResult {
  const issues = toIssues(validateTaskEvent.errors);
  const envelope = check<UnknownTaskEvent>(validateEventEnvelope, 'TaskEvent', value);
  if (!envelope.ok) return envelope;
  if (!isKnownEventType(envelope.value.type)) {
    return { ok: true, value: envelope.value, conformance: 'unknown-type' };
  }
  return { ok: true, value: envelope.value as TaskEvent, conformance: 'off-schema-payload', issues };
}

/**
 * Classifies a frame a server sent over WebSocket or SSE `data:` (protocol/SPEC.md §5, §6): acknowledgement,
 * heartbeat (never an event, never a cursor), event, or unknown event type.
 */
export function parseServerFrame(value: unknown): ParseResult<ServerFrame> {
  const type = typeof value === 'object' && value !== null ? (value as { type?: unknown }).type : undefined;
  if (type === 'HEARTBEAT') {
    const hb = check<ServerFrame & { kind: 'heartbeat' }>(validateHeartbeat, 'Heartbeat', value);
    return hb.ok ? { ok: true, value: { kind: 'heartbeat', frame: hb.value as never } } : hb;
  }
  if (type === 'SUBSCRIPTION_CONFIRMED') {
    const ack = check<never>(validateSubscriptionConfirmed, 'SubscriptionConfirmed', value);
    return ack.ok ? { ok: true, value: { kind: 'ack', frame: ack.value } } : ack;
  }
  // The common case without the intermediate result object of parseTaskEvent.
  if (validateTaskEvent(value))
    return { ok: true, value: { kind: 'event', event: value as TaskEvent, offSchema: false } };
  const parsed = classifyInvalidEvent(value);
  if (!parsed.ok) return parsed;
  if (parsed.conformance === 'unknown-type')
    return { ok: true, value: { kind: 'unknown-event', event: parsed.value } };
  return {
    ok: true,
    value: { kind: 'event', event: parsed.value, offSchema: parsed.conformance === 'off-schema-payload' },
  };
}

/** Parses the WebSocket subscribe frame (protocol/SPEC.md §6); a missing `lastEventId` reads as `null`. */
export function parseSubscribeFrame(value: unknown): ParseResult<SubscribeFrame> {
  const result = check<SubscribeFrame>(validateSubscribeFrame, 'SubscribeFrame', value);
  if (result.ok) result.value = { ...result.value, lastEventId: result.value.lastEventId ?? null };
  return result;
}

/** Parses a JSON create body (protocol/SPEC.md §2). */
export const parseCreateTaskRequest = (value: unknown): ParseResult<CreateTaskRequest> =>
  check(validateCreateTaskRequest, 'CreateTaskRequest', value);

/** Parses a create response (protocol/SPEC.md §2). */
export const parseTaskCreatedResponse = (value: unknown): ParseResult<TaskCreatedResponse> =>
  check(validateTaskCreatedResponse, 'TaskCreatedResponse', value);

/** Parses a poll response envelope (protocol/SPEC.md §4); events inside are checked with {@link parseTaskEvent}. */
export const parsePollEventsResponse = (value: unknown): ParseResult<PollEventsResponse> =>
  check(validatePollEventsResponse, 'PollEventsResponse', value);

/** Parses a cancel body (protocol/SPEC.md §7). */
export const parseCancelTaskRequest = (value: unknown): ParseResult<CancelTaskRequest> =>
  check(validateCancelTaskRequest, 'CancelTaskRequest', value);

/** Parses a cancel response (protocol/SPEC.md §7). */
export const parseCancelTaskResponse = (value: unknown): ParseResult<CancelTaskResponse> =>
  check(validateCancelTaskResponse, 'CancelTaskResponse', value);

/** Parses an action body against the upstream `task_client_action.schema.json` (protocol/SPEC.md §7). */
export const parseClientActionRequest = (value: unknown): ParseResult<ClientActionRequest> =>
  check(validateClientAction, 'TaskClientAction', value);

/** Parses an action response against `task_client_action_response.schema.json` (protocol/SPEC.md §7). */
export const parseClientActionResponse = (value: unknown): ParseResult<ClientActionResponse> =>
  check(validateClientActionResponse, 'TaskClientActionResponse', value);

/** Parses an error envelope (protocol/SPEC.md §8); `details` defaults to `{}`. */
export function parseErrorEnvelope(value: unknown): ParseResult<ErrorEnvelope> {
  const result = check<ErrorEnvelope>(validateErrorEnvelope, 'ErrorResponse', value);
  if (result.ok) result.value = { ...result.value, details: result.value.details ?? {} };
  return result;
}

/** Parses an E1 task status body; its `terminalEvent` is checked with {@link parseTaskEvent} by callers. */
export const parseTaskStatusResponse = (value: unknown): ParseResult<TaskStatusResponse> =>
  check(validateTaskStatusResponse, 'TaskStatusResponse', value);

/** Parses an E2 capabilities body. */
export const parseCapabilitiesResponse = (value: unknown): ParseResult<CapabilitiesResponse> =>
  check(validateCapabilitiesResponse, 'CapabilitiesResponse', value);

/**
 * Parses the data of an SSE `history-trimmed` event (protocol/SPEC.md §5, §11). The poll and WebSocket
 * forms are checked as part of {@link parsePollEventsResponse} and {@link parseServerFrame}.
 */
export const parseHistoryTrimmedSseData = (value: unknown): ParseResult<HistoryTrimmedSseData> =>
  check(validateHistoryTrimmedSseData, 'HistoryTrimmedSseData', value);
