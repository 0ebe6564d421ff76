/**
 * Every error the client makes, in one place: HTTP status → typed error
 * (protocol/SPEC.md §8, hazard H5), failed requests and sockets, deadlines, streams that end early,
 * misuse of the API, checkpoint storage. Everything the client throws or reports is a
 * {@link TaskBridgeError} with a stable `code`; {@link toTaskBridgeError} normalises the rest.
 */
import {
  ERROR_CODES,
  ERROR_STATUS,
  type ErrorCode,
  parseErrorEnvelope,
  parseJson,
  TaskBridgeError,
  type TaskBridgeErrorCode,
  type TransportName,
} from '@taskbridge/protocol';

/**
 * Normalises anything caught into a {@link TaskBridgeError}: returns it when it already is one, maps
 * an `AbortError` to `ABORTED`, and wraps everything else as `INTERNAL_ERROR` (not retryable) with the
 * original as `cause`. Unlike `TaskBridgeError.from`, a `TypeError` is not read as a network failure:
 * the client classifies what `fetch` and socket constructors throw where it calls them
 * ({@link errorFromFetchFailure}), so a `TypeError` reaching this function is a bug, and retrying a bug
 * only hides it.
 */
export function toTaskBridgeError(error: unknown): TaskBridgeError {
  if (error instanceof TaskBridgeError) return error;
  if (error instanceof Error && error.name === 'AbortError') {
    return new TaskBridgeError({ code: 'ABORTED', message: 'aborted', retryable: false, cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new TaskBridgeError({ code: 'INTERNAL_ERROR', message, retryable: false, cause: error });
}

/** `USAGE_ERROR` (never retryable, no HTTP status): the app misused the API; nothing was sent. */
export function usageError(message: string): TaskBridgeError {
  return new TaskBridgeError({ code: 'USAGE_ERROR', message, retryable: false });
}

/**
 * Runs `call` (the app's own `getAccessToken` or `refreshAccessToken`) and turns what it throws into
 * `AUTHENTICATION_ERROR` (not retryable), named after `what`.
 */
export async function asAuthentication<T>(what: string, call: () => T | Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (cause) {
    throw new TaskBridgeError({
      code: 'AUTHENTICATION_ERROR',
      message: `${what} failed`,
      retryable: false,
      cause,
    });
  }
}

/** `ABORTED` for a stream stopped before its terminal event (`client.close()`, or nobody observing). */
export function stoppedError(): TaskBridgeError {
  return new TaskBridgeError({
    code: 'ABORTED',
    message: 'the stream was stopped before its terminal event',
    retryable: false,
  });
}

/**
 * The code for a status when the body carries no recognisable envelope: the first code that
 * protocol/SPEC.md §8 answers with that status (400 `INVALID_REQUEST`, 401 `AUTHENTICATION_ERROR`, …),
 * any 5xx `SERVER_ERROR`, anything else `UNEXPECTED_RESPONSE`.
 */
function codeForStatus(status: number): TaskBridgeErrorCode {
  if (status >= 500) return 'SERVER_ERROR';
  return ERROR_CODES.find((code) => ERROR_STATUS[code] === status) ?? 'UNEXPECTED_RESPONSE';
}

function isErrorCode(code: string): code is ErrorCode {
  return (ERROR_CODES as readonly string[]).includes(code);
}

/**
 * Builds the typed error for a non-2xx response. Reads (and so consumes) the body.
 *
 * - With a JSON error envelope `{code, message, details, timestamp}` whose code is known: that code,
 *   message and details. An unknown envelope code keeps the status's code and is kept in
 *   `details.serverCode`.
 * - Without one: 400 `INVALID_REQUEST`, 401 `AUTHENTICATION_ERROR`, 403 `TASK_OWNERSHIP_ERROR`, 404
 *   `TASK_NOT_FOUND`, 409 `IDEMPOTENCY_CONFLICT`, 413 `PAYLOAD_TOO_LARGE`, 415 `UNSUPPORTED_MEDIA_TYPE`,
 *   422 `REQUEST_VALIDATION_ERROR`, 429 `RATE_LIMITED`, 5xx `SERVER_ERROR`, anything else
 *   `UNEXPECTED_RESPONSE` (not retryable).
 *
 * `status` is always the response's status. `retryable` follows protocol/SPEC.md §8: 429 and 5xx are
 * retryable, the rest are not. `retryAfterMs` comes from `Retry-After` (seconds or an HTTP date) on any
 * status. Never throws: an unreadable body is treated as no envelope.
 *
 * @param now - current time in ms since the epoch (the client's clock), for `Retry-After` dates.
 */
export async function errorFromResponse(response: Response, now: number): Promise<TaskBridgeError> {
  const status = response.status;
  const fallback = codeForStatus(status);
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), now);
  const retryable = status === 429 || status >= 500;
  const text = await response.text().catch(() => '');
  const json = isJsonContentType(response.headers.get('content-type')) ? parseJson(text) : undefined;
  const envelope = json?.ok ? parseErrorEnvelope(json.value) : undefined;
  if (envelope?.ok) {
    const { code: serverCode, message, details } = envelope.value;
    const known = isErrorCode(serverCode);
    return new TaskBridgeError({
      code: known ? serverCode : fallback,
      message,
      status,
      retryable,
      retryAfterMs,
      details: known ? details : { ...details, serverCode },
    });
  }
  return new TaskBridgeError({
    code: fallback,
    message: `HTTP ${status}${response.statusText ? ` ${response.statusText}` : ''}`,
    status,
    retryable,
    retryAfterMs,
  });
}

/**
 * Parses a `Retry-After` header value into ms: delta-seconds (`"2"` → 2000) or an HTTP date (time until
 * it, at least 0). Returns `undefined` for a missing or unreadable value.
 *
 * @param now - current time in ms since the epoch (the client's clock).
 */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** True for `application/json` and `application/*+json`, with or without parameters. */
export function isJsonContentType(contentType: string | null): boolean {
  return contentType !== null && /^application\/([\w.-]+\+)?json\s*(;|$)/i.test(contentType.trim());
}

/**
 * The typed error for a 2xx that is not the protocol: another content type (e.g. a proxy's or a login
 * page's HTML) or an unreadable body. `UNEXPECTED_RESPONSE`, retryable, with `details.notProtocol`
 * set: the machine gives up on a transport that answers like this, and fails the stream once every
 * transport did (hazard H5).
 */
export function unexpectedResponse(response: Response, expected: string): TaskBridgeError {
  const contentType = response.headers.get('content-type');
  return new TaskBridgeError({
    code: 'UNEXPECTED_RESPONSE',
    message: `expected ${expected}, got HTTP ${response.status} ${contentType ?? '(no content type)'}`,
    status: response.status,
    retryable: true,
    details: { contentType, notProtocol: true },
  });
}

/**
 * `UNEXPECTED_RESPONSE`, final: every transport answered with something that is not the protocol (a
 * login page, a proxy's error page, garbage on the WebSocket), so retrying cannot help. `cause`: the
 * last such answer.
 */
export function notProtocolError(transports: readonly TransportName[], cause: unknown): TaskBridgeError {
  return new TaskBridgeError({
    code: 'UNEXPECTED_RESPONSE',
    message: `no transport answered with the TaskBridge protocol (${transports.join(', ')}): check the base URL, proxies and authentication`,
    retryable: false,
    details: { transports, notProtocol: true },
    cause,
  });
}

/** True for an error that says the peer does not speak the protocol (see {@link unexpectedResponse}). */
export function isNotProtocol(error: TaskBridgeError | null): boolean {
  return error?.details.notProtocol === true;
}

/**
 * The typed error for a rejected `fetch` (or a failed body read): `ABORTED` (not retryable) when
 * `signal` was aborted, the abort reason when it is a `TaskBridgeError` (e.g. a request `TIMEOUT`),
 * otherwise `NETWORK_ERROR` (retryable) with the original error as `cause`.
 */
export function errorFromFetchFailure(cause: unknown, signal?: AbortSignal): TaskBridgeError {
  if (cause instanceof TaskBridgeError) return cause;
  if (signal?.aborted) {
    if (signal.reason instanceof TaskBridgeError) return signal.reason;
    return new TaskBridgeError({ code: 'ABORTED', message: 'aborted', retryable: false, cause });
  }
  return networkError(cause instanceof Error ? cause.message : String(cause), cause);
}

/** `NETWORK_ERROR` (retryable): a request or socket failed before any response. */
export function networkError(
  message: string,
  cause?: unknown,
  details?: Record<string, unknown>,
): TaskBridgeError {
  return new TaskBridgeError({ code: 'NETWORK_ERROR', message, retryable: true, details, cause });
}

/**
 * `PROTOCOL_ERROR`: a response or frame broke the contract. Not retryable by default; `notProtocol`
 * marks a peer that answered with something else entirely (retryable on another transport).
 */
export function protocolError(
  message: string,
  options: {
    cause?: unknown;
    status?: number;
    details?: Record<string, unknown>;
    notProtocol?: boolean;
  } = {},
): TaskBridgeError {
  const notProtocol = options.notProtocol === true;
  return new TaskBridgeError({
    code: 'PROTOCOL_ERROR',
    message,
    status: options.status,
    retryable: notProtocol,
    details: notProtocol ? { ...options.details, notProtocol } : options.details,
    cause: options.cause,
  });
}

/**
 * `CONNECTION_CLOSED` (retryable): a stream ended before the terminal event (protocol/SPEC.md §5: a
 * peer may end a stream it should have kept open).
 */
export function connectionClosed(
  transport: TransportName,
  details: Record<string, unknown> = {},
): TaskBridgeError {
  return new TaskBridgeError({
    code: 'CONNECTION_CLOSED',
    message: `${transport}: the stream ended before the terminal event`,
    retryable: true,
    details: { transport, ...details },
  });
}

/** `TRANSPORT_UNAVAILABLE` (fatal): the platform or the server offers no usable transport. */
export function transportUnavailable(
  message = 'no usable transport: the server offers none this environment supports (or forceTransport is not among them)',
): TaskBridgeError {
  return new TaskBridgeError({ code: 'TRANSPORT_UNAVAILABLE', message, retryable: false });
}

/** Which deadline a `TIMEOUT` came from (in `details.deadline`). */
export type Deadline = 'open' | 'firstFrame' | 'liveness' | 'request' | 'giveUp';

/** What a missed deadline was about. */
export interface TimeoutInfo {
  deadline: Deadline;
  /** The deadline that passed, ms. */
  timeoutMs: number;
  /** The transport it applied to, if any. */
  transport?: TransportName;
  /** The failure that came before, e.g. the last retryable error before giving up. */
  cause?: unknown;
}

/** `TIMEOUT` (retryable) with `details = { deadline, transport?, timeoutMs }`. */
export function timeoutError({ deadline, timeoutMs, transport, cause }: TimeoutInfo): TaskBridgeError {
  const what = deadline === 'open' ? 'open' : deadline === 'giveUp' ? 'live connection' : 'frame';
  const subject = transport === undefined ? '' : `${transport}: `;
  return new TaskBridgeError({
    code: 'TIMEOUT',
    message: `${subject}no ${what} within ${timeoutMs} ms (${deadline} deadline)`,
    details: transport === undefined ? { deadline, timeoutMs } : { deadline, transport, timeoutMs },
    cause,
  });
}

/** A `CHECKPOINT_ERROR` (not retryable) wrapping what the storage threw. */
export function checkpointError(message: string, cause?: unknown): TaskBridgeError {
  if (cause instanceof TaskBridgeError && cause.code === 'CHECKPOINT_ERROR') return cause;
  const detail = cause instanceof Error ? `: ${cause.name}: ${cause.message}` : '';
  return new TaskBridgeError({
    code: 'CHECKPOINT_ERROR',
    message: `${message}${detail}`,
    retryable: false,
    cause,
  });
}
