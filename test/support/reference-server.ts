/**
 * Starts the real reference server on an ephemeral loopback port for one test file, with helpers for
 * the HTTP calls every suite makes. Close it in `afterEach`/`afterAll`. Without a `backend` option the
 * server runs on a fresh backend of the running test project's kind (`backend-fixture.ts`).
 */
import {
  createDemoAuthResolver,
  createReferenceServer,
  type ReferenceServer,
  type ReferenceServerOptions,
  silentLogger,
} from '@taskbridge/server-reference';
import { testBackend } from './backend-fixture';

/**
 * The options every test server starts from: the demo resolver, asked for by name (the bearer string
 * is the subject: tests play several users that way), and a silent logger, which receives the demo
 * warning instead of stderr. `overrides` win.
 */
export function testServerOptions(overrides: ReferenceServerOptions = {}): ReferenceServerOptions {
  return { auth: createDemoAuthResolver(), logger: silentLogger, ...overrides };
}

/** A started server plus request helpers bound to its base URL. */
export interface TestServer {
  server: ReferenceServer;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** `ws://127.0.0.1:<port>` */
  wsUrl: string;
  port: number;
  /** `fetch` against the server with an optional bearer subject. */
  request(path: string, init?: RequestInit & { subject?: string }): Promise<Response>;
  /** Creates a task as `subject` (default `alice`) and returns its id. */
  createTask(taskType: string, input?: Record<string, unknown>, subject?: string): Promise<string>;
  close(): Promise<void>;
}

/** Starts a reference server on 127.0.0.1:0 with {@link testServerOptions}. */
export async function startTestServer(options: ReferenceServerOptions = {}): Promise<TestServer> {
  // A backend made here is this server's: it closes with it.
  const own = options.backend ? undefined : await testBackend();
  const server = createReferenceServer(testServerOptions(own ? { ...options, backend: own } : options));
  const { port, url } = await server.listen(0, '127.0.0.1');
  let counter = 0;
  const request = (path: string, init: RequestInit & { subject?: string } = {}) => {
    const { subject, headers, ...rest } = init;
    const h = new Headers(headers);
    if (subject !== undefined) h.set('authorization', `Bearer ${subject}`);
    return fetch(`${url}${path}`, { ...rest, headers: h });
  };
  return {
    server,
    url,
    wsUrl: url.replace(/^http/, 'ws'),
    port,
    request,
    async createTask(taskType, input = {}, subject = 'alice') {
      counter += 1;
      const res = await request('/api/v1/tasks', {
        method: 'POST',
        subject,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ clientRequestId: `test-${Date.now()}-${counter}`, taskType, input }),
      });
      if (res.status !== 201) throw new Error(`create failed: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { taskId: string }).taskId;
    },
    async close() {
      await server.close();
      await own?.close();
    },
  };
}
