/**
 * Reading a JSON response the way every HTTP call and the polling transport must (hazard H5):
 * status first, then content type, then JSON, then the schema.
 */
import { type ParseResult, parseJson, TaskBridgeError } from '@taskbridge/protocol';
import type { Clock } from './clock';
import {
  errorFromFetchFailure,
  errorFromResponse,
  isJsonContentType,
  protocolError,
  unexpectedResponse,
} from './errors';

/** A protocol parser, e.g. `parsePollEventsResponse`. */
export type Parser<T> = (value: unknown) => ParseResult<T>;

/** Options of {@link readJsonResponse}. */
export interface ReadOptions {
  /** For `Retry-After` dates. */
  clock: Clock;
  /** The request's signal: a body read failing after it aborted is `ABORTED`, not a network error. */
  signal?: AbortSignal | undefined;
}

/**
 * Reads a response in the H5 order: status, content type, JSON, schema.
 *
 * @throws {TaskBridgeError} the status's typed error (`errorFromResponse`); `UNEXPECTED_RESPONSE` for
 *   another content type or unreadable JSON (retryable, `details.notProtocol`); `PROTOCOL_ERROR` for a
 *   schema violation.
 */
export async function readJsonResponse<T>(
  response: Response,
  parse: Parser<T>,
  { clock, signal }: ReadOptions,
): Promise<T> {
  if (!response.ok) throw await errorFromResponse(response, clock.now());
  if (!isJsonContentType(response.headers.get('content-type'))) {
    discardBody(response);
    throw unexpectedResponse(response, 'application/json');
  }
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    throw errorFromFetchFailure(error, signal);
  }
  const json = parseJson(text);
  if (!json.ok) {
    throw new TaskBridgeError({
      code: 'UNEXPECTED_RESPONSE',
      message: `unreadable JSON body (HTTP ${response.status})`,
      status: response.status,
      retryable: true,
      details: { notProtocol: true },
      cause: json.error,
    });
  }
  const parsed = parse(json.value);
  if (!parsed.ok) {
    const { message, issues } = parsed.error;
    throw protocolError(message, { status: response.status, details: { issues }, cause: parsed.error });
  }
  return parsed.value;
}

/** Releases a body we will not read (never awaited: MSW on Node never settles the cancel). */
export function discardBody(response: Response): void {
  void response.body?.cancel().catch(() => undefined);
}
