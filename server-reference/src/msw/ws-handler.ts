/**
 * The WebSocket route (protocol/SPEC.md §6) as an MSW `ws.link` handler running the shared
 * {@link startWsSession}, with the WebSocket faults of {@link TaskBridgeFaults}.
 *
 * MSW intercepts only the *global* `WebSocket` (patched at `listen()`/`start()`): the client must use
 * it (no `platform.WebSocket` from `ws`), so credentials travel as the `access_token` query parameter.
 */
import { CloseCode, TaskBridgeError } from '@taskbridge/protocol';
import { delay, ws, type WebSocketHandler } from 'msw';
import type { AuthOutcome, WsPeer } from '../wire/ws-session';
import { startWsSession } from '../wire/ws-session';
import { authenticate, type KitContext } from './context';
import type { HistoryFault, WebSocketFault } from './faults';
import { subscribeUnderFault } from './history-faults';
import type { RouteParams } from './web-request';

// The server side of an MSW connection, as far as the session needs it.
interface MswClient {
  readonly url: URL;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'close', listener: () => void): void;
}

// What a browser reports when the upgrade fails: an `error`, then close 1006 (abnormal).
const ABNORMAL = 1006;

function peerUnder(client: MswClient, fault: WebSocketFault | undefined): WsPeer {
  let left = fault?.kind === 'close-after' ? fault.events : Number.POSITIVE_INFINITY;
  let closing = false;
  client.addEventListener('close', () => {
    closing = true;
  });
  // Frames sent before MSW opens the socket are queued until it opens, so "not closed" is enough.
  const isOpen = () => !closing;
  // MSW delivers sends a microtask later and drops them once the socket is closing: close after them.
  const close = (code: number, reason: string) => {
    if (closing) return;
    closing = true;
    queueMicrotask(() => client.close(code, reason));
  };
  return {
    send(text, frame) {
      if (!isOpen()) return;
      client.send(text);
      if (frame.kind === 'event' && --left <= 0 && fault?.kind === 'close-after') {
        close(fault.code ?? ABNORMAL, 'injected fault: connection dropped');
      }
    },
    close,
    isOpen,
  };
}

/** The WebSocket handler, or none when the WebSocket transport is disabled. */
export function createWebSocketHandlers(ctx: KitContext): WebSocketHandler[] {
  const { engine, options, faults } = ctx;
  if (!options.transports.websocket) return [];
  const link = ws.link(ctx.webSocketPath());
  return [
    link.addEventListener('connection', ({ client, params }) => {
      const fault = faults.take('websocket');
      if (fault?.kind === 'refuse') {
        // The typed connection hides the mock socket; when present, report the error a browser would.
        (client as { socket?: EventTarget }).socket?.dispatchEvent(new Event('error'));
        client.close(ABNORMAL, 'injected fault: upgrade refused');
        return;
      }
      // Open, then nothing: the client's first-frame deadline has to notice.
      if (fault?.kind === 'silent') {
        const end = () => client.close(CloseCode.GOING_AWAY, 'server shutting down');
        ctx.closers.add(end);
        client.addEventListener('close', () => ctx.closers.delete(end));
        return;
      }
      const auth: Promise<AuthOutcome> = Promise.resolve()
        .then(() => authenticate(ctx, 'websocket', 'GET', client.url, undefined, params as RouteParams))
        .then(
          (caller) => ({ ok: true as const, value: caller.auth, taskId: caller.ticketTaskId }),
          (error: unknown) => ({ ok: false as const, error: TaskBridgeError.from(error) }),
        );
      // Taken with the subscribe frame, applied when the session opens its subscription.
      let history: HistoryFault | undefined;
      const session = startWsSession(
        peerUnder(client, fault),
        engine,
        options,
        auth,
        (user, taskId, cursor) => subscribeUnderFault(engine, user, taskId, cursor, history),
      );
      const shutdown = (mode: 'shutdown' | 'drop') =>
        mode === 'drop'
          ? client.close(ABNORMAL, 'injected fault: connection dropped')
          : client.close(CloseCode.GOING_AWAY, 'server shutting down');
      ctx.closers.add(shutdown);
      client.addEventListener('close', () => {
        ctx.closers.delete(shutdown);
        session.closed();
      });
      let first = true;
      client.addEventListener('message', (event) => {
        const data: unknown = event.data;
        if (typeof data !== 'string' || !first)
          return session.receive(typeof data === 'string' ? data : null);
        first = false;
        if (fault?.kind === 'policy-violation') {
          client.close(CloseCode.POLICY_VIOLATION, 'injected fault: policy violation');
          return;
        }
        const latency = faults.take('latency', 'websocket');
        history = faults.take('history');
        void (async () => {
          if (latency) await delay(latency.ms);
          session.receive(data);
        })();
      });
    }),
  ];
}
