/** Test support for the transport tests. Not part of the package. */
import type { TaskBridgeError } from '@taskbridge/protocol';
import type { TransportMessage } from './transport';

/** The error a transport ended with: its last message, which must be an `error`. */
export function errorOf(messages: TransportMessage[]): TaskBridgeError {
  const last = messages.at(-1);
  if (last?.type !== 'error') throw new Error(`expected an error, got ${JSON.stringify(last)}`);
  return last.error;
}
