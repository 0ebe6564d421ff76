/**
 * HTTP status → typed {@link TaskBridgeError} (protocol/SPEC.md §8, protocol/SPEC.md §13 (H5)). Shared by the HTTP API and
 * the SSE and polling transports, so one response is classified the same way wherever it arrives.
 */
import {
  ERROR_CODES,
  type ErrorCode,
  parseErrorEnvelope,
  parseJson,
  TaskBridgeError,
  type TaskBridgeErrorCode,
} from '@taskbridge/protocol';

/** The code for a status when the body carries no recognisable envelope. */
function codeForStatus(status: number): TaskBridgeErrorCode {
  switch (status) {
    case 400:
      return 'INVALID_REQUEST';
    case 401:
      return 'AUTHENTICATION_ERROR';
    case 403:
      return 'TASK_OWNERSHIP_ERROR';
    case 404:
      return 'TASK_NOT_FOUND';
    case 409:
      return 'IDEMPOTENCY_CONFLICT';
    case 413:
      return 'PAYLOAD_TOO_LARGE';
    case 415:
      return 'UNSUPPORTED_MEDIA_TYPE';
    case 422:
      return 'REQUEST_VALIDATION_ERROR';
    case 429:
      return 'RATE_LIMITED';
    default:
      return status >= 500 ? 'SERVER_ERROR' : 'UNEXPECTED_RESPONSE';
  }
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
 * `status` is always the response's status. `retryable` follows protocol/SPEC.md §8: 429 and 5xx are retryable,
 * the rest are not. `retryAfterMs` comes from `Retry-After` (seconds or an HTTP date) on any status.
 * Never throws: an unreadable body is treated as no envelope.
 *
 * @param now - current time in ms since the epoch, for `Retry-After` dates; default `Date.now()`.
 */
export async function errorFromResponse(
  response: Response,
  now: number = Date.now(),
): Promise<TaskBridgeError> {
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
 * @param now - current time in ms since the epoch; default `Date.now()`.
 */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
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
 * The typed error for a 2xx whose content type or body is not what the route sends (e.g. a proxy's HTML
 * page): `UNEXPECTED_RESPONSE`, retryable (protocol/SPEC.md §13 (H5)).
 */
export function unexpectedResponse(response: Response, expected: string): TaskBridgeError {
  const contentType = response.headers.get('content-type');
  return new TaskBridgeError({
    code: 'UNEXPECTED_RESPONSE',
    message: `expected ${expected}, got HTTP ${response.status} ${contentType ?? '(no content type)'}`,
    status: response.status,
    retryable: true,
    details: { contentType },
  });
}

function isErrorCode(code: string): code is ErrorCode {
  return (ERROR_CODES as readonly string[]).includes(code);
}

/**
 * The typed error for a rejected `fetch` (or a failed body read): `ABORTED` (not retryable) when
 * `signal` was aborted, `TIMEOUT` when the abort reason is a `TaskBridgeError` with that code, otherwise
 * `NETWORK_ERROR` (retryable) with the original error as `cause`.
 */
export function errorFromFetchFailure(cause: unknown, signal?: AbortSignal): TaskBridgeError {
  if (cause instanceof TaskBridgeError) return cause;
  if (signal?.aborted) {
    if (signal.reason instanceof TaskBridgeError) return signal.reason;
    return new TaskBridgeError({ code: 'ABORTED', message: 'aborted', retryable: false, cause });
  }
  const message = cause instanceof Error ? cause.message : String(cause);
  return new TaskBridgeError({ code: 'NETWORK_ERROR', message, retryable: true, cause });
}
