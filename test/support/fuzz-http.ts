/**
 * A raw HTTP client for fuzzing: any method, path, header and body bytes, over one keep-alive agent so
 * a long run of sequential requests reuses its sockets. Streams (`text/event-stream`) are cut off once
 * their headers arrive.
 */
import { Agent, request as httpRequest } from 'node:http';
import { parseErrorEnvelope } from '@taskbridge/protocol';

/** One fuzz request. */
export interface RawRequest {
  method: string;
  /** Path and query, already percent-encoded where needed. */
  path: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

/** What came back. */
export interface RawResponse {
  status: number;
  contentType: string;
  body: string;
}

/** A client bound to a base URL. */
export interface RawClient {
  send(request: RawRequest): Promise<RawResponse>;
  close(): void;
}

/** Creates a {@link RawClient} with its own keep-alive agent. */
export function createRawClient(baseUrl: string): RawClient {
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  return {
    send({ method, path, headers = {}, body }) {
      return new Promise((resolve, reject) => {
        const payload = body === undefined ? undefined : typeof body === 'string' ? Buffer.from(body) : body;
        const req = httpRequest(
          `${baseUrl}${path}`,
          {
            method,
            agent,
            headers: { ...headers, ...(payload ? { 'content-length': String(payload.byteLength) } : {}) },
          },
          (res) => {
            const contentType = String(res.headers['content-type'] ?? '');
            const status = res.statusCode ?? 0;
            if (contentType.startsWith('text/event-stream')) {
              req.destroy();
              resolve({ status, contentType, body: '' });
              return;
            }
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('end', () =>
              resolve({ status, contentType, body: Buffer.concat(chunks).toString('utf8') }),
            );
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end(payload);
      });
    },
    close: () => agent.destroy(),
  };
}

/**
 * Why a response breaks the error contract (protocol/SPEC.md §8), or `undefined` when it holds: no 5xx, and
 * every 4xx is a JSON error envelope.
 */
export function envelopeViolation(res: RawResponse): string | undefined {
  if (res.status >= 500) return `status ${res.status}: ${res.body.slice(0, 300)}`;
  if (res.status < 400) return undefined;
  if (!res.contentType.startsWith('application/json')) {
    return `status ${res.status} with content type ${res.contentType}: ${res.body.slice(0, 300)}`;
  }
  let json: unknown;
  try {
    json = JSON.parse(res.body);
  } catch {
    return `status ${res.status} with a body that is not JSON: ${res.body.slice(0, 300)}`;
  }
  const envelope = parseErrorEnvelope(json);
  return envelope.ok
    ? undefined
    : `status ${res.status} without an error envelope: ${res.body.slice(0, 300)}`;
}

/** Header values Node accepts on the wire (visible ASCII, space, tab, latin-1). */
export const isSendableHeaderValue = (value: string): boolean => /^[\t\x20-\x7e\x80-\xff]*$/.test(value);
