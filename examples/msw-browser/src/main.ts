/**
 * TaskBridge with no backend: the MSW kit runs the reference engine in this page, its service worker
 * answers the HTTP and SSE routes and MSW's patched global `WebSocket` the WebSocket route. The page
 * starts a scripted task on load and renders its tokens (`#text`), the transports it went live on
 * (`#transport`) and the task status (`#status`). `?transport=websocket|sse|polling` forces one
 * transport; without it the client picks as it would against a real server. `?eventsource=native`
 * gives the SSE transport the browser's own `EventSource` instead of the `eventsource` package.
 */
import {
  createTaskBridgeClient,
  type TaskEvent,
  type TransportName,
  type UnknownTaskEvent,
} from '@taskbridge/client';
import { createTaskBridgeHandlers, scriptedTask } from '@taskbridge/server-reference/msw';
import { startTaskBridgeWorker } from '@taskbridge/server-reference/msw/browser';
import { CHAT_SCRIPT, CHAT_TASK_TYPE } from './script';

const TRANSPORTS: readonly TransportName[] = ['websocket', 'sse', 'polling'];

const $ = (id: string) => document.getElementById(id) as HTMLElement;
const text = $('text');
const status = $('status');
const transport = $('transport');
const error = $('error');

// A peer may send an off-schema payload; only a string message is a token.
const tokenOf = (event: TaskEvent | UnknownTaskEvent): string | null => {
  const message = event.type === 'TASK_MESSAGE' ? event.payload.message : undefined;
  return typeof message === 'string' ? message : null;
};

const showError = (message: string) => {
  error.textContent = message;
  status.dataset.status = 'error';
};

async function main(): Promise<void> {
  const query = new URLSearchParams(location.search);
  const requested = query.get('transport');
  const forceTransport = TRANSPORTS.find((name) => name === requested);
  if (requested !== null && !forceTransport) {
    return showError(`unknown transport "${requested}": use ${TRANSPORTS.join(', ')}`);
  }
  const nativeEventSource = query.get('eventsource') === 'native';
  // Routes of this origin only: the page's own assets pass through the worker untouched.
  const kit = createTaskBridgeHandlers({ baseUrl: location.origin });
  kit.registerHandler(CHAT_TASK_TYPE, scriptedTask(CHAT_SCRIPT));
  await startTaskBridgeWorker(kit, { quiet: true });

  // No platform by default: the browser's fetch (through the worker), MSW's patched WebSocket, and SSE
  // over the `eventsource` package's fetch (through the worker too). A native EventSource cannot send
  // headers, so the client moves the token and cursor into the query; the kit reads both.
  const client = createTaskBridgeClient({
    baseUrl: location.origin,
    getAccessToken: () => 'demo',
    ...(forceTransport ? { forceTransport } : {}),
    ...(nativeEventSource ? { platform: { EventSource: globalThis.EventSource } } : {}),
  });
  const { stream } = await client.startTask({ taskType: CHAT_TASK_TYPE });

  // When each token arrived, ms after the first: a replay or a buffered response arrives all at once,
  // a live stream spaced by the script's delays. And each token's lag behind its `createdAt` (the mock
  // stamps it when the script emits it): if tokens come bunched, a small lag says the script emitted
  // them bunched (a starved page's timers), a large one that something held them back.
  let eventCount = 0;
  let firstTokenAt: number | undefined;
  const arrivals: number[] = [];
  const lags: number[] = [];
  stream.events$.subscribe((event) => {
    eventCount += 1;
    text.dataset.eventCount = String(eventCount);
    const token = tokenOf(event);
    if (token === null) return;
    firstTokenAt ??= performance.now();
    arrivals.push(Math.round(performance.now() - firstTokenAt));
    text.dataset.arrivalsMs = arrivals.join(' ');
    lags.push(Date.now() - Date.parse(event.createdAt));
    text.dataset.lagsMs = lags.join(' ');
    text.append(token);
  });
  stream.snapshot$.subscribe((snapshot) => {
    status.textContent = snapshot.status;
    status.dataset.status = snapshot.status;
  });
  // Every transport the stream went live on, in order (`websocket`, or e.g. `websocket → sse`).
  const path: TransportName[] = [];
  stream.connection$.subscribe((connection) => {
    if (connection.status === 'live' && connection.transport && path.at(-1) !== connection.transport) {
      path.push(connection.transport);
      transport.textContent = path.join(' → ');
    }
    // The last error, cleared once live again (as the connection state does).
    error.textContent = connection.error ? `${connection.error.code}: ${connection.error.message}` : '';
  });
}

main().catch((cause: unknown) => {
  showError(cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause));
});
