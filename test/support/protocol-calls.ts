/**
 * HTTP calls and assertions shared by the conformance suites: JSON posts, polls, "wait for this
 * event" via long polls (no sleeps), and the protocol/SPEC.md §8 error-envelope check.
 */
import {
  type ErrorEnvelope,
  isTerminalEvent,
  type PollEventsResponse,
  parsePollEventsResponse,
  type TaskEvent,
} from '@taskbridge/protocol';
import { expect } from 'vitest';
import type { TestServer } from './reference-server';

/** Paths of a server's routes for one task, under the default templates or a custom base. */
export interface TaskPaths {
  create: string;
  events: (taskId: string) => string;
  stream: (taskId: string) => string;
  cancel: (taskId: string) => string;
  actions: (taskId: string) => string;
  status: (taskId: string) => string;
  websocket: string;
  capabilities: string;
}

/** Paths under `base` (default `/api/v1`, as protocol/SPEC.md §1). */
export function taskPaths(base = '/api/v1'): TaskPaths {
  const tasks = `${base}/tasks`;
  const one = (taskId: string) => `${tasks}/${encodeURIComponent(taskId)}`;
  return {
    create: tasks,
    events: (id) => `${one(id)}/events`,
    stream: (id) => `${one(id)}/events/stream`,
    cancel: (id) => `${one(id)}/cancel`,
    actions: (id) => `${one(id)}/actions`,
    status: one,
    websocket: `${tasks}/ws`,
    capabilities: `${base}/capabilities`,
  };
}

let requestCounter = 0;

/** A fresh `clientRequestId` / `clientActionId`, unique within the test process. */
export function uniqueId(prefix = 'id'): string {
  requestCounter += 1;
  return `${prefix}-${process.pid}-${Date.now()}-${requestCounter}`;
}

/** POSTs `body` as JSON (`undefined` sends no body) as `subject`. */
export function postJson(ts: TestServer, path: string, body: unknown, subject = 'alice'): Promise<Response> {
  return ts.request(path, {
    method: 'POST',
    subject,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
}

/** Query of {@link poll}. */
export interface PollParams {
  afterEventId?: string;
  waitTimeoutMs?: number;
  maxEvents?: number;
  subject?: string;
  /** Default `/api/v1`. */
  base?: string;
}

/** One poll (protocol/SPEC.md §4); asserts a 200 with a schema-valid body. */
export async function poll(
  ts: TestServer,
  taskId: string,
  params: PollParams = {},
): Promise<PollEventsResponse> {
  const query = new URLSearchParams();
  if (params.afterEventId !== undefined) query.set('afterEventId', params.afterEventId);
  query.set('waitTimeoutMs', String(params.waitTimeoutMs ?? 0));
  if (params.maxEvents !== undefined) query.set('maxEvents', String(params.maxEvents));
  const res = await ts.request(`${taskPaths(params.base).events(taskId)}?${query}`, {
    subject: params.subject ?? 'alice',
  });
  const body: unknown = await res.json();
  expect(res.status, JSON.stringify(body)).toBe(200);
  const parsed = parsePollEventsResponse(body);
  if (!parsed.ok) throw parsed.error;
  return parsed.value;
}

/**
 * Long-polls from the oldest event until one matches `predicate`; returns every event received up to
 * and including it. Gives up (throws) on a terminal event that does not match, or after `maxPolls`.
 */
export async function waitForEvent(
  ts: TestServer,
  taskId: string,
  predicate: (event: TaskEvent) => boolean,
  options: { subject?: string; base?: string; maxPolls?: number } = {},
): Promise<{ event: TaskEvent; events: TaskEvent[] }> {
  const events: TaskEvent[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < (options.maxPolls ?? 200); i++) {
    const page = await poll(ts, taskId, {
      waitTimeoutMs: 2000,
      maxEvents: 500,
      ...(cursor === undefined ? {} : { afterEventId: cursor }),
      ...(options.subject === undefined ? {} : { subject: options.subject }),
      ...(options.base === undefined ? {} : { base: options.base }),
    });
    for (const event of page.events) {
      events.push(event);
      cursor = event.eventId;
      if (predicate(event)) return { event, events };
      if (isTerminalEvent(event)) {
        throw new Error(`task ended with ${event.type} before the awaited event: ${JSON.stringify(event)}`);
      }
    }
  }
  throw new Error(`awaited event did not arrive after ${options.maxPolls ?? 200} polls`);
}

/** Long-polls until the terminal event; returns the whole stream. */
export async function collectUntilTerminal(
  ts: TestServer,
  taskId: string,
  options: { subject?: string; base?: string } = {},
): Promise<TaskEvent[]> {
  return (await waitForEvent(ts, taskId, isTerminalEvent, options)).events;
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

/**
 * Asserts `res` is the protocol/SPEC.md §8 error envelope with `status` and `code`: `application/json`,
 * exactly `{code, message, details, timestamp}`, an ISO-8601 UTC timestamp, no stack trace.
 */
export async function expectErrorEnvelope(
  res: Response,
  status: number,
  code: string,
): Promise<ErrorEnvelope> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get('content-type') ?? '').toMatch(/^application\/json/);
  const body = JSON.parse(text) as ErrorEnvelope;
  expect(Object.keys(body).sort()).toEqual(['code', 'details', 'message', 'timestamp']);
  expect(body.code).toBe(code);
  expect(typeof body.message).toBe('string');
  expect(typeof body.details === 'object' && body.details !== null && !Array.isArray(body.details)).toBe(
    true,
  );
  expect(body.timestamp).toMatch(ISO_UTC);
  expect(new Date(body.timestamp).toISOString().slice(0, 19)).toBe(body.timestamp.slice(0, 19));
  expect(text).not.toMatch(/\n\s+at .+:\d+:\d+/);
  return body;
}
