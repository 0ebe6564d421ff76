/**
 * Raw stream readers for hazard tests: an SSE reader on `node:http` and a WebSocket reader on `ws`,
 * both recording every event, heartbeat and how the stream ended, and both able to stop reading
 * (pause) to play a stalled subscriber (hazard H3). Polling helpers page through a task's log.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { isTerminalEvent, type PollEventsResponse, type TaskEvent } from '@taskbridge/protocol';
import WebSocket from 'ws';

/** A live SSE response being read. */
export interface SseReader {
  /** HTTP status, once headers arrived. */
  readonly status: number | undefined;
  /** Events (frames with an `id:` line), in arrival order. */
  readonly events: TaskEvent[];
  /** Heartbeats seen (comment lines and JSON HEARTBEAT frames). */
  readonly heartbeats: number;
  /** Resolves with the status when the headers arrive. */
  readonly opened: Promise<number>;
  /** True once the server ended the response (or the connection closed). */
  readonly ended: boolean;
  /** Resolves when the response ends. */
  readonly done: Promise<void>;
  /** The raw body when the status is not 200. */
  readonly body: string;
  /** Stops reading (the socket's receive window fills up). */
  pause(): void;
  resume(): void;
  /** Aborts the request. */
  close(): void;
}

/** Options of {@link openSse}. */
export interface SseOptions {
  /** Sent as `Last-Event-ID`. */
  lastEventId?: string;
  /** Bearer subject; default `alice`. */
  subject?: string;
  /** Start paused: headers are read, the body is not. */
  paused?: boolean;
}

/** Opens `GET <baseUrl><path>` as an SSE stream. */
export function openSse(baseUrl: string, path: string, options: SseOptions = {}): SseReader {
  const events: TaskEvent[] = [];
  let heartbeats = 0;
  let status: number | undefined;
  let ended = false;
  let body = '';
  let buffer = '';
  let response: IncomingMessage | undefined;
  let paused = options.paused === true;
  let markOpened: (status: number) => void = () => undefined;
  let markDone: () => void = () => undefined;
  const opened = new Promise<number>((resolve) => {
    markOpened = resolve;
  });
  const done = new Promise<void>((resolve) => {
    markDone = resolve;
  });
  const finish = () => {
    ended = true;
    markDone();
  };

  const onFrame = (frame: string) => {
    let id: string | undefined;
    const data: string[] = [];
    for (const line of frame.split('\n')) {
      if (line.startsWith(':')) heartbeats += 1;
      else if (line.startsWith('id:')) id = line.slice(3).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
    }
    if (data.length === 0) return;
    const parsed = JSON.parse(data.join('\n')) as { type?: unknown };
    if (parsed.type === 'HEARTBEAT') heartbeats += 1;
    else if (id !== undefined) events.push(parsed as TaskEvent);
  };

  const headers: Record<string, string> = { authorization: `Bearer ${options.subject ?? 'alice'}` };
  if (options.lastEventId !== undefined) headers['last-event-id'] = options.lastEventId;
  const req = httpRequest(`${baseUrl}${path}`, { headers, agent: false }, (res) => {
    response = res;
    status = res.statusCode ?? 0;
    res.setEncoding('utf8');
    if (paused) res.pause();
    res.on('data', (chunk: string) => {
      if (status !== 200) {
        body += chunk;
        return;
      }
      buffer += chunk;
      let boundary = buffer.indexOf('\n\n');
      while (boundary !== -1) {
        onFrame(buffer.slice(0, boundary));
        buffer = buffer.slice(boundary + 2);
        boundary = buffer.indexOf('\n\n');
      }
    });
    res.on('end', finish);
    res.on('close', finish);
    res.on('error', finish);
    markOpened(status);
  });
  req.on('error', finish);
  req.end();

  return {
    get status() {
      return status;
    },
    events,
    get heartbeats() {
      return heartbeats;
    },
    opened,
    get ended() {
      return ended;
    },
    done,
    get body() {
      return body;
    },
    pause() {
      paused = true;
      response?.pause();
    },
    resume() {
      paused = false;
      response?.resume();
    },
    close() {
      req.destroy();
    },
  };
}

/** A WebSocket subscription being read. */
export interface WsReader {
  readonly socket: WebSocket;
  /** The SUBSCRIPTION_CONFIRMED frame, once received. */
  readonly ack: Record<string, unknown> | undefined;
  readonly events: TaskEvent[];
  readonly heartbeats: number;
  /** Close code once closed (1006 when the connection dropped). */
  readonly closeCode: number | undefined;
  /** Resolves with the close code. */
  readonly closed: Promise<number>;
  /** Resolves when the ack arrived. */
  readonly acked: Promise<void>;
  pause(): void;
  resume(): void;
  close(): void;
}

