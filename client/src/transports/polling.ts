/**
 * The long-polling transport (protocol/SPEC.md §4): `GET events?afterEventId&waitTimeoutMs&maxEvents` in a loop,
 * each response checked for status and content type before it is parsed (hazard H5). The floor of
 * the fallback ladder: plain requests that every proxy passes.
 */
import {
  compareEventIds,
  isTerminalEvent,
  isTerminalEventType,
  type PollEventsResponse,
  PollLimits,
  parsePollEventsResponse,
  parseTaskEvent,
  type TaskStatus,
} from '@taskbridge/protocol';
import { errorFromFetchFailure, timeoutError, toTaskBridgeError, transportUnavailable } from '../errors';
import type { FetchFunction, TransportContext } from '../platform';
import { readJsonResponse } from '../read-json-response';
import { TransportLink } from './frames';
import type { Transport, TransportRequest } from './transport';

/** Options of the polling transport. */
export interface PollingTransportOptions {
  /**
   * `waitTimeoutMs` sent with every request, in ms (0–60000). Always sent explicitly: the peer defaults
   * to 0, a short poll (protocol/SPEC.md §4). Default 25000.
   */
  waitTimeoutMs?: number;
  /** `maxEvents` sent with every request (1–500). Default 500. */
  maxEvents?: number;
  /** Per-request deadline in ms, after which the request is aborted with `TIMEOUT`. Default `waitTimeoutMs + 10000`. */
  requestTimeoutMs?: number;
}

/** Default long-poll wait, ms (the OpenAPI default; protocol/SPEC.md §4). */
export const DEFAULT_WAIT_TIMEOUT_MS = 25_000;

const REQUEST_TIMEOUT_MARGIN_MS = 10_000;
const TERMINAL_STATUSES: ReadonlySet<TaskStatus> = new Set<TaskStatus>(['COMPLETED', 'FAILED', 'CANCELLED']);

/**
 * Creates the long-polling transport.
 *
 * The next request is sent as soon as a response is read, before its events are delivered, so the
 * server prepares the next batch while the client folds this one. Each request's `afterEventId` is the
 * newer of `request.getCursor()` (read before each request) and the last eventId of the responses this
 * connection read, so a consumer that is slow to advance its cursor
 * never causes a re-fetch; when the two are incomparable, the transport's own id wins. It is omitted
 * while both are `null` (replay from the oldest retained event).
 *
 * Messages: `open` after the first response that passed the checks; per response, an `event` for each
 * event in order (`malformed` for one that is not an event; its eventId, if readable, still advances
 * the cursor), preceded by `history-trimmed` when the response says so (protocol/SPEC.md §11), or one `heartbeat` when there were none; `closed` right after a terminal event, or when
 * an empty response says the task is terminal (`taskStatus`, our extension). Errors end the loop:
 * non-2xx → {@link errorFromResponse}; a 2xx that is not JSON or not readable → `UNEXPECTED_RESPONSE`
 * (retryable); a body that breaks the schema → `PROTOCOL_ERROR`; `fetch` rejected → `NETWORK_ERROR`
 * (retryable); no answer within `requestTimeoutMs` → `TIMEOUT` (retryable). Aborting `request.signal`
 * cancels the pending request and reports nothing more. Never throws: every failure is an `error` message.
 *
 * @param context - the client's connection context (base URL, routes, credentials, `fetch`).
 * @param options - {@link PollingTransportOptions}; defaults `waitTimeoutMs` 25000 ms, `maxEvents` 500.
 * @see protocol/SPEC.md §4 (poll), hazard H1 (ends after the terminal event), H5 (status before body)
 */
export function createPollingTransport(
  context: TransportContext,
  options: PollingTransportOptions = {},
): Transport {
  const waitTimeoutMs = options.waitTimeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS;
  const settings: PollSettings = {
    waitTimeoutMs,
    maxEvents: options.maxEvents ?? PollLimits.MAX_EVENTS,
    requestTimeoutMs: options.requestTimeoutMs ?? waitTimeoutMs + REQUEST_TIMEOUT_MARGIN_MS,
  };
  return {
    name: 'polling',
    isSupported: () => context.getFetch() !== undefined,
    connect(request, sink) {
      void pollLoop({ context, settings, request, link: new TransportLink(request, sink) });
    },
  };
}

interface PollSettings {
  waitTimeoutMs: number;
  maxEvents: number;
  requestTimeoutMs: number;
}

/** One polling connection. */
interface PollConnection {
  context: TransportContext;
  settings: PollSettings;
  request: TransportRequest;
  link: TransportLink;
}

