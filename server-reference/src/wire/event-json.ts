/**
 * Each stored event serialised once: the WebSocket frame (protocol/SPEC.md §6), the SSE `data:` line (§5) and
 * the poll response (§4) all reuse the same JSON text, however many subscribers and transports read it.
 */
import type { PollEventsResponse, TaskEvent } from '@taskbridge/protocol';

/** Most events whose text is kept: enough for a fan-out batch or a replay page, not a whole history. */
export const EVENT_JSON_CACHE_ENTRIES = 2_048;
/** Most characters of text kept (about 8 MB), so large events cannot pin much memory. */
export const EVENT_JSON_CACHE_CHARS = 4 * 1024 * 1024;
/**
 * Longest text cached. A larger event is serialised at each use: a cached text outlives a few
 * young-generation collections, is promoted and ends as old-generation garbage when evicted, and with
 * readers spread over a long history (catching up, resuming) the cache is rarely hit — 20,000 × 8 KiB
 * events read by 30 readers at different positions grew the heap to 1 GiB (hazard H3, the
 * slow-consumer benchmark). Small events (tokens, progress), where a fan-out gains most, are cached.
 */
export const EVENT_JSON_CACHE_MAX_TEXT_CHARS = 2 * 1024;

// Recently serialised events, oldest first. A bounded Map rather than a WeakMap: a fan-out serialises
// the same few events many times in a row, while a WeakMap holding every stored event's text doubled
// the store's memory and slowed every garbage collection (ephemerons).
const texts = new Map<TaskEvent, string>();
let chars = 0;

/**
 * `JSON.stringify(event)`, cached for recently serialised events up to
 * {@link EVENT_JSON_CACHE_MAX_TEXT_CHARS}. Only frozen events (the
 * {@link EventStore} contract; the memory store's are deep-frozen) are cached: a mutable one could
 * change after caching.
 */
export function eventJson(event: TaskEvent): string {
  const cached = texts.get(event);
  if (cached !== undefined) return cached;
  const text = JSON.stringify(event);
  if (!Object.isFrozen(event) || text.length > EVENT_JSON_CACHE_MAX_TEXT_CHARS) return text;
  texts.set(event, text);
  chars += text.length;
  while (texts.size > EVENT_JSON_CACHE_ENTRIES || chars > EVENT_JSON_CACHE_CHARS) {
    const oldest = texts.entries().next().value as [TaskEvent, string];
    texts.delete(oldest[0]);
    chars -= oldest[1].length;
  }
  return text;
}

/** Events whose text is cached now (for tests and metrics). */
export const cachedEventCount = (): number => texts.size;

/**
 * The JSON body of a poll response (protocol/SPEC.md §4), byte for byte what `JSON.stringify(body)` gives for
 * the fields a response has, with the events' cached text spliced in instead of serialised again.
 *
 * Reads the cache but does not fill it: a page is up to 500 events that one poller reads once, so each
 * insertion evicted an entry that a fan-out might still use and kept a text alive long enough to be
 * promoted and collected as old-generation garbage. One client polling 100,000 events went from
 * ≈ 45,000 to ≈ 65,000 events/s. WebSocket and SSE fan-outs fill it; a poller reading what they sent hits.
 */
export function pollResponseJson(body: PollEventsResponse): string {
  let events = '';
  for (const event of body.events) {
    const text = texts.get(event) ?? JSON.stringify(event);
    events += events === '' ? text : `,${text}`;
  }
  const status = body.taskStatus === undefined ? '' : `,"taskStatus":${JSON.stringify(body.taskStatus)}`;
  const trimmed =
    body.historyTrimmed === undefined ? '' : `,"historyTrimmed":${JSON.stringify(body.historyTrimmed)}`;
  return (
    `{"taskId":${JSON.stringify(body.taskId)},"events":[${events}],` +
    `"nextAfterEventId":${JSON.stringify(body.nextAfterEventId)},"hasMore":${String(body.hasMore)}${status}${trimmed}}`
  );
}