/** Options of {@link openWs}. */
export interface WsOptions {
  /** `lastEventId` of the subscribe frame; default `null`. */
  lastEventId?: string | null;
  subject?: string;
  /** Route; default `/api/v1/tasks/ws`. */
  path?: string;
}

/** Opens the WebSocket route and subscribes to `taskId`. */
export function openWs(wsUrl: string, taskId: string, options: WsOptions = {}): WsReader {
  const socket = new WebSocket(`${wsUrl}${options.path ?? '/api/v1/tasks/ws'}`, {
    headers: { authorization: `Bearer ${options.subject ?? 'alice'}` },
  });
  const events: TaskEvent[] = [];
  let heartbeats = 0;
  let ack: Record<string, unknown> | undefined;
  let closeCode: number | undefined;
  let markAcked: () => void = () => undefined;
  const acked = new Promise<void>((resolve) => {
    markAcked = resolve;
  });
  const closed = new Promise<number>((resolve) => {
    socket.on('close', (code) => {
      closeCode = code;
      resolve(code);
    });
  });
  socket.on('error', () => undefined);
  socket.on('open', () => {
    socket.send(JSON.stringify({ action: 'subscribe', taskId, lastEventId: options.lastEventId ?? null }));
  });
  socket.on('message', (data) => {
    const frame = JSON.parse(String(data)) as Record<string, unknown>;
    if (frame.type === 'SUBSCRIPTION_CONFIRMED') {
      ack = frame;
      markAcked();
    } else if (frame.type === 'HEARTBEAT') heartbeats += 1;
    else events.push(frame as unknown as TaskEvent);
  });
  return {
    socket,
    get ack() {
      return ack;
    },
    events,
    get heartbeats() {
      return heartbeats;
    },
    get closeCode() {
      return closeCode;
    },
    closed,
    acked,
    pause: () => socket.pause(),
    resume: () => socket.resume(),
    close: () => socket.terminate(),
  };
}

/** A `fetch`-like request function bound to a server (see `TestServer.request`). */
export type RequestFn = (path: string, init?: RequestInit & { subject?: string }) => Promise<Response>;

/** One poll call; throws unless the answer is 200. */
export async function pollOnce(
  request: RequestFn,
  taskId: string,
  query: { afterEventId?: string | null; waitTimeoutMs?: number; maxEvents?: number } = {},
  subject = 'alice',
): Promise<PollEventsResponse> {
  const params = new URLSearchParams();
  if (query.afterEventId) params.set('afterEventId', query.afterEventId);
  params.set('waitTimeoutMs', String(query.waitTimeoutMs ?? 0));
  params.set('maxEvents', String(query.maxEvents ?? 500));
  const res = await request(`/api/v1/tasks/${encodeURIComponent(taskId)}/events?${params}`, { subject });
  if (res.status !== 200) throw new Error(`poll answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as PollEventsResponse;
}

/** The task's whole stored log, paging with short polls until nothing is left. */
export async function readLog(request: RequestFn, taskId: string, subject = 'alice'): Promise<TaskEvent[]> {
  const events: TaskEvent[] = [];
  let cursor: string | null = null;
  for (;;) {
    const page = await pollOnce(request, taskId, { afterEventId: cursor, maxEvents: 500 }, subject);
    events.push(...page.events);
    cursor = page.events.at(-1)?.eventId ?? cursor;
    if (!page.hasMore) return events;
  }
}

/**
 * Throws until the task's terminal event is stored (pair with `vi.waitFor`). One one-event poll per
 * check: re-reading a log of megabytes every few ms would slow down the very server under test.
 */
export async function expectFinished(request: RequestFn, taskId: string, subject = 'alice'): Promise<void> {
  const { taskStatus } = await pollOnce(request, taskId, { maxEvents: 1 }, subject);
  if (taskStatus !== 'COMPLETED' && taskStatus !== 'FAILED' && taskStatus !== 'CANCELLED') {
    throw new Error(`task ${taskId} is ${taskStatus ?? 'of unknown status'}, not finished yet`);
  }
}

/** The log once its terminal event is stored (polls until then; pair with `vi.waitFor`). */
export async function terminalLog(request: RequestFn, taskId: string): Promise<TaskEvent[]> {
  const events = await readLog(request, taskId);
  const last = events.at(-1);
  if (!last || !isTerminalEvent(last)) throw new Error(`task ${taskId} has no terminal event yet`);
  return events;
}

/** Event ids of a list, for exact comparisons. */
export const idsOf = (events: readonly TaskEvent[]): string[] => events.map((e) => e.eventId);
