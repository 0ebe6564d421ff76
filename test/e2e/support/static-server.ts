/**
 * A plain `node:http` static file server for the browser tests that run with no TaskBridge backend:
 * it serves one built directory, answers 404 to every other path (every `/api/...` route included),
 * refuses every WebSocket upgrade, and logs each request so a test can prove that only static files
 * ever reached the network.
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';

// A service worker script must be served with a JavaScript MIME type, or registration fails.
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** A running static server. */
export interface StaticServer {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  /** Every request so far, oldest first, as `METHOD /path?query` (upgrades as `UPGRADE /path`). */
  readonly requests: readonly string[];
  close(): Promise<void>;
}

/**
 * Serves `dir` on 127.0.0.1 at an ephemeral port: `GET /` (any query) is `index.html`, other paths
 * map to files under `dir`; anything else (other methods, missing files, paths leaving `dir`) is 404.
 */
export async function startStaticServer(dir: string): Promise<StaticServer> {
  const root = resolve(dir);
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method ?? '?'} ${req.url ?? ''}`);
    // Not decoded: the built files have plain names, and a malformed escape must not throw here.
    const { pathname } = new URL(req.url ?? '/', 'http://localhost');
    const file = resolve(join(root, pathname === '/' ? 'index.html' : pathname));
    if (req.method !== 'GET' || !file.startsWith(root + sep)) {
      res.writeHead(404).end();
      return;
    }
    readFile(file).then(
      (body) => {
        const type = CONTENT_TYPES[extname(file)] ?? 'application/octet-stream';
        res.writeHead(200, { 'Content-Type': type, 'Cache-Control': 'no-store' }).end(body);
      },
      () => res.writeHead(404).end(),
    );
  });
  server.on('upgrade', (req, socket) => {
    requests.push(`UPGRADE ${req.url ?? ''}`);
    socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
