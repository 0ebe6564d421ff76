/**
 * Reads a Server-Sent Events response frame by frame for conformance tests (protocol/SPEC.md §5). Reads the
 * fetch body directly instead of going through an `EventSource`, so tests see the exact bytes the
 * server framed: `id:` lines, `data:` lines, comments, and where the response ends.
 */
import { TaskBridgeError } from '@taskbridge/protocol';

/** One block of an SSE body, i.e. the text between two blank lines. */
export interface SseFrame {
  /** The block as sent, without the terminating blank line. */
  raw: string;
  /** Value of the `id:` field, when present. */
  id: string | undefined;
  /** The `data:` lines joined with `\n`, when present. */
  data: string | undefined;
  /** Comment lines (those starting with `:`), without the colon. */
  comments: string[];
  /** Names of every field line in order (`id`, `data`, `event`, `retry`, …); comments excluded. */
  fields: string[];
  /** `Date.now()` when the block was complete. */
  receivedAt: number;
}

/** An open SSE response being read in the background. */
export interface SseStream {
  response: Response;
  /** Every complete frame so far; grows while the body is read. */
  readonly frames: readonly SseFrame[];
  /** All body text decoded so far. */
  text(): string;
  /** True once the body ended (server closed it) or the read failed. */
  readonly ended: boolean;
  /** Resolves when the body ends, the read fails or {@link SseStream.close} is called. */
  done: Promise<void>;
  /** True when the body ended because the server finished it (not because the test aborted). */
  readonly endedByServer: boolean;
  /** Aborts the request. Idempotent. */
  close(): void;
}

/** Splits one block into its fields (protocol/SPEC.md §5 framing: `field: value` lines, `:` comments). */
export function parseSseBlock(raw: string, receivedAt = Date.now()): SseFrame {
  const frame: SseFrame = { raw, id: undefined, data: undefined, comments: [], fields: [], receivedAt };
  const data: string[] = [];
  for (const line of raw.split('\n')) {
    if (line.startsWith(':')) {
      frame.comments.push(line.slice(1).trim());
      continue;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    frame.fields.push(field);
    if (field === 'id') frame.id = value;
    if (field === 'data') data.push(value);
  }
  if (data.length > 0) frame.data = data.join('\n');
  return frame;
}

/**
 * Opens `url` with `fetch` and reads its body in the background.
 *
 * @param init - request options; `signal` is replaced by the stream's own abort controller.
 * @throws {TaskBridgeError} `UNEXPECTED_RESPONSE` when the response is not a 200 `text/event-stream`
 *   (tests of error statuses call `fetch` themselves).
 */
export async function openSse(url: string, init: RequestInit = {}): Promise<SseStream> {
  const abort = new AbortController();
  const response = await fetch(url, { ...init, signal: abort.signal });
  const type = response.headers.get('content-type') ?? '';
  if (response.status !== 200 || !type.startsWith('text/event-stream') || !response.body) {
    const body = await response.text();
    throw new TaskBridgeError({
      code: 'UNEXPECTED_RESPONSE',
      message: `expected an SSE stream, got ${response.status} ${type}: ${body.slice(0, 200)}`,
      status: response.status,
    });
  }
  const frames: SseFrame[] = [];
  let text = '';
  let buffer = '';
  let ended = false;
  let endedByServer = false;
  const reader = response.body.getReader();
  const decoder = new TextDecoder();

  const read = async () => {
    try {
      for (;;) {
        const chunk = await reader.read();
        if (chunk.done) {
          endedByServer = true;
          break;
        }
        const decoded = decoder.decode(chunk.value, { stream: true });
        text += decoded;
        buffer += decoded;
        let boundary = buffer.indexOf('\n\n');
        while (boundary !== -1) {
          frames.push(parseSseBlock(buffer.slice(0, boundary)));
          buffer = buffer.slice(boundary + 2);
          boundary = buffer.indexOf('\n\n');
        }
      }
    } catch {
      // Aborted by the test or reset by the server; either way the stream is over.
    } finally {
      ended = true;
    }
  };
  const done = read();

  return {
    response,
    frames,
    text: () => text,
    get ended() {
      return ended;
    },
    get endedByServer() {
      return endedByServer;
    },
    done,
    close() {
      abort.abort();
    },
  };
}

/** The JSON `data:` of each frame that carries an `id:` line: the events, in order. */
export function eventFramesOf(frames: readonly SseFrame[]): SseFrame[] {
  return frames.filter((f) => f.id !== undefined);
}

/** Parses a frame's `data:` as JSON (`undefined` when the frame has none). */
export function dataOf(frame: SseFrame): unknown {
  return frame.data === undefined ? undefined : (JSON.parse(frame.data) as unknown);
}
