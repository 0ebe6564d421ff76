/**
 * Slow-consumer client process: raw `ws` and `node:http` readers of one task, each playing a role.
 * Frames are not JSON-parsed (8 KiB each, millions of them): the type and `eventId` are read from the
 * frame's head (the engine serialises `type`, `taskId`, `eventId` first).
 * - `fast-ws` `{ url, taskId, count }`: WebSockets that read as fast as they can, resuming from their
 *   last eventId when the server cuts them off (H3 overflow), until the terminal event;
 * - `catch-up-sse` `{ url, taskId, count, pauseMs }`: SSE readers that stop reading for `pauseMs`, then
 *   read on, resuming with `Last-Event-ID` whenever the response ends before the terminal event;
 * - `stalled` `{ url, taskId, ws, sse }`: readers that subscribe and then never read;
 * - `wait` `{ timeoutMs }`: resolves once every fast and catch-up reader has its terminal event (or on
 *   timeout) with each group's outcome;
 * - `release`: lets the stalled readers read, and reports how many found their connection gone.
 */
import { type IncomingMessage, request } from 'node:http';
import { compareEventIds } from '@taskbridge/protocol';
import { WebSocket } from 'ws';
import { type CommandArgs, numberArg, serveCommands, stringArg } from '../processes';

const AUTH = { authorization: 'Bearer alice' };
const TERMINAL = /"type":"TASK_(COMPLETED|FAILED|CANCELLED)"/;
// Tags the stalled readers' URLs, so the server's access log tells their connections apart.
const STALLED = '?role=stalled';

/** One reader's account of the stream: every id once and in order, and how it ended. */
interface Reader {
  group: 'fast-ws' | 'catch-up-sse';
  events: number;
  lastEventId: string | null;
  outOfOrder: number;
  reconnects: number;
  done: boolean;
  doneAt: number;
}

const readers: Reader[] = [];
const stalled: { resume(): Promise<boolean> }[] = [];
const closers: (() => void)[] = [];
let started = 0;
let onDone: (() => void) | undefined;

function accept(reader: Reader, eventId: string, terminal: boolean): void {
  if (reader.lastEventId !== null && compareEventIds(eventId, reader.lastEventId) !== 1)
    reader.outOfOrder += 1;
  reader.lastEventId = eventId;
  reader.events += 1;
  if (terminal && !reader.done) {
    reader.done = true;
    reader.doneAt = performance.now() - started;
    if (readers.every((r) => r.done)) onDone?.();
  }
}

function fastWs(url: string, taskId: string, reader: Reader): void {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/api/v1/tasks/ws`, {
    headers: AUTH,
    perMessageDeflate: false,
  });
  closers.push(() => ws.terminate());
  ws.on('open', () =>
    ws.send(JSON.stringify({ action: 'subscribe', taskId, lastEventId: reader.lastEventId })),
  );
  ws.on('message', (data: Buffer) => {
    const head = data.toString('latin1', 0, Math.min(data.length, 160));
    const id = /"eventId":"([^"]+)"/.exec(head)?.[1];
    if (id !== undefined) accept(reader, id, TERMINAL.test(head));
  });
  ws.on('error', () => undefined);
  ws.on('close', () => {
    if (reader.done) return;
    reader.reconnects += 1;
    fastWs(url, taskId, reader);
  });
}

function openSse(
  url: string,
  taskId: string,
  lastEventId: string | null,
  onResponse: (res: IncomingMessage) => void,
  query = '',
): () => void {
  const req = request(`${url}/api/v1/tasks/${taskId}/events/stream${query}`, {
    headers: {
      ...AUTH,
      accept: 'text/event-stream',
      ...(lastEventId ? { 'last-event-id': lastEventId } : {}),
    },
    agent: false,
  });
  req.on('response', onResponse);
  req.on('error', () => undefined);
  req.end();
  return () => req.destroy();
}

function catchUpSse(url: string, taskId: string, reader: Reader, pauseMs: number): void {
  closers.push(
    openSse(url, taskId, reader.lastEventId, (res) => {
      if (pauseMs > 0) {
        res.pause();
        setTimeout(() => res.resume(), pauseMs);
      }
      let buffer = '';
      res.setEncoding('latin1');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        let from = 0;
        while ((end = buffer.indexOf('\n\n', from)) >= 0) {
          if (buffer.startsWith('id: ', from)) {
            const id = buffer.slice(from + 4, buffer.indexOf('\n', from));
            accept(reader, id, TERMINAL.test(buffer.slice(from, Math.min(end, from + 200))));
          }
          from = end + 2;
        }
        buffer = buffer.slice(from);
      });
      res.on('close', () => {
        if (reader.done) return;
        reader.reconnects += 1;
        catchUpSse(url, taskId, reader, 0);
      });
    }),
  );
}

function newReader(group: Reader['group']): Reader {
  const reader: Reader = {
    group,
    events: 0,
    lastEventId: null,
    outOfOrder: 0,
    reconnects: 0,
    done: false,
    doneAt: 0,
  };
  readers.push(reader);
  return reader;
}

function stalledWs(url: string, taskId: string): Promise<void> {
  return new Promise((acked) => {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/api/v1/tasks/ws${STALLED}`, {
      headers: AUTH,
      perMessageDeflate: false,
    });
    closers.push(() => ws.terminate());
    const closed = new Promise<boolean>((resolve) => ws.on('close', () => resolve(true)));
    ws.on('error', () => undefined);
    ws.on('open', () => ws.send(JSON.stringify({ action: 'subscribe', taskId, lastEventId: null })));
    ws.once('message', () => {
      ws.pause();
      acked();
    });
    stalled.push({
      resume: () => {
        ws.resume();
        return Promise.race([closed, new Promise<boolean>((r) => setTimeout(() => r(false), 30_000))]);
      },
    });
  });
}

