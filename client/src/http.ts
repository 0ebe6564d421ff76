/**
 * The request/response half of TaskBridge: create (JSON or multipart), cancel, actions, task status (E1)
 * and capabilities (E2). Every response is checked in this order: status, content type, body schema
 * (hazard H5); every failure is a {@link TaskBridgeError}.
 */
import {
  type CancelTaskResponse,
  type CapabilitiesResponse,
  type ClientActionResponse,
  type JsonObject,
  type ParseResult,
  parseCancelTaskResponse,
  parseCapabilitiesResponse,
  parseClientActionResponse,
  parseTaskCreatedResponse,
  parseTaskEvent,
  parseTaskStatusResponse,
  ProtocolValidationError,
  type StreamTicketResponse,
  TaskBridgeError,
  type TaskCreatedResponse,
  type TaskStatusResponse,
} from '@taskbridge/protocol';
import { asAuthentication, errorFromFetchFailure, transportUnavailable } from './errors';
import type { TransportContext } from './platform';
import { discardBody, type Parser, readJsonResponse } from './read-json-response';

/** A file to upload; a bare `Blob` (or `File`) uses its own name, if any. */
export interface FileAttachment {
  /** The file's bytes, sent as one `attachments` part (protocol/SPEC.md §2 multipart). */
  blob: Blob;
  /** File name sent in the multipart part. Default: the `File`'s name, else `attachment`. */
  filename?: string;
}

/** Arguments of {@link HttpApi.createTask} (protocol/SPEC.md §2). */
export interface CreateTaskParams {
  /** Idempotency key: re-sending the same id returns the same task (200, `deduplicated: true`). */
  clientRequestId: string;
  taskType: string;
  /** Task input. Default `{}` (always sent: the peer requires it). */
  input?: JsonObject;
  /** Free-form metadata, not compared for idempotency. */
  metadata?: JsonObject;
  /** Files, sent as `attachments` parts of a `multipart/form-data` body. Default: none (JSON body). */
  files?: ReadonlyArray<Blob | FileAttachment>;
}

/** Arguments of {@link HttpApi.submitAction} (protocol/SPEC.md §7). */
export interface SubmitActionParams {
  /** Idempotency key of the action: an identical repeat answers 200 `DEDUPLICATED`. */
  clientActionId: string;
  suspendId: string;
  /** One of the suspension's `allowedActions`. */
  actionType: string;
  payload?: JsonObject;
  metadata?: JsonObject;
}

/** Per-call options. */
export interface RequestOptions {
  /** Aborts the request; the call then rejects with `ABORTED`. */
  signal?: AbortSignal;
}

/**
 * TaskBridge's HTTP routes. Every method rejects with a {@link TaskBridgeError}:
 * - non-2xx: see {@link errorFromResponse} (401 is retried once after `refreshAccessToken`, when set);
 * - 2xx that is not JSON, or JSON that is unreadable: `UNEXPECTED_RESPONSE` (retryable);
 * - JSON that breaks the response schema: `PROTOCOL_ERROR` (not retryable; `cause` is the
 *   `ProtocolValidationError`);
 * - `fetch` rejected: `NETWORK_ERROR` (retryable), or `ABORTED` when the signal was aborted;
 * - no `fetch` on the platform: `TRANSPORT_UNAVAILABLE`.
 */
export interface HttpApi {
  /** `POST create` (protocol/SPEC.md §2): 201 new task, 200 deduplicated repeat. 409 on a conflicting repeat. */
  createTask(params: CreateTaskParams, options?: RequestOptions): Promise<TaskCreatedResponse>;
  /** `POST cancel` (protocol/SPEC.md §7): 202 `CANCELLATION_REQUESTED` or `ALREADY_TERMINAL`. */
  cancelTask(taskId: string, reason?: string, options?: RequestOptions): Promise<CancelTaskResponse>;
  /** `POST actions` (protocol/SPEC.md §7): 202 `ACCEPTED`/`REJECTED_*`, 200 `DEDUPLICATED`; 409 on conflict. */
  submitAction(
    taskId: string,
    action: SubmitActionParams,
    options?: RequestOptions,
  ): Promise<ClientActionResponse>;
  /** `GET status` (E1): the task's status, last eventId and terminal event. 404 on a peer. */
  getTaskStatus(taskId: string, options?: RequestOptions): Promise<TaskStatusResponse>;
  /** `GET capabilities` (E2); resolves `undefined` on 404 (peers do not serve it). */
  getCapabilities(options?: RequestOptions): Promise<CapabilitiesResponse | undefined>;
  /** `POST streamTickets` (protocol/SPEC.md §12): a single-use ticket for one task's stream. 404 for a foreign task. */
  mintStreamTicket(taskId: string, options?: RequestOptions): Promise<StreamTicketResponse>;
}

interface SendOptions<T> {
  method: 'GET' | 'POST';
  url: string;
  parse: Parser<T>;
  json?: unknown;
  form?: FormData;
  signal: AbortSignal | undefined;
}

