#!/usr/bin/env node
/**
 * `taskbridge-server --auth <jwt|demo> [options]`: the reference server with the demo handlers. See
 * {@link CLI_USAGE} for every flag and environment variable. The port comes from `--port`, else the
 * `PORT` environment variable, else 8787.
 */
import { CLI_USAGE, CliError, readCliConfig } from './cli-options';
import { createReferenceServer } from './server';

/** Prints one line (no stack trace) and exits: bad input is the user's to fix, not a crash. */
function fail(message: string, code: number): never {
  process.stderr.write(`taskbridge-server: ${message}\n`);
  process.exit(code);
}

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  process.stdout.write(CLI_USAGE);
  process.exit(0);
}
let config;
try {
  config = readCliConfig(process.argv.slice(2), process.env);
} catch (error) {
  if (!(error instanceof CliError) && !(error instanceof TypeError)) throw error;
  process.stderr.write(`taskbridge-server: ${error.message}\n\n${CLI_USAGE}`);
  process.exit(2);
}
const server = createReferenceServer(config.options);
const { port, host } = config;
const { url } = await server
  .listen(port, host)
  .catch((error: NodeJS.ErrnoException) =>
    fail(`cannot listen on ${host}:${port}: ${error.code ?? error.message}`, 1),
  );
process.stdout.write(`TaskBridge reference server listening on ${url}\n`);
if (config.options.staticDir) process.stdout.write(`Open ${url}/ (serving ${config.options.staticDir})\n`);

const stop = () => {
  void server.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
