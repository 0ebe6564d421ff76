/**
 * The Redis {@link EventStore}: one stream per task whose ids are the eventIds, a meta hash for the
 * head, one Lua script per append (terminal claim, epoch fencing, trim, TTL, publish) and live tails
 * over the process's one subscriber connection.
 */
import { isTerminalEvent, type TaskEvent, type TerminalTaskEvent } from '@taskbridge/protocol';
import type { AppendResult, EventPage, EventStore, StreamHead } from '../event-store';
import { isCursorTrimmed } from '../history-trimmed';
import { createAppendBatches, type PendingAppend } from './append-batches';
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
 * Creates the store. A task's appends made in the same tick go out as one script call (up to
 * `MAX_APPEND_BATCH`, 256), and calls go out on the one command connection without waiting for
 * each other: a task's appends are pipelined and stored in call order (protocol/SPEC.md §3; hazards
 * H2, H6).
 */
export function createRedisEventStore(context: RedisContext, options: RedisEventStoreOptions): EventStore {
  const { commands, guard, scripts, keys } = context;
  const cap = options.maxEventsPerTask === null ? '' : String(options.maxEventsPerTask);
  const ttl = options.finishedTaskTtlMs === null ? '' : String(options.finishedTaskTtlMs);

  const send = async (taskId: string, items: readonly PendingAppend[]) => {
    const args: string[] = [cap, ttl, keys.live(taskId)];
    for (const item of items) args.push(item.data, item.terminal ? '1' : '0', item.epoch);
    let reply: string[];
    try {
      reply = (await guard(() => scripts.run(SCRIPTS.append, keys.taskKeys(taskId), args))) as string[];
    } catch (error) {
      for (const item of items) item.reject(error);
      return;
    }
    items.forEach((item, index) => {
      const outcome = reply[index * 2];
      const value = reply[index * 2 + 1] as string;
      if (outcome === 'terminal') item.resolve({ ok: false, reason: 'terminal', terminalEventId: value });
      else if (outcome === 'fenced') item.resolve({ ok: false, reason: 'fenced', epoch: Number(value) });
      else item.resolve({ ok: true, event: decodeEvent(taskId, value, item.data) });
    });
  };
  const batches = createAppendBatches(send);

  const tails = createLiveTails(context.subscriber, keys.live, (taskId, afterId, throughId) =>
    guard(async () =>
      eventsOf(
        taskId,
        (await commands.xrange(keys.events(taskId), `(${afterId}`, throughId)) as StreamEntry[],
      ),
    ),
  );

  return {
    append(event, appendOptions = {}) {
      let data: string;
      try {
        data = encodeEvent(event);
      } catch (error) {
        // E.g. a payload structuredClone refuses (a function): this append fails, nothing is stored.
        return Promise.reject(error);
      }
      const epoch = appendOptions.epoch === undefined ? '' : String(appendOptions.epoch);
      return new Promise<AppendResult>((resolve, reject) => {
        batches.add(event.taskId, { data, terminal: isTerminalEvent(event), epoch, resolve, reject });
      });
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
