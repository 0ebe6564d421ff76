#!/usr/bin/env node
/**
 * `taskbridge-server --auth <jwt|demo> [options]`: the reference server with the demo handlers. See
 * {@link CLI_USAGE} for every flag and environment variable. The port comes from `--port`, else the
 * `PORT` environment variable, else 8787. With `@a2a-js/sdk` installed the task types are also served as
 * an A2A agent (card at `/.well-known/agent-card.json`) and `--a2a-agent <type>=<url>` follows remote
 * agents.
 */
import { loadCliA2A } from './cli-a2a';
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
const a2a = config.a2a ? await loadCliA2A() : undefined;
if (a2a && 'unavailable' in a2a) {
  process.stderr.write(`A2A bridge off (@a2a-js/sdk not installed: ${a2a.unavailable})\n`);
}
const bridge = a2a && !('unavailable' in a2a) ? a2a : undefined;
const server = createReferenceServer({
  ...config.options,
  ...(bridge ? { extensions: [bridge.extension] } : {}),
});
const { port, host } = config;
const { url } = await server
  .listen(port, host)
  .catch((error: NodeJS.ErrnoException) =>
    fail(`cannot listen on ${host}:${port}: ${error.code ?? error.message}`, 1),
  );
process.stdout.write(`TaskBridge reference server listening on ${url}\n`);
if (bridge) {
  try {
    const agents = bridge.registerAgents(server.engine, url, config.a2aAgents);
    process.stdout.write(
      `A2A agent card: ${url}/.well-known/agent-card.json (remote agents: ${agents.join(', ')})\n`,
    );
  } catch (error) {
    await server.close();
    fail(error instanceof Error ? error.message : String(error), 2);
  }
}
if (config.options.staticDir) process.stdout.write(`Open ${url}/ (serving ${config.options.staticDir})\n`);

const stop = () => {
  void server.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
