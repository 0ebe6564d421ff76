/**
 * The app against a real TaskBridge reference server (its URL in TASKBRIDGE_SERVER_URL; the repository's
 * driver test starts one): streams over WebSocket, SSE and polling; resumes after background →
 * foreground (AppState), after a network drop (NetInfo) and after an app restart, from checkpoints in
 * AsyncStorage (its official jest mock).
 */
import AsyncStorage from '@react-native-async-storage/async-storage';
import NetInfo from '@react-native-community/netinfo';
import type { TaskBridgeClient, TaskEvent, TransportName } from '@taskbridge/client';
import { act, render, screen, waitFor } from '@testing-library/react-native';
import { AppState } from 'react-native';
import { App } from '../src/App';
import { createClient } from '../src/taskbridge';
import { SummaryScreen, TaskScreen } from '../src/TaskScreen';

const SERVER = process.env.TASKBRIDGE_SERVER_URL;
if (!SERVER) throw new Error('set TASKBRIDGE_SERVER_URL to a running TaskBridge reference server');
const BASE_URL: string = SERVER;
/** The demo auth of the driver's server: the bearer token is the subject. */
const TOKEN = 'react-native-test';
const TEXT =
  'React Native has no EventSource. Its fetch cannot stream a body. Its WebSocket takes headers. ' +
  'AsyncStorage keeps the checkpoints. AppState says when the app goes to the background.';

// What went over the wire, recorded around React Native's (here: the setup's) platform objects.
interface SocketRecord {
  url: string;
  headers: Record<string, string>;
  frames: Array<{ action?: string; lastEventId?: string | null }>;
  closed: boolean;
}
interface XhrRecord {
  url: string;
  headers: Record<string, string>;
}
const sockets: SocketRecord[] = [];
const xhrs: XhrRecord[] = [];
const fetches: string[] = [];

const PlatformWebSocket = global.WebSocket as unknown as new (
  url: string,
  protocols?: string | string[],
  options?: { headers?: Record<string, string> },
) => WebSocket;
class RecordingWebSocket extends PlatformWebSocket {
  constructor(url: string, protocols?: string | string[], options?: { headers?: Record<string, string> }) {
    super(url, protocols, options);
    const record: SocketRecord = { url, headers: { ...options?.headers }, frames: [], closed: false };
    sockets.push(record);
    const send = this.send.bind(this);
    this.send = (data: string) => {
      record.frames.push(JSON.parse(data));
      send(data);
    };
    this.addEventListener('close', () => (record.closed = true));
  }
}
global.WebSocket = RecordingWebSocket as unknown as typeof WebSocket;

const PlatformXhr = global.XMLHttpRequest;
class RecordingXhr extends PlatformXhr {
  constructor() {
    super();
    const record: XhrRecord = { url: '', headers: {} };
    const open = this.open.bind(this) as (method: string, url: string, async?: boolean) => void;
    const setRequestHeader = this.setRequestHeader.bind(this);
    this.open = ((method: string, url: string, async?: boolean) => {
      record.url = url;
      xhrs.push(record);
      open(method, url, async);
    }) as typeof this.open;
    this.setRequestHeader = (name: string, value: string) => {
      record.headers[name] = value;
      setRequestHeader(name, value);
    };
  }
}
Object.assign(RecordingXhr, { UNSENT: 0, OPENED: 1, HEADERS_RECEIVED: 2, LOADING: 3, DONE: 4 });
global.XMLHttpRequest = RecordingXhr as unknown as typeof XMLHttpRequest;

const platformFetch = global.fetch;
global.fetch = ((input: RequestInfo | URL, init?: RequestInit) => {
  fetches.push(String(input));
  return platformFetch(input, init);
}) as typeof fetch;

// React Native's AppState mock and NetInfo's jest mock record their listeners; these play the OS.
const appState = AppState as unknown as {
  currentState: string;
  addEventListener: jest.Mock;
};
const netInfo = NetInfo as unknown as { addEventListener: jest.Mock };
function setAppState(state: 'active' | 'background') {
  appState.currentState = state;
  for (const [type, listener] of appState.addEventListener.mock.calls) if (type === 'change') listener(state);
}
function setConnected(isConnected: boolean) {
  for (const [listener] of netInfo.addEventListener.mock.calls) listener({ isConnected, isInternetReachable: isConnected });
}

const clients: TaskBridgeClient[] = [];
function client(transport: TransportName): TaskBridgeClient {
  const created = createClient(BASE_URL, () => TOKEN, { forceTransport: transport, polling: { waitTimeoutMs: 1_000 } });
  clients.push(created);
  return created;
}

