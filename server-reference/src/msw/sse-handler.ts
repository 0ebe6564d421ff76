/**
 * The SSE route (protocol/SPEC.md §5) as an MSW `http` handler that streams `text/event-stream` through a web
 * `ReadableStream`, driven by the shared {@link runSseSession}.
 *
 * Why not MSW's `sse()`: it can neither answer with an error status before the headers (our 404/400
 * envelope), nor send comment keep-alives, nor set `X-Accel-Buffering`, and it needs a global
 * `EventSource` at construction (absent on Node 20). A streaming `http` handler is what `sse()` is
 * underneath, so both the `eventsource` package (through `fetch`) and a browser's native
 * `EventSource` (through the service worker) read it.
 */
import { http, type HttpHandler } from 'msw';
import type { Subscription } from '../engine/subscription';
import { sseCursorOf } from '../wire/operations';
import { runSseSession, SSE_HEADERS, type SseChunk, type SseSink, sseFrame } from '../wire/sse-session';
import { authenticate, type KitContext } from './context';
import { faultError, type SseFault } from './faults';
import { cursorUnderFault, subscribeUnderFault } from './history-faults';
import { routeResolver } from './http-handlers';
import { paramOf, queryValuesOf } from './web-request';

const encoder = new TextEncoder();

/**
 * A stream body the session (or a fault) writes into; closing twice or after a cancel is harmless.
 * `onGone` runs once when the body is cancelled by the reader or ended by the kit (close, drop).
 */
function streamBody(closers: KitContext['closers'], onGone: () => void) {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let open = true;
  const end = () => {
    closers.delete(endByKit);
    if (!open) return;
    open = false;
    controller.close();
  };
  const endByKit = () => {
    end();
    onGone();
  };
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
    cancel() {
      open = false;
      closers.delete(endByKit);
      onGone();
    },
  });
  closers.add(endByKit);
  return {
    body,
    write(text: string) {
      if (open) controller.enqueue(encoder.encode(text));
    },
    end,
  };
}

/** The session's sink with the stream-shaping faults (`cut-after`, `peer`) applied. */
function sinkUnder(
  fault: SseFault | undefined,
  out: ReturnType<typeof streamBody>,
  subscription: Subscription,
): SseSink {
  let left = fault?.kind === 'cut-after' ? fault.events : Number.POSITIVE_INFINITY;
  return {
    write(chunk: SseChunk) {
      if (chunk.kind !== 'events' || chunk.events.length < left) {
        if (chunk.kind === 'events') left -= chunk.events.length;
        return out.write(chunk.text);
      }
      // Cut mid-batch: only the first `left` events make it, then the connection drops.
      out.write(chunk.events.slice(0, left).map(sseFrame).join(''));
      left = 0;
      out.end();
      subscription.close();
    },
    // The peer never ends the response after the terminal event; the client has to close it.
    end: () => (fault?.kind === 'peer' ? undefined : out.end()),
  };
}

/** The SSE handler, or none when SSE is disabled. */
export function createSseHandlers(ctx: KitContext): HttpHandler[] {
  const { engine, options, faults } = ctx;
  if (!options.transports.sse) return [];
  return [
    http.get(
      ctx.httpPath('stream'),
      routeResolver(ctx, 'stream', async (request, params, url) => {
        const fault = faults.take('sse');
        if (fault?.kind === 'refuse') throw faultError(fault.status ?? 503, fault.retryAfterMs);
        const { auth: user } = await authenticate(
          ctx,
          'stream',
          request.method,
          url,
          request.headers,
          params,
        );
        const taskId = paramOf(params, 'taskId');
        const requested = sseCursorOf(request.headers.get('last-event-id'), queryValuesOf(url));
        const history = faults.take('history');
        if (fault?.kind === 'buffer') {
          // Headers, then nothing until the client gives up: what a buffering proxy looks like.
          await cursorUnderFault(engine, user, taskId, requested, history);
          const silent = streamBody(ctx.closers, () => undefined);
          request.signal.addEventListener('abort', () => silent.end(), { once: true });
          return new Response(silent.body, { status: 200, headers: SSE_HEADERS });
        }
        // Throws 404/400 here, while the envelope can still be sent.
        const subscription = await subscribeUnderFault(engine, user, taskId, requested, history);
        if (request.signal.aborted) {
          subscription.close();
          return new Response(null, { status: 499 });
        }
        const out = streamBody(ctx.closers, () => subscription.close());
        request.signal.addEventListener(
          'abort',
          () => {
            subscription.close();
            out.end();
          },
          { once: true },
        );
        void runSseSession(sinkUnder(fault, out, subscription), subscription, {
          taskId,
          heartbeatIntervalMs: options.heartbeatIntervalMs.sse,
        });
        return new Response(out.body, { status: 200, headers: SSE_HEADERS });
      }),
    ),
  ];
}
