/**
 * The HTTP routes of protocol/SPEC.md §2, §4, §5 (cursor), §7 and E1/E2 as transport-neutral operations:
 * validated input in, engine call, `{ status, body }` out. The Express routes and the MSW handlers both
 * call these, so request validation, status codes and error codes cannot drift between them.
 * Multipart bodies are read by `uploads.ts`. Every function throws a `TaskBridgeError` for the error
 * paths; the adapter turns it into the envelope (see `errorResponseOf` in `envelope.ts`).
 */
import {
  type CancelTaskResponse,
  type CapabilitiesResponse,
  type ClientActionResponse,
  type CreateTaskRequest,
  HISTORY_TRIMMED_EXTENSION,
  LAST_EVENT_ID_QUERY_PARAM,
  type PollEventsResponse,
  PollLimits,
  PROTOCOL_VERSION,
  parseCancelTaskRequest,
  parseClientActionRequest,
  parseCreateTaskRequest,
  TaskBridgeError,
  type TaskCreatedResponse,
  type TaskStatusResponse,
  type TransportName,
} from '@taskbridge/protocol';
import type { TaskEngine } from '../engine/task-engine';
import type { Attachment, AuthContext } from '../engine/types';
import type { ResolvedServerOptions } from '../options';

/** What an operation answers: the HTTP status and the JSON body. */
export interface OpResult<T> {
  status: number;
  body: T;
}

/** A query string as adapters see it: one value, repeated values, or absent. */
export type QueryValues = Readonly<Record<string, string | readonly string[] | undefined>>;

/** Parameters of a poll (protocol/SPEC.md §4), validated. */
export interface PollQuery {
  afterEventId: string | null;
  /** Long-poll wait, ms, 0–60000; default 0 (short poll, as the peer). */
  waitTimeoutMs: number;
  /** 1–500; default 100. */
  maxEvents: number;
}

const invalid = (message: string, details: Record<string, unknown> = {}) =>
  new TaskBridgeError({ code: 'INVALID_REQUEST', message, details });

const issuesOf = (issues: readonly unknown[]) => ({ issues: issues.map((i) => ({ ...(i as object) })) });

function intParam(query: QueryValues, name: string, min: number, max: number, fallback: number): number {
  const raw = query[name];
  if (raw === undefined) return fallback;
  if (typeof raw !== 'string' || !/^\d{1,9}$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw invalid(`${name} must be an integer from ${min} to ${max}`, { parameter: name });
  }
  return Number(raw);
}

/**
 * Validates the poll query (protocol/SPEC.md §4; camelCase only).
 *
 * @throws {TaskBridgeError} `INVALID_REQUEST` (400) for a repeated `afterEventId` or an out-of-range
 *   `waitTimeoutMs` (0–60000) / `maxEvents` (1–500).
 */
export function parsePollQuery(query: QueryValues): PollQuery {
  const after = query.afterEventId;
  if (after !== undefined && typeof after !== 'string') throw invalid('afterEventId must be given once');
  return {
    afterEventId: after ?? null,
    // protocol/SPEC.md §4: the peer's default is a short poll (0), whatever the OpenAPI file says.
    waitTimeoutMs: intParam(query, 'waitTimeoutMs', 0, PollLimits.MAX_WAIT_TIMEOUT_MS, 0),
    maxEvents: intParam(query, 'maxEvents', 1, PollLimits.MAX_EVENTS, PollLimits.DEFAULT_MAX_EVENTS),
  };
}

/**
 * `GET …/events` (protocol/SPEC.md §4): poll or long-poll; `signal` ends the wait (client gone, shutdown).
 *
 * @throws {TaskBridgeError} `INVALID_REQUEST` (bad query or cursor), `TASK_NOT_FOUND` (404).
 */
export async function pollOp(
  engine: TaskEngine,
  auth: AuthContext,
  taskId: string,
  query: QueryValues,
  signal?: AbortSignal,
): Promise<OpResult<PollEventsResponse>> {
  const params = parsePollQuery(query);
  const body = await engine.poll(auth, taskId, { ...params, ...(signal ? { signal } : {}) });
  return { status: 200, body };
}

/**
 * The SSE cursor (protocol/SPEC.md §5): the `Last-Event-ID` header, else (our extension) `?lastEventId=`; the
 * header wins. `undefined` means "from the oldest retained event".
 */
export function sseCursorOf(header: string | null | undefined, query: QueryValues): string | undefined {
  const fromQuery = query[LAST_EVENT_ID_QUERY_PARAM];
  return header ?? (typeof fromQuery === 'string' ? fromQuery : undefined);
}

