/**
 * A stand-in for the TaskBridge FastAPI peer (protocol/SPEC.md *peer quirks*), built on node:http + ws, for
 * tests that our client copes with a backend that behaves as the peer does today:
 * - SSE never ends after the terminal event; keep-alives are `: heartbeat` comments and JSON
 *   `{"type":"HEARTBEAT","eventId":"hb-N",…}` data frames without an `id:` line (§3, §5);
 * - an unknown task on SSE gets 200 + headers, then the body is aborted (§5);
 * - the WebSocket closes 1000 after a terminal event it sends, but a subscribe whose cursor is at the
 *   terminal event gets the ack and heartbeats forever; it never reads after the first frame; extra
 *   keys in the subscribe frame or an unknown task close 1008 (§6);
 * - a long poll waits its whole timeout even when the task is terminal, `waitTimeoutMs` defaults to 0,
 *   and there is no `taskStatus` (§4);
 * - no `/capabilities` and no task status route: 404 (E1, E2 are ours);
 * - create requires `input` and answers a bad body with a plain-text 500 (§2).
 * Events are appended by the test (`append`), with any payload, so off-schema terminal payloads can be
 * sent as the peer's demo executors do. Ids are Redis stream ids `"<ms>-<seq>"`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

/** Options of {@link startPeerServer}. */
export interface PeerServerOptions {
  /** Interval of SSE keep-alives (comment + JSON heartbeat) and WebSocket heartbeats, ms. Default 50. */
  heartbeatMs?: number;
  /** Close the WebSocket with 1000 right after sending a terminal event (the peer does). Default true. */
  wsCloseOnTerminal?: boolean;
}

/** One event as the peer stores it: any payload, no validation. */
export interface PeerEvent {
  type: string;
  taskId: string;
  eventId: string;
  createdAt: string;
  payload: Record<string, unknown>;
}

/** A request the peer saw on a stream route. */
export interface PeerStreamRequest {
  taskId: string;
  /** SSE: the `Last-Event-ID` header; WebSocket: the subscribe frame's `lastEventId`; poll: `afterEventId`. */
  cursor: string | null;
  /** WebSocket: the keys of the subscribe frame; poll: the query parameters. */
  keys: string[];
  /** Poll: the `waitTimeoutMs` parameter as sent (null when absent). */
  waitTimeoutMs: string | null;
  /** Set when the client closed the connection (SSE, WebSocket) or abandoned the request (poll). */
  closedByClient: boolean;
  /** Set when the request/connection is over, whoever ended it. */
  ended: boolean;
}

/** A running peer stand-in. */
export interface PeerServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Appends an event to a task (created over HTTP or with {@link createTask}); returns its eventId. */
  append(taskId: string, type: string, payload?: Record<string, unknown>): string;
  /** Creates a task without HTTP; returns its id. */
  createTask(): string;
  /** Events stored for a task. */
  events(taskId: string): readonly PeerEvent[];
  readonly sse: readonly PeerStreamRequest[];
  readonly ws: readonly PeerStreamRequest[];
  readonly polls: readonly PeerStreamRequest[];
  /** Create request bodies, parsed. */
  readonly creates: readonly unknown[];
  /** Requests to `/api/v1/capabilities`. */
  capabilitiesRequests(): number;
  /** JSON heartbeats sent on SSE so far (all connections). */
  sseHeartbeatsSent(): number;
  /** Heartbeat frames sent on WebSockets so far (all connections). */
  wsHeartbeatsSent(): number;
  /** Cuts every open SSE response, as a network failure would (the client must reconnect). */
  dropSse(): void;
  close(): Promise<void>;
}

interface PeerTask {
  events: PeerEvent[];
  listeners: Set<(event: PeerEvent) => void>;
}

const TERMINAL = new Set(['TASK_COMPLETED', 'TASK_FAILED', 'TASK_CANCELLED']);
const BASE_MS = 1_795_292_690_194;

