/**
 * JSON Schemas (draft 2020-12). The three TaskBridge schemas are the upstream contract files, vendored
 * unmodified; the others are written here from the OpenAPI components and protocol/SPEC.md, which the upstream
 * ships no schema file for.
 */

import clientActionSchema from '../schemas/taskbridge-v1/task_client_action.schema.json' with { type: 'json' };
import clientActionResponseSchema from '../schemas/taskbridge-v1/task_client_action_response.schema.json' with { type: 'json' };
import taskEventSchema from '../schemas/taskbridge-v1/task_event.schema.json' with { type: 'json' };

export { clientActionResponseSchema, clientActionSchema, taskEventSchema };

const DRAFT = 'https://json-schema.org/draft/2020-12/schema';
const jsonObject = { type: 'object' } as const;
const taskStatus = {
  type: 'string',
  enum: ['ACCEPTED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED'],
} as const;

/** The "history trimmed" object of protocol/SPEC.md §11 (poll field, WebSocket ack field). */
const historyTrimmed = {
  type: 'object',
  required: ['requestedAfterEventId', 'firstRetainedEventId'],
  properties: {
    requestedAfterEventId: { type: ['string', 'null'] },
    firstRetainedEventId: { type: ['string', 'null'] },
  },
} as const;

/** The event envelope alone, used to tell an off-schema payload from a broken frame (protocol/SPEC.md §3). */
export const eventEnvelopeSchema = {
  $schema: DRAFT,
  type: 'object',
  required: ['type', 'taskId', 'eventId', 'createdAt', 'payload'],
  properties: {
    type: { type: 'string', minLength: 1 },
    taskId: { type: 'string' },
    eventId: { type: 'string', minLength: 1 },
    createdAt: { type: 'string' },
    payload: jsonObject,
  },
} as const;

/** protocol/SPEC.md §2 JSON create body; unknown keys are rejected with 400. */
export const createTaskRequestSchema = {
  $schema: DRAFT,
  type: 'object',
  additionalProperties: false,
  required: ['clientRequestId', 'taskType'],
  properties: {
    clientRequestId: { type: 'string', minLength: 1, maxLength: 200 },
    taskType: { type: 'string', minLength: 1, maxLength: 200 },
    input: jsonObject,
    metadata: jsonObject,
  },
} as const;

/** protocol/SPEC.md §2 create response. */
export const taskCreatedResponseSchema = {
  $schema: DRAFT,
  type: 'object',
  required: ['taskId', 'status', 'clientRequestId'],
  properties: {
    taskId: { type: 'string' },
    status: taskStatus,
    clientRequestId: { type: 'string' },
    deduplicated: { type: 'boolean', default: false },
  },
} as const;

/** protocol/SPEC.md §4 poll response (events are validated one by one, so a bad event does not hide the rest). */
export const pollEventsResponseSchema = {
  $schema: DRAFT,
  type: 'object',
  required: ['taskId', 'events', 'hasMore'],
  properties: {
    taskId: { type: 'string' },
    events: { type: 'array', items: {} },
    nextAfterEventId: { type: ['string', 'null'] },
    hasMore: { type: 'boolean' },
    taskStatus,
    historyTrimmed,
  },
} as const;

/** Data of the SSE `history-trimmed` event (protocol/SPEC.md §5, §11). */
export const historyTrimmedSseDataSchema = {
  $schema: DRAFT,
  type: 'object',
  required: ['taskId', ...historyTrimmed.required],
  properties: { taskId: { type: 'string' }, ...historyTrimmed.properties },
} as const;

/** protocol/SPEC.md §7 cancel body. */
export const cancelTaskRequestSchema = {
  $schema: DRAFT,
  type: 'object',
  additionalProperties: false,
  properties: { reason: { type: 'string', maxLength: 1000 } },
} as const;

/** protocol/SPEC.md §7 cancel response. */
export const cancelTaskResponseSchema = {
  $schema: DRAFT,
  type: 'object',
  required: ['taskId', 'status'],
  properties: {
    taskId: { type: 'string' },
    status: { type: 'string', enum: ['CANCELLATION_REQUESTED', 'ALREADY_TERMINAL'] },
  },
} as const;

/** protocol/SPEC.md §8 error envelope. */
export const errorEnvelopeSchema = {
  $schema: DRAFT,
  type: 'object',
  required: ['code', 'message', 'timestamp'],
  properties: {
    code: { type: 'string' },
    message: { type: 'string' },
    details: jsonObject,
    timestamp: { type: 'string' },
  },
} as const;

/** protocol/SPEC.md §6 subscribe frame: exactly these keys (the peer closes 1008 on extra keys). */
export const subscribeFrameSchema = {
  $schema: DRAFT,
  type: 'object',
  additionalProperties: false,
  required: ['action', 'taskId'],
  properties: {
    action: { const: 'subscribe' },
    taskId: { type: 'string', minLength: 1 },
    lastEventId: { type: ['string', 'null'] },
  },
} as const;

/** protocol/SPEC.md §6 subscription acknowledgement. */
export const subscriptionConfirmedSchema = {
  $schema: DRAFT,
  type: 'object',
  required: ['type', 'taskId', 'live'],
  properties: {
    type: { const: 'SUBSCRIPTION_CONFIRMED' },
    taskId: { type: 'string' },
    replayStartedAfterEventId: { type: ['string', 'null'] },
    live: { type: 'boolean' },
    historyTrimmed,
  },
} as const;

/** protocol/SPEC.md §5/§6 heartbeat (WS form requires `taskId` and `live`; the SSE form is looser). */
export const heartbeatSchema = {
  $schema: DRAFT,
  type: 'object',
  required: ['type'],
  properties: { type: { const: 'HEARTBEAT' }, taskId: { type: 'string' } },
} as const;

/** E1 task status. */
export const taskStatusResponseSchema = {
  $schema: DRAFT,
  type: 'object',
  required: ['taskId', 'taskType', 'status', 'createdAt', 'updatedAt', 'lastEventId', 'terminalEvent'],
  properties: {
    taskId: { type: 'string' },
    taskType: { type: 'string' },
    status: taskStatus,
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
    lastEventId: { type: ['string', 'null'] },
    terminalEvent: { type: ['object', 'null'] },
  },
} as const;

/** E2 capabilities. */
export const capabilitiesResponseSchema = {
  $schema: DRAFT,
  type: 'object',
  required: ['protocolVersion', 'transports'],
  properties: {
    protocolVersion: { type: 'string' },
    transports: { type: 'array', items: { enum: ['websocket', 'sse', 'polling'] } },
    heartbeatIntervalMs: {
      type: 'object',
      properties: { websocket: { type: 'number', minimum: 0 }, sse: { type: 'number', minimum: 0 } },
    },
    retention: { type: 'object' },
    extensions: { type: 'array', items: { type: 'string' } },
    limits: { type: 'object' },
    routes: { type: 'object' },
  },
} as const;