/** Creates the {@link HttpApi} over a {@link TransportContext}. */
export function createHttpApi(context: TransportContext): HttpApi {
  const send = <T>(options: SendOptions<T>) => sendRequest(context, options);
  return {
    createTask(params, options = {}) {
      const body = { clientRequestId: params.clientRequestId, taskType: params.taskType };
      const input = params.input ?? {};
      const url = context.resolveUrl('create');
      const parse = parseTaskCreatedResponse;
      if (params.files && params.files.length > 0) {
        const form = new FormData();
        form.append('clientRequestId', body.clientRequestId);
        form.append('taskType', body.taskType);
        form.append('input', JSON.stringify(input));
        if (params.metadata) form.append('metadata', JSON.stringify(params.metadata));
        for (const file of params.files) appendFile(form, file);
        return send({ method: 'POST', url, parse, form, signal: options.signal });
      }
      const json = params.metadata ? { ...body, input, metadata: params.metadata } : { ...body, input };
      return send({ method: 'POST', url, parse, json, signal: options.signal });
    },
    cancelTask(taskId, reason, options = {}) {
      return send({
        method: 'POST',
        url: context.resolveUrl('cancel', { taskId }),
        parse: parseCancelTaskResponse,
        json: reason === undefined ? {} : { reason },
        signal: options.signal,
      });
    },
    submitAction(taskId, action, options = {}) {
      const json: Record<string, unknown> = {
        clientActionId: action.clientActionId,
        suspendId: action.suspendId,
        actionType: action.actionType,
      };
      if (action.payload !== undefined) json.payload = action.payload;
      if (action.metadata !== undefined) json.metadata = action.metadata;
      return send({
        method: 'POST',
        url: context.resolveUrl('actions', { taskId }),
        parse: parseClientActionResponse,
        json,
        signal: options.signal,
      });
    },
    getTaskStatus(taskId, options = {}) {
      return send({
        method: 'GET',
        url: context.resolveUrl('status', { taskId }),
        parse: parseTaskStatus,
        signal: options.signal,
      });
    },
    mintStreamTicket(taskId, options = {}) {
      return send({
        method: 'POST',
        url: context.resolveUrl('streamTickets'),
        parse: parseStreamTicket,
        json: { taskId },
        signal: options.signal,
      });
    },
    async getCapabilities(options = {}) {
      try {
        return await send({
          method: 'GET',
          url: context.resolveUrl('capabilities'),
          parse: parseCapabilities,
          signal: options.signal,
        });
      } catch (error) {
        if (error instanceof TaskBridgeError && error.status === 404) return undefined;
        throw error;
      }
    },
  };
}

function appendFile(form: FormData, file: Blob | FileAttachment): void {
  const blob = file instanceof Blob ? file : file.blob;
  const own = 'name' in blob && typeof blob.name === 'string' && blob.name ? blob.name : undefined;
  const filename = (file instanceof Blob ? undefined : file.filename) ?? own ?? 'attachment';
  form.append('attachments', blob, filename);
}

async function sendRequest<T>(context: TransportContext, options: SendOptions<T>): Promise<T> {
  const { signal } = options;
  const fetchImpl = context.getFetch();
  if (!fetchImpl) throw transportUnavailable('no fetch on this platform');
  // A JSON string and a FormData can both be sent twice, which the 401 retry needs.
  const body = options.form ?? (options.json === undefined ? undefined : JSON.stringify(options.json));
  for (let refreshed = false; ; refreshed = true) {
    const { headers } = await context.getCredentials();
    const requestHeaders: Record<string, string> = { Accept: 'application/json', ...headers };
    // FormData sets its own multipart content type with the boundary.
    if (typeof body === 'string') requestHeaders['Content-Type'] = 'application/json';
    let response: Response;
    try {
      response = await fetchImpl(options.url, {
        method: options.method,
        headers: requestHeaders,
        body,
        signal,
      });
    } catch (error) {
      throw errorFromFetchFailure(error, signal);
    }
    if (response.status === 401 && !refreshed && context.refreshAccessToken) {
      discardBody(response);
      await asAuthentication('refreshAccessToken', context.refreshAccessToken);
      continue;
    }
    return readJsonResponse(response, options.parse, { clock: context.clock, signal });
  }
}

// The terminal event inside E1 is checked with the event parser, so an off-schema one still passes.
function parseTaskStatus(value: unknown): ParseResult<TaskStatusResponse> {
  const parsed = parseTaskStatusResponse(value);
  if (!parsed.ok || parsed.value.terminalEvent === null) return parsed;
  const event = parseTaskEvent(parsed.value.terminalEvent);
  return event.ok ? parsed : { ok: false, error: event.error };
}

const parseCapabilities = parseCapabilitiesResponse;

// The ticket body has no schema in the protocol package: checked field by field, as strictly.
function parseStreamTicket(value: unknown): ParseResult<StreamTicketResponse> {
  const body = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const bad = (['ticket', 'taskId', 'expiresAt'] as const).find(
    (key) => typeof body[key] !== 'string' || body[key] === '',
  );
  if (bad === undefined) return { ok: true, value: body as unknown as StreamTicketResponse };
  const issue = { path: `/${bad}`, message: 'must be a non-empty string' };
  return {
    ok: false,
    error: new ProtocolValidationError('SCHEMA_VIOLATION', 'StreamTicketResponse', [issue]),
  };
}
