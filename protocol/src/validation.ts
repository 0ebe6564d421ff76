/**
 * Runtime parsers: each returns a typed value or a typed {@link ProtocolValidationError}; none throws.
 * Validation is done by ajv against the JSON Schemas in `schemas.ts` (SPEC.md §2–§8).
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { ErrorEnvelope } from './errors';
import type { TaskEvent, UnknownTaskEvent } from './events';
import { isKnownEventType } from './events';
import type { ServerFrame, SubscribeFrame } from './frames';
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
import * as schemas from './schemas';

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

// ajv-formats is CommonJS; its default export arrives wrapped under some bundlers.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ??
  addFormatsModule) as typeof addFormatsModule;

let ajvInstance: Ajv2020 | undefined;
const compiled = new Map<object, ValidateFunction>();

/**
 * ajv-formats' RFC 3339 `date-time` check behind a one-entry cache. Every event's `createdAt` is checked,
 * and a fast task stamps many events with the same millisecond (the reference server reuses the string),
 * so most checks are one string comparison instead of a split, two regexes and a calendar check.
 */
function cachedDateTime(): (value: string) => boolean {
  const format: unknown = addFormats.get('date-time');
  // ajv-formats 3 defines it as `{ validate, compare }`; should that change, fall back to Date.parse.
  const check =
    typeof format === 'object' &&
    format !== null &&
    'validate' in format &&
    typeof format.validate === 'function'
      ? (format.validate as (value: string) => boolean)
      : (value: string) => !Number.isNaN(Date.parse(value));
  let lastValid: string | undefined;
  return (value) => {
    if (value === lastValid) return true;
    if (!check(value)) return false;
    lastValid = value;
    return true;
  };
}

function createAjv(): Ajv2020 {
  const ajv = new Ajv2020({ allErrors: false, strict: false });
  ajv.addFormat('date-time', { type: 'string', validate: cachedDateTime() });
  return ajv;
}

// Compiled lazily so importing the package costs nothing until a parser runs.
function validator(schema: object): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) {
    ajvInstance ??= createAjv();
    validate = ajvInstance.compile(schema);
    compiled.set(schema, validate);
  }
  return validate;
}

function toIssues(errors: ErrorObject[] | null | undefined): SchemaIssue[] {
  return (errors ?? []).map((e) => ({ path: e.instancePath, message: e.message ?? e.keyword }));
}

function check<T>(schema: object, name: string, value: unknown): ParseResult<T> {
  const validate = validator(schema);
  if (validate(value)) return { ok: true, value: value as T };
  return {
    ok: false,
    error: new ProtocolValidationError('SCHEMA_VIOLATION', name, toIssues(validate.errors)),
  };
}

/** Parses JSON text; a syntax error becomes a `MALFORMED_JSON` violation. */
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
 * Parses one task event and classifies how well it matches the contract (SPEC.md §3).
 * A broken envelope is an error; an off-schema payload or an unknown type is delivered with its
 * conformance so callers can report it in diagnostics.
 */
export function parseTaskEvent(value: unknown): EventParseResult {
  const full = eventValidator();
  if (full(value)) return { ok: true, value: value as TaskEvent, conformance: 'valid' };
  return classifyInvalidEvent(full, value);
}

let taskEventValidator: ValidateFunction | undefined;

// Held apart from the map: it runs once per event.
function eventValidator(): ValidateFunction {
  return (taskEventValidator ??= validator(schemas.taskEventSchema));
}

/** The slow path of {@link parseTaskEvent}: `full` has just rejected `value`. */
function classifyInvalidEvent(full: ValidateFunction, value: unknown): EventParseResult {
  const issues = toIssues(full.errors);
  const envelope = check<UnknownTaskEvent>(schemas.eventEnvelopeSchema, 'TaskEvent', value);
  if (!envelope.ok) return envelope;
  if (!isKnownEventType(envelope.value.type)) {
    return { ok: true, value: envelope.value, conformance: 'unknown-type' };
  }
  return { ok: true, value: envelope.value as TaskEvent, conformance: 'off-schema-payload', issues };
}

/**
 * Classifies a frame a server sent over WebSocket or SSE `data:` (SPEC.md §5, §6): acknowledgement,
 * heartbeat (never an event, never a cursor), event, or unknown event type.
 */
