import type { ControlChannel, ControlListener } from '../control-channel';

/**
 * The memory {@link ControlChannel}: one process, so `publish` delivers synchronously to a snapshot of
 * the task's listeners (hazard H4) before it resolves.
 */
export function createMemoryControlChannel(): ControlChannel {
  const listeners = new Map<string, Set<ControlListener>>();
  return {
    publish(message) {
      for (const listener of Array.from(listeners.get(message.taskId) ?? [])) {
        try {
          listener(message);
        } catch {
          // The runner's problem; other listeners still hear it.
        }
      }
      return Promise.resolve();
    },
    subscribe(taskId, listener) {
      let set = listeners.get(taskId);
      if (!set) {
        set = new Set();
        listeners.set(taskId, set);
      }
      const own = set;
      own.add(listener);
      return Promise.resolve(() => {
        own.delete(listener);
        if (own.size === 0 && listeners.get(taskId) === own) listeners.delete(taskId);
      });
    },
  };
}
