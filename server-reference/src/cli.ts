#!/usr/bin/env node
/**
 * The `taskbridge-server` command: the reference server with the demo handlers. `--help` prints the
 * options. The port comes from `--port`, else the `PORT` environment variable, else 8787.
 */
import { parseArgs } from 'node:util';
import { jsonLineLogger, silentLogger } from './logger';
import { createReferenceServer } from './server';

const USAGE = `Usage: taskbridge-server [options]

The TaskBridge v1 reference server with the demo task handlers (greet, summarize, approval, fail, ticker).

Options:
  --port <n>        port to listen on; 0 picks a free one (default: $PORT, else 8787)
  --host <host>     interface to bind (default: $HOST, else 127.0.0.1)
  --static <dir>    also serve the files in <dir> at /
  --cors            allow cross-origin requests (a dev server on another origin)
  --no-websocket    do not offer the WebSocket transport
  --no-sse          do not offer the SSE transport
  --no-polling      do not offer long polling
  --quiet           no request logs
  -h, --help        print this help
`;

/** Prints one line (no stack trace) and exits: bad input is the user's to fix, not a crash. */
function fail(message: string, code = 2): never {
  process.stderr.write(`taskbridge-server: ${message}\n`);
  process.exit(code);
}

function readArgs() {
  try {
    return parseArgs({
      options: {
        port: { type: 'string', default: process.env.PORT || '8787' },
        host: { type: 'string', default: process.env.HOST || '127.0.0.1' },
        static: { type: 'string' },
        cors: { type: 'boolean', default: false },
        'no-websocket': { type: 'boolean', default: false },
        'no-sse': { type: 'boolean', default: false },
        'no-polling': { type: 'boolean', default: false },
        quiet: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (error) {
    return fail(`${error instanceof Error ? error.message : String(error)} (see --help)`);
  }
}

const values = readArgs();
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const port = Number(values.port);
if (!/^\d+$/.test(values.port) || port > 65_535) fail(`--port must be 0–65535, got "${values.port}"`);

const server = createReferenceServer({
  logger: values.quiet ? silentLogger : jsonLineLogger,
  cors: values.cors,
  transports: { websocket: !values['no-websocket'], sse: !values['no-sse'], polling: !values['no-polling'] },
  ...(values.static ? { staticDir: values.static } : {}),
});
const { url } = await server
  .listen(port, values.host)
  .catch((error: NodeJS.ErrnoException) =>
    fail(`cannot listen on ${values.host}:${port}: ${error.code ?? error.message}`, 1),
  );
process.stdout.write(`TaskBridge reference server listening on ${url}\n`);
if (values.static) process.stdout.write(`Open ${url}/ (serving ${values.static})\n`);

const stop = () => {
  void server.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
