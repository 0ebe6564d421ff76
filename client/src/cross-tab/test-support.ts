/**
 * Test doubles of the platform pieces cross-tab coordination uses, with their browser semantics:
 * Web Locks (one holder per name, a FIFO queue, `signal` aborts a pending request, `steal` takes the
 * lock and rejects the holder's request with an `AbortError`) and `BroadcastChannel` (asynchronous,
 * structured-cloned, never delivered to the posting channel itself). Test-only.
 */
import type { TabChannel, TabLocks } from './environment';

interface LockRequest {
  callback: () => Promise<void> | undefined;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

const abortError = (message: string) => Object.assign(new Error(message), { name: 'AbortError' });

/** Web Locks in memory. */
export class FakeLocks implements TabLocks {
  readonly #queues = new Map<string, LockRequest[]>();
  readonly #held = new Map<string, LockRequest>();

  request(
    name: string,
    options: { signal?: AbortSignal; steal?: boolean },
    callback: () => Promise<void> | undefined,
  ): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const request: LockRequest = { callback, resolve, reject };
      if (options.steal) {
        this.#held.get(name)?.reject(abortError('lock stolen'));
        this.#grant(name, request);
        return;
      }
      const { signal } = options;
      if (signal?.aborted) return reject(abortError('aborted'));
      signal?.addEventListener('abort', () => {
        const queue = this.#queue(name);
        const index = queue.indexOf(request);
        if (index < 0) return;
        queue.splice(index, 1);
        reject(abortError('aborted'));
      });
      this.#queue(name).push(request);
      this.#pump(name);
    });
  }

  /** Holders and waiters of `name`. */
  state(name: string): { held: boolean; pending: number } {
    return { held: this.#held.has(name), pending: this.#queue(name).length };
  }

  #queue(name: string): LockRequest[] {
    let queue = this.#queues.get(name);
    if (!queue) this.#queues.set(name, (queue = []));
    return queue;
  }

  #pump(name: string): void {
    const next = this.#held.has(name) ? undefined : this.#queue(name).shift();
    if (next) this.#grant(name, next);
  }

  #grant(name: string, request: LockRequest): void {
    this.#held.set(name, request);
    void Promise.resolve()
      .then(() => request.callback())
      .then(
        (value) => this.#release(name, request, () => request.resolve(value)),
        (error: unknown) => this.#release(name, request, () => request.reject(error)),
      );
  }

  #release(name: string, request: LockRequest, settle: () => void): void {
    // A stolen request was already rejected, and no longer holds anything.
    if (this.#held.get(name) !== request) return;
    this.#held.delete(name);
    settle();
    this.#pump(name);
  }
}

/** `BroadcastChannel`s of one origin, in memory; `mute` silences a channel (a frozen tab). */
export class FakeChannels {
  readonly #open = new Set<FakeChannel>();
  readonly muted = new Set<TabChannel>();

  open = (name: string): TabChannel => {
    const channel: FakeChannel = {
      name,
      onmessage: null,
      postMessage: (message) => {
        if (this.muted.has(channel)) return;
        const data: unknown = structuredClone(message);
        for (const other of this.#open) {
          if (other === channel || other.name !== name) continue;
          void Promise.resolve().then(() => other.onmessage?.({ data } as MessageEvent));
        }
      },
      close: () => this.#open.delete(channel),
    };
    this.#open.add(channel);
    return channel;
  };

  /** Open channels, all names. */
  get size(): number {
    return this.#open.size;
  }
}

interface FakeChannel extends TabChannel {
  name: string;
}
