/**
 * Errors the machine makes itself (the transports make the rest): a stream that ended without its
 * terminal event, and a ladder with no usable transport. Deadline misses live in `deadlines.ts`.
 */
import { TaskBridgeError, type TransportName } from '@taskbridge/protocol';

/**
 * `CONNECTION_CLOSED` (retryable, `details.transport`): `transport` ended its stream cleanly before the
 * terminal event (protocol/SPEC.md §5: a peer may end a stream it should have kept open).
 */
export function connectionClosedError(transport: TransportName): TaskBridgeError {
  return new TaskBridgeError({
    code: 'CONNECTION_CLOSED',
    message: `${transport}: the stream ended before the terminal event`,
    details: { transport },
  });
}

/**
 * `TRANSPORT_UNAVAILABLE` (fatal): the server offers no transport this environment supports, or
 * `forceTransport` names one it does not offer (protocol/SPEC.md §10, capabilities E2).
 */
export function transportUnavailableError(): TaskBridgeError {
  return new TaskBridgeError({
    code: 'TRANSPORT_UNAVAILABLE',
    message:
      'no usable transport: the server offers none this environment supports (or forceTransport is not among them)',
  });
}