/**
 * `POST /tasks` (protocol/SPEC.md §2) once the body is parsed: 201 for a new task, 200 (`deduplicated: true`)
 * for an identical repeat.
 *
 * @throws {TaskBridgeError} `INVALID_REQUEST` (invalid body or unknown `taskType`), `IDEMPOTENCY_CONFLICT` (409).
 */
export async function createTaskOp(
  engine: TaskEngine,
  auth: AuthContext,
  candidate: unknown,
  attachments: readonly Attachment[] = [],
): Promise<OpResult<TaskCreatedResponse>> {
  const parsed = parseCreateTaskRequest(candidate);
  if (!parsed.ok) throw invalid(parsed.error.message, issuesOf(parsed.error.issues));
  const result = await engine.createTask(auth, parsed.value as CreateTaskRequest, attachments);
  return { status: result.created ? 201 : 200, body: result.response };
}

/**
 * `POST …/cancel` (protocol/SPEC.md §7): optional `{reason}` → 202. An absent or empty body is `{}`.
 *
 * @throws {TaskBridgeError} `INVALID_REQUEST` (bad body), `TASK_NOT_FOUND` (404).
 */
export async function cancelOp(
  engine: TaskEngine,
  auth: AuthContext,
  taskId: string,
  body: unknown,
): Promise<OpResult<CancelTaskResponse>> {
  const parsed = parseCancelTaskRequest(body === undefined || body === null || body === '' ? {} : body);
  if (!parsed.ok) throw invalid(parsed.error.message, issuesOf(parsed.error.issues));
  return { status: 202, body: await engine.cancel(auth, taskId, parsed.value.reason) };
}

/**
 * `POST …/actions` (protocol/SPEC.md §7) → 202 `ACCEPTED` / `REJECTED_*`, 200 `DEDUPLICATED`. Ownership is checked
 * before the body, so a foreign task is a 404 whatever the body.
 *
 * @throws {TaskBridgeError} `TASK_NOT_FOUND` (404), `INVALID_REQUEST` (400), `IDEMPOTENCY_CONFLICT` (409).
 */
export async function actionOp(
  engine: TaskEngine,
  auth: AuthContext,
  taskId: string,
  body: unknown,
): Promise<OpResult<ClientActionResponse>> {
  await engine.getTask(auth, taskId);
  const parsed = parseClientActionRequest(body);
  if (!parsed.ok) throw invalid(parsed.error.message, issuesOf(parsed.error.issues));
  const { httpStatus, response } = await engine.submitAction(auth, taskId, parsed.value);
  return { status: httpStatus, body: response };
}

/** E1 `GET /tasks/{taskId}` (protocol/SPEC.md §1). @throws {TaskBridgeError} `TASK_NOT_FOUND` (404). */
export async function statusOp(
  engine: TaskEngine,
  auth: AuthContext,
  taskId: string,
): Promise<OpResult<TaskStatusResponse>> {
  return { status: 200, body: await engine.getStatus(auth, taskId) };
}

/** `GET /ready` (protocol/SPEC.md §1): 200 `ready`, or 503 `not_ready`. */
export function readyOp(ready: boolean): OpResult<{ status: 'ready' | 'not_ready'; details: object }> {
  return { status: ready ? 200 : 503, body: { status: ready ? 'ready' : 'not_ready', details: {} } };
}

/**
 * E2 capabilities (protocol/SPEC.md §1), derived from the actual configuration (hazard H7): the backend's
 * retention and the extensions spoken, `history-trimmed` included (protocol/SPEC.md §11).
 */
export function capabilitiesOf(engine: TaskEngine, options: ResolvedServerOptions): CapabilitiesResponse {
  const transports = (['websocket', 'sse', 'polling'] as const).filter(
    (name): name is TransportName => options.transports[name],
  );
  const { routes } = options;
  return {
    protocolVersion: PROTOCOL_VERSION,
    transports,
    heartbeatIntervalMs: { ...options.heartbeatIntervalMs },
    retention: { ...engine.backend.retention },
    extensions: [HISTORY_TRIMMED_EXTENSION],
    ...(options.tickets ? { streamTickets: true } : {}),
    limits: {
      maxEventsPerPoll: PollLimits.MAX_EVENTS,
      maxWaitTimeoutMs: PollLimits.MAX_WAIT_TIMEOUT_MS,
      maxUploadBytes: options.uploads.maxFileBytes,
    },
    routes: {
      create: routes.create,
      cancel: routes.cancel,
      actions: routes.actions,
      status: routes.status,
      ...(options.transports.polling ? { events: routes.events } : {}),
      ...(options.transports.sse ? { stream: routes.stream } : {}),
      ...(options.transports.websocket ? { websocket: routes.websocket } : {}),
      ...(options.tickets ? { streamTickets: routes.streamTickets } : {}),
    },
  };
}
