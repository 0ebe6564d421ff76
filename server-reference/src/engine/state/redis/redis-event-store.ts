/**
 * The Redis {@link EventStore}: one stream per task whose ids are the eventIds, a meta hash for the
 * head, one Lua script per append (terminal claim, epoch fencing, trim, TTL, publish) and live tails
 * over the process's one subscriber connection.
 */
import { isTerminalEvent, type TaskEvent, type TerminalTaskEvent } from '@taskbridge/protocol';
import type { EventPage, EventStore, StreamHead } from '../event-store';
import { isCursorTrimmed } from '../history-trimmed';
import { decodeEvent, encodeEvent } from './event-codec';
import type { RedisContext } from './redis-context';
import { SCRIPTS } from './redis-scripts';
import { createLiveTails } from './redis-live-tail';
import { msOf, rangeStartAfter } from './stream-id';

/** Options of {@link createRedisEventStore}. */
export interface RedisEventStoreOptions {
  /** Events kept per task (≥ 1), `null` = unbounded. */
  maxEventsPerTask: number | null;
  /** ms a task's keys live after its terminal event, `null` = forever. */
  finishedTaskTtlMs: number | null;
}

type StreamEntry = [id: string, fields: string[]];
const HEAD_FIELDS = ['last', 'terminal', 'terminalData', 'trimmedThrough'] as const;
type HeadFields = [string | null, string | null, string | null, string | null];

function headOf(taskId: string, fields: HeadFields): StreamHead {
  const [last, terminal, terminalData, trimmedThrough] = fields;
  return {
    lastEventId: last,
    terminal:
      terminal !== null && terminalData !== null
        ? (decodeEvent(taskId, terminal, terminalData) as TerminalTaskEvent)
        : null,
    trimmedThrough,
    updatedAt: last === null ? null : msOf(last),
  };
}

const eventsOf = (taskId: string, entries: StreamEntry[]): TaskEvent[] =>
  entries.map(([id, fields]) => decodeEvent(taskId, id, fields[1] as string));

/**
 * Creates the store. Appends go out on the one command connection without waiting for each other,
 * so a task's appends are pipelined and stored in call order (protocol/SPEC.md §3; hazards H2, H6).
 */
export function createRedisEventStore(context: RedisContext, options: RedisEventStoreOptions): EventStore {
  const { commands, guard, scripts, keys } = context;
  const cap = options.maxEventsPerTask === null ? '' : String(options.maxEventsPerTask);
  const ttl = options.finishedTaskTtlMs === null ? '' : String(options.finishedTaskTtlMs);

  const tails = createLiveTails(context.subscriber, keys.live, (taskId, afterId, throughId) =>
    guard(async () =>
      eventsOf(
        taskId,
        (await commands.xrange(keys.events(taskId), `(${afterId}`, throughId)) as StreamEntry[],
      ),
    ),
  );

  return {
    async append(event, appendOptions = {}) {
      const data = encodeEvent(event);
      const { taskId } = event;
      const epoch = appendOptions.epoch === undefined ? '' : String(appendOptions.epoch);
      const reply = (await guard(() =>
        scripts.run(SCRIPTS.append, keys.taskKeys(taskId), [
          data,
          isTerminalEvent(event) ? '1' : '0',
          epoch,
          cap,
          ttl,
          keys.live(taskId),
        ]),
      )) as [string, string];
      const [outcome, value] = reply;
      if (outcome === 'terminal') return { ok: false, reason: 'terminal', terminalEventId: value };
      if (outcome === 'fenced') return { ok: false, reason: 'fenced', epoch: Number(value) };
      return { ok: true, event: decodeEvent(taskId, value, data) };
    },

    async read(taskId, afterEventId, limit): Promise<EventPage> {
      const start = rangeStartAfter(afterEventId);
      const transaction = commands.multi().hmget(keys.meta(taskId), ...HEAD_FIELDS);
      if (start !== null) transaction.xrange(keys.events(taskId), start, '+', 'COUNT', limit + 1);
      const results = await guard(async () => {
        const replies = await transaction.exec();
        if (!replies) throw new Error('transaction aborted');
        for (const [error] of replies) if (error) throw error;
        return replies.map(([, value]) => value);
      });
      const head = headOf(taskId, results[0] as HeadFields);
      const entries = (results[1] ?? []) as StreamEntry[];
      const hasMore = entries.length > limit;
      const events = eventsOf(taskId, hasMore ? entries.slice(0, limit) : entries);
      const trimmed = isCursorTrimmed(afterEventId, head.trimmedThrough)
        ? { requestedAfterEventId: afterEventId, firstRetainedEventId: events[0]?.eventId ?? null }
        : null;
      return { events, hasMore, head, trimmed };
    },

    async head(taskId) {
      const fields = await guard(() => commands.hmget(keys.meta(taskId), ...HEAD_FIELDS));
      return headOf(taskId, fields as HeadFields);
    },

    subscribe: (taskId, listener, liveOptions) => tails.subscribe(taskId, listener, liveOptions),
  };
}
