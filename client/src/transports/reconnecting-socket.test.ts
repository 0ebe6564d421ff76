import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import type { WebSocketConstructor } from '../platform';
import { openSocket, type Socket } from './reconnecting-socket';

let server: WebSocketServer | undefined;
let socket: Socket | undefined;

afterEach(async () => {
  socket?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
  socket = undefined;
});

describe('openSocket', () => {
  it('keeps no library timer once open (each would pin a Node Timeout per socket)', async () => {
    server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const opened = new Promise<void>((resolve) => {
      socket = openSocket(
        `ws://127.0.0.1:${port}`,
        { WebSocket: WebSocket as unknown as WebSocketConstructor },
        { onOpen: resolve, onMessage: () => undefined, onClose: () => undefined },
      );
    });
    await opened;
    const timers = socket as unknown as { _connectTimeout: unknown; _uptimeTimeout: unknown };
    expect(timers._connectTimeout).toBeUndefined();
    expect(timers._uptimeTimeout).toBeUndefined();
  });
});
