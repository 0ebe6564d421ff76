/**
 * The Redis {@link ControlChannel}: `PUBLISH` on the task's control channel, heard through the
 * process's one subscriber connection. Best effort, as the interface allows: the facts are in the
 * stores already.
 */
import type { ControlChannel, ControlMessage } from '../control-channel';
import type { RedisContext } from './redis-context';

/** Creates the channel. */
export function createRedisControlChannel(context: RedisContext): ControlChannel {
  const { commands, guard, subscriber, keys } = context;
  return {
    async publish(message) {
      await guard(() => commands.publish(keys.control(message.taskId), JSON.stringify(message)));
    },
    subscribe(taskId, listener) {
      return subscriber.attach(keys.control(taskId), (text) => {
        let message: ControlMessage;
        try {
          message = JSON.parse(text) as ControlMessage;
        } catch {
          return;
        }
        listener(message);
      });
    },
  };
}
