/**
 * The process's one subscriber connection, shared by every live tail and control listener of a
 * backend: channels are subscribed once (reference-counted) and messages dispatched locally, so a
 * thousand SSE clients of one task cost one `SUBSCRIBE`, not a thousand connections.
 */
import type { Redis } from 'ioredis';
import type { Guard } from './redis-errors';

/** Receives the messages of one channel. Must not throw (a throw is swallowed). */
export type ChannelHandler = (message: string) => void;

/** The shared subscriber. */
export interface RedisSubscriber {
  /**
   * Attaches `handler` to `channel`; resolves with the detach function once Redis confirmed the
   * subscription (every later `PUBLISH` reaches the handler while the connection holds).
   *
   * @throws rejects with a 503 `TaskBridgeError` when Redis is unreachable.
   */
  attach(channel: string, handler: ChannelHandler): Promise<() => void>;
  /**
   * Calls `listener` each time the connection drops: messages published until it is back (and has
   * resubscribed by itself) are lost. Returns the detach function.
   */
  onDrop(listener: () => void): () => void;
}

interface Channel {
  handlers: Set<ChannelHandler>;
  subscribed: Promise<unknown>;
}

/** Wraps `client` (a connection used for nothing else). */
export function createRedisSubscriber(client: Redis, guard: Guard): RedisSubscriber {
  const channels = new Map<string, Channel>();
  const dropListeners = new Set<() => void>();
  let connected = client.status === 'ready';
  client.on('ready', () => {
    connected = true;
  });
  client.on('close', () => {
    if (!connected) return;
    connected = false;
    for (const listener of Array.from(dropListeners)) {
      try {
        listener();
      } catch {
        // a listener's problem
      }
    }
  });
  client.on('message', (name: string, message: string) => {
    const channel = channels.get(name);
    if (!channel) return;
    for (const handler of Array.from(channel.handlers)) {
      try {
        handler(message);
      } catch {
        // a handler's problem; others still hear it
      }
    }
  });

  return {
    async attach(name, handler) {
      let channel = channels.get(name);
      if (!channel) {
        const created: Channel = { handlers: new Set(), subscribed: guard(() => client.subscribe(name)) };
        channel = created;
        channels.set(name, created);
        // A failed SUBSCRIBE must not stick: the next attach tries again.
        created.subscribed.catch(() => {
          if (channels.get(name) === created) channels.delete(name);
        });
      }
      const own = channel;
      own.handlers.add(handler);
      try {
        await own.subscribed;
      } catch (error) {
        own.handlers.delete(handler);
        throw error;
      }
      let attached = true;
      return () => {
        if (!attached) return;
        attached = false;
        own.handlers.delete(handler);
        if (own.handlers.size === 0 && channels.get(name) === own) {
          channels.delete(name);
          // Sent after any SUBSCRIBE already queued for this name; a later attach subscribes again.
          client.unsubscribe(name).catch(() => undefined);
        }
      };
    },
    onDrop(listener) {
      dropListeners.add(listener);
      return () => dropListeners.delete(listener);
    },
  };
}
