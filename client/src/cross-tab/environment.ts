/**
 * What cross-tab coordination needs from the platform (Web Locks, `BroadcastChannel`, page lifecycle
 * events) and how a client turns its `crossTab` option into it. Feature-detected: where either API is
 * missing (Node, React Native, old browsers, insecure contexts) every stream runs alone, as before.
 */
import type { Clock } from '../clock';
import type { EnvironmentSource } from '../environment';
import { isNodeRuntime } from '../platform';

/** Options of cross-tab coordination (`TaskBridgeClientOptions.crossTab`). */
export interface CrossTabOptions {
  /**
   * Whose streams these are: tabs share a task's stream only within one subject, so two users signed
   * in to one browser never share. Default: a SHA-256 digest of the request credentials (the
   * `Authorization` header and `headers`), read when a stream starts — a token that differs per tab
   * (or rotates) then only costs sharing; pass the user's id to share across token refreshes.
   */
  subject?: string;
  /** How often the leader tab says it is alive, ms. Default 1,000. */
  heartbeatMs?: number;
  /**
   * Silence after which a follower takes the lead (`steal`) from a leader that is frozen but still
   * holds its lock, ms (plus up to `heartbeatMs` of jitter). Default 5,000.
   */
  leaderTimeoutMs?: number;
  /**
   * Events the leader keeps to catch up tabs that join late, per task. A tab further behind than this
   * is told so as a trimmed history (protocol/SPEC.md §11, its `onHistoryTrimmed` policy applies).
   * Default 1,000.
   */
  replayLimit?: number;
}

/** The part of a `BroadcastChannel` the coordination uses. */
export interface TabChannel {
  postMessage(message: unknown): void;
  onmessage: ((event: MessageEvent) => void) | null;
  close(): void;
}

/** The part of `navigator.locks` (Web Locks) the coordination uses. */
export interface TabLocks {
  request(
    name: string,
    options: { signal?: AbortSignal; steal?: boolean },
    callback: () => Promise<void> | undefined,
  ): Promise<unknown>;
}

/** Everything a stream's machine needs to share its task with other tabs. Internal. */
export interface CrossTabEnvironment {
  /** The lock and channel name of a task: the server, the subject and the task. */
  name(taskId: string): Promise<string>;
  locks: TabLocks;
  openChannel(name: string): TabChannel;
  /** `pagehide` (leave: a held lock keeps a page out of the bfcache) and `pageshow` from the bfcache (join again). */
  page: EnvironmentSource | null;
  clock: Clock;
  heartbeatMs: number;
  leaderTimeoutMs: number;
  replayLimit: number;
}

/** What a client passes to {@link crossTabEnvironment}. */
export interface CrossTabDependencies {
  /** The task's checkpoint key (namespace, server, task): tabs that share it share a stream. */
  key(taskId: string): string;
  /** The request headers now (credentials included). */
  headers(): Promise<Record<string, string>>;
  clock: Clock;
  page: EnvironmentSource | null;
}

interface Platform {
  navigator?: { locks?: TabLocks };
  BroadcastChannel?: new (name: string) => TabChannel;
  crypto?: { subtle?: SubtleCrypto };
}

/**
 * The cross-tab environment of a client, or `null` (every stream alone) when `options` is `false`,
 * when Web Locks or `BroadcastChannel` are missing, or in Node (newer versions have both, but a server
 * process has no tabs to share with, and an open channel would keep it alive).
 */
export function crossTabEnvironment(
  options: CrossTabOptions | false | undefined,
  deps: CrossTabDependencies,
): CrossTabEnvironment | null {
  const g = globalThis as Platform;
  const locks = g.navigator?.locks;
  const Channel = g.BroadcastChannel;
  if (options === false || !locks || !Channel || isNodeRuntime()) return null;
  const subject = async () => {
    if (options?.subject !== undefined) return options.subject;
    const headers = JSON.stringify(await deps.headers());
    const subtle = g.crypto?.subtle;
    if (!subtle) throw new TypeError('no SubtleCrypto');
    return new Uint8Array(await subtle.digest('SHA-256', new TextEncoder().encode(headers))).join('.');
  };
  return {
    name: async (taskId) => `taskbridge:tabs:1:${await subject()}:${deps.key(taskId)}`,
    locks,
    openChannel: (name) => new Channel(name),
    page: deps.page,
    clock: deps.clock,
    heartbeatMs: options?.heartbeatMs ?? 1_000,
    leaderTimeoutMs: options?.leaderTimeoutMs ?? 5_000,
    replayLimit: options?.replayLimit ?? 1_000,
  };
}