function stalledSse(url: string, taskId: string): Promise<void> {
  return new Promise((opened) => {
    closers.push(
      openSse(
        url,
        taskId,
        null,
        (res) => {
          res.pause();
          const ended = new Promise<boolean>((resolve) => res.on('close', () => resolve(true)));
          stalled.push({
            resume: () => {
              res.resume();
              return Promise.race([ended, new Promise<boolean>((r) => setTimeout(() => r(false), 30_000))]);
            },
          });
          opened();
        },
        STALLED,
      ),
    );
  });
}

function summary(group: Reader['group']) {
  const members = readers.filter((r) => r.group === group);
  return {
    readers: members.length,
    completed: members.filter((r) => r.done).length,
    minEvents: Math.min(...members.map((r) => r.events)),
    outOfOrder: members.reduce((n, r) => n + r.outOfOrder, 0),
    reconnects: members.reduce((n, r) => n + r.reconnects, 0),
    lastDoneMs: Math.max(...members.map((r) => (r.done ? r.doneAt : Number.NaN))),
  };
}

serveCommands(
  {
    'fast-ws'(args: CommandArgs) {
      started ||= performance.now();
      for (let i = 0; i < numberArg(args, 'count'); i++) {
        fastWs(stringArg(args, 'url'), stringArg(args, 'taskId'), newReader('fast-ws'));
      }
      return null;
    },
    'catch-up-sse'(args: CommandArgs) {
      started ||= performance.now();
      const pauseMs = numberArg(args, 'pauseMs');
      for (let i = 0; i < numberArg(args, 'count'); i++) {
        catchUpSse(stringArg(args, 'url'), stringArg(args, 'taskId'), newReader('catch-up-sse'), pauseMs);
      }
      return null;
    },
    async stalled(args: CommandArgs) {
      const url = stringArg(args, 'url');
      const taskId = stringArg(args, 'taskId');
      await Promise.all([
        ...Array.from({ length: numberArg(args, 'ws') }, () => stalledWs(url, taskId)),
        ...Array.from({ length: numberArg(args, 'sse') }, () => stalledSse(url, taskId)),
      ]);
      return { stalled: stalled.length };
    },
    async wait(args: CommandArgs) {
      if (!readers.every((r) => r.done)) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, numberArg(args, 'timeoutMs'));
          onDone = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      return { fast: summary('fast-ws'), catchUp: summary('catch-up-sse') };
    },
    async release() {
      const gone = await Promise.all(stalled.map((s) => s.resume()));
      return { released: gone.length, gone: gone.filter(Boolean).length };
    },
  },
  {},
  () => {
    for (const close of closers) close();
  },
);
