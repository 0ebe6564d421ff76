/**
 * Key and channel names. Every key of one task shares the hash tag `{taskId}`, so one script may
 * touch them all under Redis Cluster too; ids are used verbatim inside the braces (a task id never
 * contains `}`: the engine generates UUIDs).
 */

/** The names of one backend, under its `keyPrefix`. */
export interface RedisKeys {
  /** The task's event stream; stream ids are the eventIds. */
  events(taskId: string): string;
  /** The log's head: `last`, `terminal`, `terminalData`, `trimmedThrough`, `epoch`. */
  meta(taskId: string): string;
  /** The task record (`r`, JSON) and its mutable fields. */
  task(taskId: string): string;
  /** Suspensions: `r:<suspendId>` (record), `s:` (state), `a:` (answer), `d:` (delivered). */
  suspensions(taskId: string): string;
  /** clientActionId → action fingerprint. */
  actions(taskId: string): string;
  /** `(owner, clientRequestId)` → `<taskId>\n<fingerprint>`. */
  idempotency(owner: string, clientRequestId: string): string;
  /** Pub/sub: `<prevId> <id> <data>` per appended event. */
  live(taskId: string): string;
  /** Pub/sub: control messages (JSON). */
  control(taskId: string): string;
  /** A stream ticket's grant (JSON). */
  ticket(ticket: string): string;
  /** Every key of a task that expires with it, in the append script's KEYS order. */
  taskKeys(taskId: string): [string, string, string, string, string];
}

/** Names under `prefix` (e.g. `tb:`). */
export function redisKeys(prefix: string): RedisKeys {
  const of = (taskId: string, part: string) => `${prefix}{${taskId}}:${part}`;
  const keys: RedisKeys = {
    events: (taskId) => of(taskId, 'events'),
    meta: (taskId) => of(taskId, 'meta'),
    task: (taskId) => of(taskId, 'task'),
    suspensions: (taskId) => of(taskId, 'suspensions'),
    actions: (taskId) => of(taskId, 'actions'),
    idempotency: (owner, clientRequestId) =>
      `${prefix}idem:${encodeURIComponent(owner)}:${encodeURIComponent(clientRequestId)}`,
    live: (taskId) => of(taskId, 'live'),
    control: (taskId) => of(taskId, 'control'),
    ticket: (ticket) => `${prefix}ticket:${ticket}`,
    taskKeys: (taskId) => [
      keys.events(taskId),
      keys.meta(taskId),
      keys.task(taskId),
      keys.suspensions(taskId),
      keys.actions(taskId),
    ],
  };
  return keys;
}
