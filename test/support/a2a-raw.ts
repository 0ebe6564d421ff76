/**
 * A raw A2A JSON-RPC stream over `node:http`, for hazard tests that must see the HTTP response itself:
 * when it ends (H1), what it answers before any event (H5), and a reader that stops reading (H3).
 */
import { request, type IncomingMessage, type ClientRequest } from 'node:http';

/** One SSE frame of an A2A stream: its `event:` name (`message` when absent) and parsed `data:`. */
export interface A2AFrame {
  event: string;
  data: {
    jsonrpc: string;
    id: unknown;
    result?: Record<string, unknown>;
    error?: { code: number; message: string };
  };
  /** ms since epoch when the frame was parsed. */
  at: number;
}

/** A stream being read. */
export interface RawA2AStream {
  /** Resolves with the response head. */
  response: Promise<IncomingMessage>;
  frames: A2AFrame[];
  /** Resolves when the response ended (or failed); the value is the time, ms since epoch. */
  ended: Promise<number>;
  /** Stops reading (the socket's buffers fill up and the server sees backpressure). */
  pause(): void;
  /** Reads again. */
  resume(): void;
  /** Destroys the request (the client goes away). */
  destroy(): void;
  /** Bytes of body received so far. */
  bytes(): number;
}

/** Options of {@link openRawA2A}. */
export interface RawA2AOptions {
  /** Demo bearer subject. Default `alice`; `null` sends no credentials. */
  subject?: string | null;
  /** A2A-Version header. Default `'1.0'`; `null` sends none (a 0.3 peer). */
  version?: string | null;
}

/**
 * POSTs one JSON-RPC request to `<baseUrl>/a2a` accepting `text/event-stream` and parses the frames.
 */
export function openRawA2A(
  baseUrl: string,
  method: string,
  params: unknown,
  options: RawA2AOptions = {},
): RawA2AStream {
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method, params });
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'text/event-stream',
    'content-length': String(Buffer.byteLength(body)),
  };
  const subject = options.subject === undefined ? 'alice' : options.subject;
  if (subject !== null) headers.authorization = `Bearer ${subject}`;
  const version = options.version === undefined ? '1.0' : options.version;
  if (version !== null) headers['a2a-version'] = version;
  const frames: A2AFrame[] = [];
  let received = 0;
  let res: IncomingMessage | undefined;
  let req: ClientRequest;
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    req = request(`${baseUrl}/a2a`, { method: 'POST', headers }, (incoming) => {
      res = incoming;
      resolve(incoming);
    });
    req.on('error', reject);
    req.end(body);
  });
  response.catch(() => undefined);
  const ended = response.then(
    (incoming) =>
      new Promise<number>((resolve) => {
        let buffer = '';
        incoming.setEncoding('utf8');
        incoming.on('data', (chunk: string) => {
          received += Buffer.byteLength(chunk);
          buffer += chunk;
          let cut: number;
          while ((cut = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            let event = 'message';
            let data = '';
            for (const line of block.split('\n')) {
              if (line.startsWith('event:')) event = line.slice(6).trim();
              else if (line.startsWith('data:')) data += line.slice(5).trim();
            }
            if (data) frames.push({ event, data: JSON.parse(data) as A2AFrame['data'], at: Date.now() });
          }
        });
        const done = () => resolve(Date.now());
        incoming.on('end', done);
        incoming.on('close', done);
        incoming.on('error', done);
      }),
    () => Date.now(),
  );
  return {
    response,
    frames,
    ended,
    pause: () => res?.pause(),
    resume: () => res?.resume(),
    destroy: () => req.destroy(),
    bytes: () => received,
  };
}

/** A 1.0 SendStreamingMessage params object starting `taskType` (JSON wire form). */
export function startParams(
  taskType: string,
  input: Record<string, unknown>,
  messageId = crypto.randomUUID(),
) {
  return { message: { messageId, role: 'ROLE_USER', parts: [{ data: { taskType, input } }] } };
}

/** The `result` objects of the data frames, in order (1.0 wire: `{task}`, `{statusUpdate}`, `{artifactUpdate}`). */
export function resultsOf(frames: readonly A2AFrame[]): Record<string, unknown>[] {
  return frames.flatMap((f) => (f.data.result ? [f.data.result] : []));
}

/** The state names of the status updates in the frames (1.0 wire), e.g. `TASK_STATE_COMPLETED`. */
export function statusStates(frames: readonly A2AFrame[]): string[] {
  return resultsOf(frames).flatMap((r) => {
    const update = r.statusUpdate as { status?: { state?: string } } | undefined;
    return update?.status?.state ? [update.status.state] : [];
  });
}

/** The state of the last status in the frames, from a status update or a task (1.0 wire). */
export function lastStateOf(frames: readonly A2AFrame[]): string | undefined {
  let state: string | undefined;
  for (const result of resultsOf(frames)) {
    const carrier = (result.statusUpdate ?? result.task) as { status?: { state?: string } } | undefined;
    if (carrier?.status?.state) state = carrier.status.state;
  }
  return state;
}