async function serverEvents(taskId: string): Promise<TaskEvent[]> {
  const response = await platformFetch(`${BASE_URL}/api/v1/tasks/${taskId}/events?waitTimeoutMs=0&maxEvents=500`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { events: TaskEvent[] }).events;
}

async function approveOverHttp(taskId: string, suspendId: string) {
  const response = await platformFetch(`${BASE_URL}/api/v1/tasks/${taskId}/actions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ suspendId, actionType: 'approve', clientActionId: `approve-${taskId}` }),
  });
  expect(response.status).toBeLessThan(300);
}

/** The checkpoint AsyncStorage holds for a task (written by the client through its AsyncStorage store). */
async function storedCheckpoint(taskId: string): Promise<{ lastEventId: string | null } | undefined> {
  const keys = await AsyncStorage.getAllKeys();
  const key = keys.find((k) => k.includes('checkpoint:') && k.endsWith(`:${encodeURIComponent(taskId)}`));
  if (key === undefined) return undefined;
  return JSON.parse((await AsyncStorage.getItem(key)) as string) as { lastEventId: string | null };
}

const text = (testID: string) => screen.getByTestId(testID);

beforeEach(() => {
  appState.currentState = 'active';
  sockets.length = 0;
  xhrs.length = 0;
  fetches.length = 0;
});

afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});

describe.each<TransportName>(['websocket', 'sse', 'polling'])('over %s', (transport) => {
  it('streams a summary through useTask to completion, every event once and in order', async () => {
    await AsyncStorage.clear();
    render(
      <App client={client(transport)}>
        <SummaryScreen text={TEXT} />
      </App>,
    );
    await waitFor(() => expect(text('status')).toHaveTextContent('completed'), { timeout: 15_000 });
    expect(text('connection')).toHaveTextContent('done');

    const checkpoint = await storedCheckpoint(await onlyTaskId());
    const taskId = await onlyTaskId();
    const events = await serverEvents(taskId);
    expect(events.at(-1)?.type).toBe('TASK_COMPLETED');
    // The folded text is every TASK_MESSAGE once, in order: a duplicate or a gap would change it.
    const streamed = events.flatMap((e) => (e.type === 'TASK_MESSAGE' ? [String(e.payload.message)] : []));
    expect(text('text')).toHaveTextContent(streamed.join(''), { normalizeWhitespace: false });
    expect(text('events')).toHaveTextContent(String(events.length));
    expect(checkpoint?.lastEventId).toBe(events.at(-1)?.eventId);

    // Credentials went in headers on every transport, never in a URL.
    if (transport === 'websocket') {
      expect(sockets).toHaveLength(1);
      expect(sockets[0]?.headers.Authorization).toBe(`Bearer ${TOKEN}`);
      expect(sockets[0]?.url).not.toMatch(/access_token|ticket/);
      expect(sockets[0]?.frames[0]).toEqual({ action: 'subscribe', taskId, lastEventId: null });
    } else if (transport === 'sse') {
      const stream = xhrs.filter((x) => x.url.includes('/events/stream'));
      expect(stream).toHaveLength(1);
      expect(stream[0]?.headers.Authorization).toBe(`Bearer ${TOKEN}`);
      expect(stream[0]?.url).not.toMatch(/access_token|ticket|lastEventId/);
    } else {
      expect(fetches.filter((url) => url.includes(`/tasks/${taskId}/events`)).length).toBeGreaterThan(0);
    }
    expect(xhrs.filter((x) => x.url.includes('/events/stream'))).toHaveLength(transport === 'sse' ? 1 : 0);
    console.log(`[taskbridge-react-native] ${transport}: task ${taskId} completed, ${events.length} events`);
  });
});

/** The one task whose checkpoint is in AsyncStorage (each streaming test clears it first). */
async function onlyTaskId(): Promise<string> {
  const keys = (await AsyncStorage.getAllKeys()).filter((k) => k.includes('checkpoint:'));
  expect(keys).toHaveLength(1);
  return decodeURIComponent((keys[0] as string).split(':').at(-1) as string);
}

/** Starts an approval task and follows it on screen until it waits for the approval. */
async function suspendedTask(c: TaskBridgeClient) {
  const { taskId } = await c.startTask({ taskType: 'approval', input: { question: 'Ship it?' } });
  const delivered: string[] = [];
  const subscription = c.task(taskId).events$.subscribe({ next: (event) => delivered.push(event.eventId), error: () => undefined });
  render(
    <App client={c}>
      <TaskScreen taskId={taskId} />
    </App>,
  );
  await waitFor(() => expect(text('status')).toHaveTextContent('suspended'), { timeout: 10_000 });
  const suspended = (await serverEvents(taskId)).find((e) => e.type === 'TASK_SUSPENDED') as TaskEvent & {
    payload: { suspendId: string };
  };
  await waitFor(async () => expect((await storedCheckpoint(taskId))?.lastEventId).toBe(suspended.eventId));
  return { taskId, delivered, subscription, suspended };
}

/** The task completed on screen, with exactly the server's events delivered once, in order. */
async function expectCompletedExactlyOnce(taskId: string, delivered: string[]) {
  await waitFor(() => expect(text('status')).toHaveTextContent('completed'), { timeout: 10_000 });
  const events = await serverEvents(taskId);
  expect(delivered).toEqual(events.map((e) => e.eventId));
  expect(text('events')).toHaveTextContent(String(events.length));
  await waitFor(async () => expect((await storedCheckpoint(taskId))?.lastEventId).toBe(events.at(-1)?.eventId));
  return events;
}

describe('app lifecycle', () => {
  it('background → foreground (AppState): the stream pauses, then resumes from the checkpoint', async () => {
    const c = client('websocket');
    const { taskId, delivered, suspended } = await suspendedTask(c);
    expect(sockets).toHaveLength(1);

    act(() => setAppState('background'));
    await waitFor(() => expect(text('connection')).toHaveTextContent('paused'));
    await waitFor(() => expect(sockets[0]?.closed).toBe(true));
    // Approved elsewhere while the app is in the background: nothing reaches the paused app.
    await approveOverHttp(taskId, suspended.payload.suspendId);
    await waitFor(async () => expect((await serverEvents(taskId)).at(-1)?.type).toBe('TASK_COMPLETED'));
    expect(text('status')).toHaveTextContent('suspended');

    act(() => setAppState('active'));
    const events = await expectCompletedExactlyOnce(taskId, delivered);
    // One new socket, subscribed from the checkpoint's cursor.
    expect(sockets).toHaveLength(2);
    expect(sockets[1]?.frames[0]).toEqual({ action: 'subscribe', taskId, lastEventId: suspended.eventId });
    console.log(`[taskbridge-react-native] background: task ${taskId} completed, ${events.length} events`);
  });

  it('network drop (NetInfo): offline parks the stream, back online it reconnects from the checkpoint', async () => {
    const c = client('sse');
    const { taskId, delivered, suspended } = await suspendedTask(c);

    act(() => setConnected(false));
    await waitFor(() => expect(text('connection')).toHaveTextContent('offline'));
    await approveOverHttp(taskId, suspended.payload.suspendId);
    await waitFor(async () => expect((await serverEvents(taskId)).at(-1)?.type).toBe('TASK_COMPLETED'));
    expect(text('status')).toHaveTextContent('suspended');

    act(() => setConnected(true));
    const events = await expectCompletedExactlyOnce(taskId, delivered);
    const streams = xhrs.filter((x) => x.url.includes('/events/stream'));
    expect(streams).toHaveLength(2);
    expect(streams[1]?.headers['Last-Event-ID']).toBe(suspended.eventId);
    console.log(`[taskbridge-react-native] reconnect: task ${taskId} completed, ${events.length} events`);
  });

  it('app restart: a new client finds the task in AsyncStorage and resumes it from its checkpoint', async () => {
    const first = client('polling');
    const { taskId, subscription, suspended } = await suspendedTask(first);
    screen.unmount();
    subscription.unsubscribe();
    first.close();
    await approveOverHttp(taskId, suspended.payload.suspendId);

    const second = client('polling');
    const active = await second.activeTasks();
    expect(active.map((t) => [t.taskId, t.lastEventId, t.snapshot.status])).toEqual([
      [taskId, suspended.eventId, 'suspended'],
    ]);
    fetches.length = 0;
    const delivered: string[] = [];
    second.task(taskId).events$.subscribe({ next: (event) => delivered.push(event.eventId), error: () => undefined });
    render(
      <App client={second}>
        <TaskScreen taskId={taskId} />
      </App>,
    );
    await waitFor(() => expect(text('status')).toHaveTextContent('completed'), { timeout: 10_000 });
    const events = await serverEvents(taskId);
    // Only what happened after the checkpoint was fetched and delivered, once each.
    const after = events.slice(events.findIndex((e) => e.eventId === suspended.eventId) + 1);
    expect(delivered).toEqual(after.map((e) => e.eventId));
    const polls = fetches.filter((url) => url.includes(`/tasks/${taskId}/events`));
    expect(new URL(polls[0] as string).searchParams.get('afterEventId')).toBe(suspended.eventId);
    expect(text('events')).toHaveTextContent(String(events.length));
    console.log(`[taskbridge-react-native] restart: task ${taskId} completed, ${events.length} events`);
  });
});
