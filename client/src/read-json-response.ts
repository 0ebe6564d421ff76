/**
 * Reading a JSON response the way every HTTP call and the polling transport must (protocol/SPEC.md §13 (H5)):
 * status first, then content type, then JSON, then the schema.
 */
import { type ParseResult, parseJson, TaskBridgeError } from '@taskbridge/protocol';
import {
  errorFromFetchFailure,
  errorFromResponse,
  isJsonContentType,
  unexpectedResponse,
} from './http-errors';

/** A protocol parser, e.g. `parsePollEventsResponse`. */
export type Parser<T> = (value: unknown) => ParseResult<T>;

/**
 * Reads a response in the H5 order: status, content type, JSON, schema.
 *
 * @throws {TaskBridgeError} the status's typed error (`errorFromResponse`); `UNEXPECTED_RESPONSE` for
 *   another content type or unreadable JSON (retryable); `PROTOCOL_ERROR` for a schema violation.
 */
export async function readJsonResponse<T>(
  response: Response,
  parse: Parser<T>,
  signal?: AbortSignal,
): Promise<T> {
  if (!response.ok) throw await errorFromResponse(response);
  if (!isJsonContentType(response.headers.get('content-type'))) {
    await discardBody(response);
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
      cause: json.error,
    });
  }
  const parsed = parse(json.value);
  if (!parsed.ok) {
    throw new TaskBridgeError({
      code: 'PROTOCOL_ERROR',
      message: parsed.error.message,
      status: response.status,
      retryable: false,
      details: { issues: parsed.error.issues },
      cause: parsed.error,
    });
  }
  return parsed.value;
}

/** Releases a body we will not read (never awaited: MSW on Node never settles the cancel). */
export function discardBody(response: Response): void {
  void response.body?.cancel().catch(() => undefined);
}