function plain(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain' });
  res.end(body);
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

function notFound(res: ServerResponse): void {
  json(res, 404, {
    code: 'TASK_NOT_FOUND',
    message: 'Task not found',
    details: {},
    timestamp: new Date().toISOString(),
  });
}

/** Numeric order of two `"<ms>-<seq>"` ids this server issued. */
function after(id: string, cursor: string | null): boolean {
  if (cursor === null || cursor === '') return true;
  const [ams = 0n, aseq = 0n] = id.split('-').map(BigInt);
  const [bms = 0n, bseq = 0n] = cursor.split('-').map(BigInt);
  return ams > bms || (ams === bms && aseq > bseq);
}

function validCursor(cursor: string | null): boolean {
  return cursor === null || cursor === '' || /^\d+-\d+$/.test(cursor);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Starts the peer stand-in on an ephemeral loopback port. */
export async function startPeerServer(options: PeerServerOptions = {}): Promise<PeerServer> {
  const heartbeatMs = options.heartbeatMs ?? 50;
  const wsCloseOnTerminal = options.wsCloseOnTerminal ?? true;
  const tasks = new Map<string, PeerTask>();
  const sse: PeerStreamRequest[] = [];
  const wsLog: PeerStreamRequest[] = [];
  const polls: PeerStreamRequest[] = [];
  const creates: unknown[] = [];
  const openResponses = new Map<ServerResponse, PeerStreamRequest>();
  const sockets = new Set<Socket>();
  const timers = new Set<ReturnType<typeof setInterval>>();
  let capabilitiesRequests = 0;
  let sseHeartbeats = 0;
  let wsHeartbeats = 0;
  let seq = 0;
  let hb = 0;
  let taskSeq = 0;

  const newTask = (): string => {
    taskSeq += 1;
    const taskId = `peer-task-${taskSeq}`;
    tasks.set(taskId, { events: [], listeners: new Set() });
    return taskId;
  };

  const append = (taskId: string, type: string, payload: Record<string, unknown> = {}): string => {
    const task = tasks.get(taskId);
    if (!task) throw new Error(`no peer task ${taskId}`);
    seq += 1;
    const event: PeerEvent = {
      type,
      taskId,
      eventId: `${BASE_MS}-${seq}`,
      createdAt: new Date().toISOString(),
      payload,
    };
    task.events.push(event);
    for (const listener of Array.from(task.listeners)) listener(event);
    return event.eventId;
  };

  const every = (ms: number, fn: () => void): (() => void) => {
    const timer = setInterval(fn, ms);
    timers.add(timer);
    return () => {
      clearInterval(timer);
      timers.delete(timer);
    };
  };

  const handleCreate = async (req: IncomingMessage, res: ServerResponse) => {
    let body: unknown;
    try {
      body = JSON.parse(await readBody(req));
    } catch {
      return plain(res, 500, 'Internal Server Error');
    }
    creates.push(body);
    const fields = body as { clientRequestId?: unknown; taskType?: unknown; input?: unknown };
    if (typeof fields.clientRequestId !== 'string' || typeof fields.taskType !== 'string' || !fields.input) {
      return plain(res, 500, 'Internal Server Error');
    }
    const taskId = newTask();
    json(res, 201, {
      taskId,
      status: 'ACCEPTED',
      clientRequestId: fields.clientRequestId,
      deduplicated: false,
    });
  };

  const handlePoll = (req: IncomingMessage, res: ServerResponse, taskId: string, url: URL) => {
    const task = tasks.get(taskId);
    const cursor = url.searchParams.get('afterEventId');
    const entry: PeerStreamRequest = {
      taskId,
      cursor,
      keys: [...url.searchParams.keys()],
      waitTimeoutMs: url.searchParams.get('waitTimeoutMs'),
      closedByClient: false,
      ended: false,
    };
    polls.push(entry);
    if (!task) {
      entry.ended = true;
      return notFound(res);
    }
    const waitMs = Number(url.searchParams.get('waitTimeoutMs') ?? '0');
    const maxEvents = Number(url.searchParams.get('maxEvents') ?? '100');
    const answer = () => {
      const newer = task.events.filter((e) => after(e.eventId, cursor));
      const page = newer.slice(0, maxEvents);
      entry.ended = true;
      json(res, 200, {
        taskId,
        events: page,
        nextAfterEventId: page.at(-1)?.eventId ?? cursor,
        hasMore: newer.length > page.length,
      });
    };
    if (task.events.some((e) => after(e.eventId, cursor)) || waitMs <= 0) return answer();
    // Peer quirk: waits the whole timeout for something newer, even when the task is terminal.
    const listener = () => finish();
    const timer = setTimeout(() => finish(), waitMs);
    const finish = () => {
      clearTimeout(timer);
      task.listeners.delete(listener);
      if (!res.writableEnded && !res.destroyed) answer();
    };
    task.listeners.add(listener);
    res.on('close', () => {
      if (!entry.ended) {
        entry.closedByClient = true;
        entry.ended = true;
      }
      clearTimeout(timer);
      task.listeners.delete(listener);
    });
  };

  const handleSse = (req: IncomingMessage, res: ServerResponse, taskId: string) => {
    const header = req.headers['last-event-id'];
    const cursor = (Array.isArray(header) ? header[0] : header) ?? null;
    const entry: PeerStreamRequest = {
      taskId,
      cursor,
      keys: [],
      waitTimeoutMs: null,
      closedByClient: false,
      ended: false,
    };
    sse.push(entry);
    // Peer quirk: headers first, checks after.
    res.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    const task = tasks.get(taskId);
    if (!task || !validCursor(cursor)) {
      entry.ended = true;
      // Let the headers reach the client first: it must see a 200 that then breaks.
      setTimeout(() => res.socket?.destroy(), 20);
      return;
    }
    openResponses.set(res, entry);
    const send = (event: PeerEvent) => res.write(`id: ${event.eventId}\ndata: ${JSON.stringify(event)}\n\n`);
    for (const event of task.events) if (after(event.eventId, cursor)) send(event);
    task.listeners.add(send);
    // Peer quirk: keeps going after the terminal event, forever.
    const stop = every(heartbeatMs, () => {
      hb += 1;
      sseHeartbeats += 1;
      const frame = { type: 'HEARTBEAT', eventId: `hb-${hb}`, taskId, timestamp: new Date().toISOString() };
      res.write(`: heartbeat\n\ndata: ${JSON.stringify(frame)}\n\n`);
    });
    res.on('close', () => {
      if (!entry.ended) entry.closedByClient = true;
      entry.ended = true;
      openResponses.delete(res);
      task.listeners.delete(send);
      stop();
    });
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://peer');
    const path = url.pathname;
    if (req.method === 'POST' && path === '/api/v1/tasks') return void handleCreate(req, res);
    if (path === '/api/v1/capabilities') {
      capabilitiesRequests += 1;
      return json(res, 404, { detail: 'Not Found' });
    }
    const stream = /^\/api\/v1\/tasks\/([^/]+)\/events\/stream$/.exec(path);
    if (req.method === 'GET' && stream) return handleSse(req, res, decodeURIComponent(stream[1] as string));
    const poll = /^\/api\/v1\/tasks\/([^/]+)\/events$/.exec(path);
    if (req.method === 'GET' && poll) return handlePoll(req, res, decodeURIComponent(poll[1] as string), url);
    json(res, 404, { detail: 'Not Found' });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    if (new URL(req.url ?? '/', 'http://peer').pathname !== '/api/v1/tasks/ws') {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => serveWebSocket(ws));
  });

  const serveWebSocket = (ws: WebSocket) => {
    let entry: PeerStreamRequest | undefined;
    let serverClosed = false;
    let stopHeartbeat: (() => void) | undefined;
    let unlisten: (() => void) | undefined;
    const closeWith = (code: number, reason: string) => {
      serverClosed = true;
      ws.close(code, reason);
    };
    ws.on('close', () => {
      if (entry) {
        if (!serverClosed) entry.closedByClient = true;
        entry.ended = true;
      }
      stopHeartbeat?.();
      unlisten?.();
    });
    ws.on('error', () => undefined);
    ws.once('message', (data) => {
      // Peer quirk: nothing after the first frame is read.
      let frame: Record<string, unknown>;
      try {
        frame = JSON.parse(String(data)) as Record<string, unknown>;
      } catch {
        return closeWith(1008, 'invalid json');
      }
      const keys = Object.keys(frame);
      const taskId = typeof frame.taskId === 'string' ? frame.taskId : '';
      const cursor = typeof frame.lastEventId === 'string' ? frame.lastEventId : null;
      entry = { taskId, cursor, keys, waitTimeoutMs: null, closedByClient: false, ended: false };
      wsLog.push(entry);
      const allowed = ['action', 'taskId', 'lastEventId'];
      const task = tasks.get(taskId);
      if (frame.action !== 'subscribe' || keys.some((k) => !allowed.includes(k))) {
        return closeWith(1008, 'invalid subscribe frame');
      }
      if (!task || !validCursor(cursor)) return closeWith(1008, 'task not found');
      ws.send(
        JSON.stringify({
          type: 'SUBSCRIPTION_CONFIRMED',
          taskId,
          replayStartedAfterEventId: cursor,
          live: true,
        }),
      );
      const send = (event: PeerEvent) => {
        if (ws.readyState !== ws.OPEN) return;
        ws.send(JSON.stringify(event));
        if (TERMINAL.has(event.type) && wsCloseOnTerminal) closeWith(1000, 'task finished');
      };
      for (const event of task.events) if (after(event.eventId, cursor)) send(event);
      if (serverClosed) return;
      task.listeners.add(send);
      unlisten = () => task.listeners.delete(send);
      // Peer quirk: with a cursor at the terminal event, this is where it stays: heartbeats forever.
      stopHeartbeat = every(heartbeatMs, () => {
        if (ws.readyState !== ws.OPEN) return;
        wsHeartbeats += 1;
        ws.send(JSON.stringify({ type: 'HEARTBEAT', taskId, live: true }));
      });
    });
  };

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    append,
    createTask: newTask,
    events: (taskId) => tasks.get(taskId)?.events ?? [],
    sse,
    ws: wsLog,
    polls,
    creates,
    capabilitiesRequests: () => capabilitiesRequests,
    sseHeartbeatsSent: () => sseHeartbeats,
    wsHeartbeatsSent: () => wsHeartbeats,
    dropSse() {
      for (const [res, entry] of openResponses) {
        entry.ended = true;
        res.socket?.destroy();
      }
    },
    async close() {
      for (const timer of timers) clearInterval(timer);
      for (const client of wss.clients) client.terminate();
      wss.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}