export function parseServerFrame(value: unknown): ParseResult<ServerFrame> {
  const type = typeof value === 'object' && value !== null ? (value as { type?: unknown }).type : undefined;
  if (type === 'HEARTBEAT') {
    const hb = check<ServerFrame & { kind: 'heartbeat' }>(schemas.heartbeatSchema, 'Heartbeat', value);
    return hb.ok ? { ok: true, value: { kind: 'heartbeat', frame: hb.value as never } } : hb;
  }
  if (type === 'SUBSCRIPTION_CONFIRMED') {
    const ack = check<never>(schemas.subscriptionConfirmedSchema, 'SubscriptionConfirmed', value);
    return ack.ok ? { ok: true, value: { kind: 'ack', frame: ack.value } } : ack;
  }
  // The common case without the intermediate result object of parseTaskEvent.
  const full = eventValidator();
  if (full(value)) return { ok: true, value: { kind: 'event', event: value as TaskEvent, offSchema: false } };
  const parsed = classifyInvalidEvent(full, value);
  if (!parsed.ok) return parsed;
  if (parsed.conformance === 'unknown-type')
    return { ok: true, value: { kind: 'unknown-event', event: parsed.value } };
  return {
    ok: true,
    value: { kind: 'event', event: parsed.value, offSchema: parsed.conformance === 'off-schema-payload' },
  };
}

/** Parses the WebSocket subscribe frame (SPEC.md §6); a missing `lastEventId` reads as `null`. */
export function parseSubscribeFrame(value: unknown): ParseResult<SubscribeFrame> {
  const result = check<SubscribeFrame>(schemas.subscribeFrameSchema, 'SubscribeFrame', value);
  if (result.ok) result.value = { ...result.value, lastEventId: result.value.lastEventId ?? null };
  return result;
}

/** Parses a JSON create body (SPEC.md §2). */
export const parseCreateTaskRequest = (value: unknown): ParseResult<CreateTaskRequest> =>
  check(schemas.createTaskRequestSchema, 'CreateTaskRequest', value);

/** Parses a create response (SPEC.md §2). */
export const parseTaskCreatedResponse = (value: unknown): ParseResult<TaskCreatedResponse> =>
  check(schemas.taskCreatedResponseSchema, 'TaskCreatedResponse', value);

/** Parses a poll response envelope (SPEC.md §4); events inside are checked with {@link parseTaskEvent}. */
export const parsePollEventsResponse = (value: unknown): ParseResult<PollEventsResponse> =>
  check(schemas.pollEventsResponseSchema, 'PollEventsResponse', value);

/** Parses a cancel body (SPEC.md §7). */
export const parseCancelTaskRequest = (value: unknown): ParseResult<CancelTaskRequest> =>
  check(schemas.cancelTaskRequestSchema, 'CancelTaskRequest', value);

/** Parses a cancel response (SPEC.md §7). */
export const parseCancelTaskResponse = (value: unknown): ParseResult<CancelTaskResponse> =>
  check(schemas.cancelTaskResponseSchema, 'CancelTaskResponse', value);

/** Parses an action body against the upstream `task_client_action.schema.json` (SPEC.md §7). */
export const parseClientActionRequest = (value: unknown): ParseResult<ClientActionRequest> =>
  check(schemas.clientActionSchema, 'TaskClientAction', value);

/** Parses an action response against `task_client_action_response.schema.json` (SPEC.md §7). */
export const parseClientActionResponse = (value: unknown): ParseResult<ClientActionResponse> =>
  check(schemas.clientActionResponseSchema, 'TaskClientActionResponse', value);

/** Parses an error envelope (SPEC.md §8); `details` defaults to `{}`. */
export function parseErrorEnvelope(value: unknown): ParseResult<ErrorEnvelope> {
  const result = check<ErrorEnvelope>(schemas.errorEnvelopeSchema, 'ErrorResponse', value);
  if (result.ok) result.value = { ...result.value, details: result.value.details ?? {} };
  return result;
}

/** Parses an E1 task status body; its `terminalEvent` is checked with {@link parseTaskEvent} by callers. */
export const parseTaskStatusResponse = (value: unknown): ParseResult<TaskStatusResponse> =>
  check(schemas.taskStatusResponseSchema, 'TaskStatusResponse', value);

/** Parses an E2 capabilities body. */
export const parseCapabilitiesResponse = (value: unknown): ParseResult<CapabilitiesResponse> =>
  check(schemas.capabilitiesResponseSchema, 'CapabilitiesResponse', value);
