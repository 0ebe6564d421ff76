/**
 * `taskbridge-server --auth <jwt|demo> [options]`: the reference server with the demo handlers. See
 * {@link CLI_USAGE} for every flag and environment variable.
 */
import { CLI_USAGE, CliError, readCliConfig } from './cli-options';
import { createReferenceServer } from './server';

if (process.argv.includes('--help')) {
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
const { url } = await server.listen(config.port, config.host);
process.stdout.write(`TaskBridge reference server listening on ${url}\n`);

const stop = () => {
  void server.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
