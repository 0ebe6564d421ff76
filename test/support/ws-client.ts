/**
 * A WebSocket test client (the `ws` package) that records every text frame and how the socket
 * closed, for conformance tests of protocol/SPEC.md §6. Track sessions with {@link WsSessions} and close them
 * in `afterEach` so vitest exits.
 */
import { WebSocket } from 'ws';

/** How the socket ended: the close code and reason the server sent (1006 when none was). */
export interface WsCloseInfo {
  code: number;
  reason: string;
}

/** One WebSocket connection under test. */
export interface WsSession {
  socket: WebSocket;
  /** Every text frame, parsed as JSON, in arrival order. Binary frames are kept as `Buffer`s. */
  readonly messages: readonly unknown[];
  /** Resolves once the upgrade succeeded (101); rejects with the HTTP status otherwise. */
  opened: Promise<void>;
  /** HTTP status of a refused upgrade (e.g. 404), else `undefined`. */
  readonly refusedStatus: number | undefined;
  /** Resolves when the socket is closed, with the close code and reason. */
  closed: Promise<WsCloseInfo>;
  /** The close code and reason once closed, else `undefined`. */
  readonly closeInfo: WsCloseInfo | undefined;
  /** Sends `{"action":"subscribe","taskId","lastEventId"}` (protocol/SPEC.md §6) once open. */
  subscribe(taskId: string, lastEventId?: string | null): Promise<void>;
  /** Sends a raw text or binary frame once open. */
  send(data: string | Buffer): Promise<void>;
}

/** Options of {@link WsSessions.connect}. */
export interface WsConnectOptions {
  /** Sent as `Authorization: Bearer <subject>` (the demo auth resolver's convention). */
  subject?: string;
  headers?: Record<string, string>;
}

/** Opens WebSocket sessions and closes all of them at once in `afterEach`. */
export class WsSessions {
  readonly #open = new Set<WebSocket>();

  /** Connects to `url` (e.g. `ws://127.0.0.1:1234/api/v1/tasks/ws`). */
  connect(url: string, options: WsConnectOptions = {}): WsSession {
    const headers: Record<string, string> = { ...options.headers };
    if (options.subject !== undefined) headers.authorization = `Bearer ${options.subject}`;
    const socket = new WebSocket(url, { headers });
    this.#open.add(socket);
    const messages: unknown[] = [];
    let closeInfo: WsCloseInfo | undefined;
    let refusedStatus: number | undefined;

    socket.on('message', (data, isBinary) => {
      messages.push(isBinary ? data : (JSON.parse(data.toString()) as unknown));
    });
    // Without a listener `ws` would emit an error without the status; record it, then drop the request.
    socket.on('unexpected-response', (request, response) => {
      refusedStatus = response.statusCode;
      response.resume();
      // An error (not a bare destroy) is what makes `ws` emit its 'close' event.
      request.destroy(new Error(`upgrade refused with ${response.statusCode}`));
    });
    socket.on('error', () => undefined);

    const opened = new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('close', () => reject(new Error(`upgrade refused (${refusedStatus ?? 'no status'})`)));
    });
    // A refused upgrade is asserted through `refusedStatus`; don't let it become an unhandled rejection.
    opened.catch(() => undefined);
    const closed = new Promise<WsCloseInfo>((resolve) => {
      socket.once('close', (code, reason) => {
        closeInfo = { code, reason: reason.toString() };
        this.#open.delete(socket);
        resolve(closeInfo);
      });
    });

    const send = async (data: string | Buffer) => {
      await opened;
      socket.send(data);
    };
    return {
      socket,
      messages,
      opened,
      closed,
      get refusedStatus() {
        return refusedStatus;
      },
      get closeInfo() {
        return closeInfo;
      },
      subscribe: (taskId, lastEventId = null) =>
        send(JSON.stringify({ action: 'subscribe', taskId, lastEventId })),
      send,
    };
  }

  /** Terminates every socket still open and waits until they are closed. */
  async closeAll(): Promise<void> {
    const sockets = Array.from(this.#open);
    await Promise.all(
      sockets.map(
        (socket) =>
          new Promise<void>((resolve) => {
            if (socket.readyState === WebSocket.CLOSED) return resolve();
            socket.once('close', () => resolve());
            socket.terminate();
          }),
      ),
    );
    this.#open.clear();
  }
}
