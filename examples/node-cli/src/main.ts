/**
 * `npm run example:cli -- summarize <file> [--url <server>] [--user <name>] [--transport <name>]`
 *
 * Uploads a text file as a `summarize` task and streams the summary to the terminal with a progress
 * bar; Ctrl-C cancels the task (a second Ctrl-C quits at once). Without `--url` it starts an
 * in-process reference server on a free port, so it runs on its own; with `--url` (e.g. the
 * `npm start` server, http://localhost:8787) it uses that one. Exit codes: 0 completed, 1 failed,
 * 2 bad usage, 130 cancelled.
 */
import { readFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  createTaskBridgeClient,
  type EventSourceConstructor,
  TaskBridgeError,
  type WebSocketConstructor,
} from '@taskbridge/client';
import type { TransportName } from '@taskbridge/protocol';
import {
  createDemoAuthResolver,
  createReferenceServer,
  type ReferenceServer,
} from '@taskbridge/server-reference';
import { EventSource } from 'eventsource';
import { WebSocket } from 'ws';
import { createTerminalView } from './terminal-view';

const USAGE =
  'usage: npm run example:cli -- summarize <file> [--url http://localhost:8787] [--user cli] ' +
  '[--transport websocket|sse|polling]\n';
const TRANSPORTS: readonly TransportName[] = ['websocket', 'sse', 'polling'];

/** Prints one line (never a stack trace: these are the user's to fix, not crashes) and exits. */
function exitWith(code: number, message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

/** `CODE: message` for our errors, the message for others. */
function reason(error: unknown): string {
  if (error instanceof TaskBridgeError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

// Anything not handled below is still one line.
process.on('uncaughtException', (error) => exitWith(1, `error: ${reason(error)}`));
process.on('unhandledRejection', (error) => exitWith(1, `error: ${reason(error)}`));

function readArgs() {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        url: { type: 'string' },
        user: { type: 'string', default: 'cli' },
        transport: { type: 'string' },
      },
    });
  } catch (error) {
    return exitWith(2, `${reason(error)}\n${USAGE.trimEnd()}`);
  }
}
const { values, positionals } = readArgs();
const [command, file] = positionals;
const transport = TRANSPORTS.find((name) => name === values.transport);
if (command !== 'summarize' || file === undefined || (values.transport !== undefined && !transport)) {
  process.stderr.write(USAGE);
  process.exit(2);
}

// `npm run` changes to the package root; resolve the file from where the user typed the command.
const path = resolve(process.env.INIT_CWD ?? process.cwd(), file);
const data = await readFile(path).catch((error: NodeJS.ErrnoException) => {
  const why = { ENOENT: 'no such file', EISDIR: 'it is a directory', EACCES: 'permission denied' }[
    error.code ?? ''
  ];
  return exitWith(2, `cannot read ${file}: ${why ?? reason(error)}`);
});

let local: ReferenceServer | undefined;
let baseUrl = values.url;
if (baseUrl === undefined) {
  // The in-process server trusts the --user name as is: a demo, never for a server others can reach.
  local = createReferenceServer({ auth: createDemoAuthResolver() });
  baseUrl = (await local.listen(0)).url;
  process.stderr.write(`(no --url: started an in-process reference server at ${baseUrl})\n`);
}

const client = createTaskBridgeClient({
  baseUrl,
  getAccessToken: () => values.user,
  // Node 20 has neither global: the SDK takes the `ws` and `eventsource` constructors.
  platform: {
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    EventSource: EventSource as unknown as EventSourceConstructor,
  },
  ...(transport ? { forceTransport: transport } : {}),
});
const { stream } = await client
  .startTask({
    taskType: 'summarize',
    files: [{ blob: new Blob([data], { type: 'text/plain' }), filename: basename(path) }],
  })
  .catch(async (error: unknown) => {
    await local?.close();
    const unreachable = error instanceof TaskBridgeError && error.code === 'NETWORK_ERROR';
    return exitWith(
      1,
      unreachable
        ? `cannot reach the server at ${baseUrl} (${error.message}); is it running? (npm start)`
        : `could not start the task: ${reason(error)}`,
    );
  });

const view = createTerminalView();
stream.events$.subscribe({
  next: (event) => {
    // A peer may send an off-schema payload; only a string message is a token.
    const message = event.type === 'TASK_MESSAGE' ? event.payload.message : undefined;
    if (typeof message === 'string') view.token(message);
  },
  error: () => undefined, // reported by settled() below
});
stream.snapshot$.subscribe((s) => view.progress(s.progress ?? 0, s.stage ?? s.status));
stream.connection$.subscribe((c) => view.transport(c.status === 'live' ? c.transport : null));

process.once('SIGINT', () => {
  view.note('cancelling… (Ctrl-C again to quit now)');
  process.once('SIGINT', () => process.exit(130));
  stream
    .cancel('cancelled from the terminal')
    .catch((error: unknown) => view.note(`cancel failed: ${error}`));
});

let exitCode = 1;
try {
  const final = await stream.settled();
  view.stop();
  if (final.status === 'completed') {
    const { stats } = final.result as { stats?: { words: number; sentences: number } };
    process.stderr.write(
      `done: ${stats?.words ?? '?'} words, ${stats?.sentences ?? '?'} sentences summarized\n`,
    );
    exitCode = 0;
  } else if (final.status === 'cancelled') {
    process.stderr.write('cancelled\n');
    exitCode = 130;
  } else {
    process.stderr.write(`failed: ${final.error?.code}: ${final.error?.message}\n`);
  }
} catch (error) {
  view.stop();
  process.stderr.write(`stream failed: ${reason(error)}\n`);
}
client.close();
await local?.close();
process.exit(exitCode);