async function pollLoop({ context, settings, request, link }: PollConnection): Promise<void> {
  let opened = false;
  let lastSeen: string | null = null;
  // Reads the credentials, then sends the next request: the fetch has started when this resolves (its
  // response is wrapped, or awaiting this would wait for it).
  const send = async (): Promise<{ response: Promise<PollEventsResponse> }> => {
    const { headers } = await context.getCredentials();
    const url = new URL(context.resolveUrl('events', { taskId: request.taskId }));
    const cursor = newer(request.getCursor(), lastSeen);
    if (cursor !== null) url.searchParams.set('afterEventId', cursor);
    url.searchParams.set('waitTimeoutMs', String(settings.waitTimeoutMs));
    url.searchParams.set('maxEvents', String(settings.maxEvents));
    const timeoutMs = settings.requestTimeoutMs;
    const polling = pollOnce(context, url.toString(), { timeoutMs, outer: request.signal, headers });
    // Awaited in the next round; until then a rejection must not count as unhandled.
    polling.catch(() => undefined);
    return { response: polling };
  };
  let next: { response: Promise<PollEventsResponse> } | undefined;
  while (!link.ended) {
    let body: PollEventsResponse;
    try {
      body = await (next ?? (await send())).response;
    } catch (error) {
      return link.emit({ type: 'error', error: toTaskBridgeError(error) });
    }
    next = undefined;
    if (!opened) {
      opened = true;
      link.emit({ type: 'open' });
    }
    // The events that follow start at the first retained one (protocol/SPEC.md §11).
    if (body.historyTrimmed) link.emit({ type: 'history-trimmed', info: body.historyTrimmed });
    const { events } = body;
    if (events.length === 0) {
      // Our server answers at once once the task is terminal and nothing is newer (E): polling again
      // would spin, and nothing more can come.
      const terminal = body.taskStatus !== undefined && TERMINAL_STATUSES.has(body.taskStatus);
      link.emit(terminal ? { type: 'closed' } : { type: 'heartbeat' });
      continue;
    }
    // Server order is authoritative: the next request starts after this response's last readable id,
    // even a malformed event's (unless it is older, e.g. a stray duplicate: then the cursor stays). It
    // goes out before this response is delivered, so the server prepares the next batch meanwhile.
    lastSeen = newer(lastSeen, lastIdOf(events));
    let failure: unknown;
    if (!events.some(isTerminalRaw)) next = await send().catch((error: unknown) => void (failure = error));
    for (const raw of events) {
      if (link.ended) return;
      const parsed = parseTaskEvent(raw);
      if (!parsed.ok) {
        link.emit({ type: 'malformed', error: parsed.error, raw: JSON.stringify(raw) });
        continue;
      }
      link.emit({ type: 'event', event: parsed.value, conformance: parsed.conformance });
      if (isTerminalEvent(parsed.value)) return link.emit({ type: 'closed' });
    }
    if (failure !== undefined) return link.emit({ type: 'error', error: toTaskBridgeError(failure) });
  }
}

/**
 * One poll request with its own deadline.
 *
 * @throws {TaskBridgeError} as listed on {@link createPollingTransport}.
 */
async function pollOnce(
  context: TransportContext,
  url: string,
  { timeoutMs, outer, headers }: { timeoutMs: number; outer: AbortSignal; headers: Record<string, string> },
): Promise<PollEventsResponse> {
  const fetchImpl: FetchFunction | undefined = context.getFetch();
  if (!fetchImpl) throw transportUnavailable('no fetch on this platform');
  const controller = new AbortController();
  const onAbort = () => controller.abort(outer.reason);
  if (outer.aborted) onAbort();
  else outer.addEventListener('abort', onAbort, { once: true });
  const { clock } = context;
  const timer = clock.setTimeout(() => {
    controller.abort(timeoutError({ deadline: 'request', timeoutMs }));
  }, timeoutMs);
  try {
    const response = await fetchImpl(url, {
      headers: { Accept: 'application/json', ...headers },
      signal: controller.signal,
    });
    return await readJsonResponse(response, parsePollEventsResponse, { clock, signal: controller.signal });
  } catch (error) {
    throw errorFromFetchFailure(error, controller.signal);
  } finally {
    clock.clearTimeout(timer);
    outer.removeEventListener('abort', onAbort);
  }
}

/** The newer of two cursors; `null` is older than everything; incomparable ids keep `own`. */
function newer(cursor: string | null, own: string | null): string | null {
  if (own === null) return cursor;
  if (cursor === null) return own;
  return compareEventIds(cursor, own) === 1 ? cursor : own;
}

/** A raw event whose type is terminal (checked before parsing, to know whether to poll again). */
function isTerminalRaw(raw: unknown): boolean {
  const type = typeof raw === 'object' && raw !== null ? (raw as { type?: unknown }).type : undefined;
  return typeof type === 'string' && isTerminalEventType(type);
}

/** The id of the last event in `events` that has a readable one, or `null`. */
function lastIdOf(events: readonly unknown[]): string | null {
  for (let i = events.length - 1; i >= 0; i -= 1) {
    const raw = events[i];
    const id = typeof raw === 'object' && raw !== null ? (raw as { eventId?: unknown }).eventId : undefined;
    if (typeof id === 'string' && id !== '') return id;
  }
  return null;
}
