/**
 * `taskbridge-server [--port 8787] [--host 127.0.0.1] [--static <dir>] [--cors] [--no-websocket]
 * [--no-sse] [--no-polling] [--no-a2a] [--a2a-agent <taskType>=<url>]… [--quiet]`: the reference
 * server with the demo handlers, served as an A2A agent too (card at `/.well-known/agent-card.json`),
 * and any remote A2A agent as a task type.
 */
import { parseArgs } from 'node:util';
import { loadCliA2A } from './cli-a2a';
import { jsonLineLogger, silentLogger } from './logger';
import { createReferenceServer } from './server';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.PORT ?? '8787' },
    host: { type: 'string', default: process.env.HOST ?? '127.0.0.1' },
    static: { type: 'string' },
    cors: { type: 'boolean', default: false },
    'no-websocket': { type: 'boolean', default: false },
    'no-sse': { type: 'boolean', default: false },
    'no-polling': { type: 'boolean', default: false },
    'no-a2a': { type: 'boolean', default: false },
    'a2a-agent': { type: 'string', multiple: true, default: [] },
    quiet: { type: 'boolean', default: false },
  },
});

const a2a = values['no-a2a'] ? undefined : await loadCliA2A();
if (a2a && 'unavailable' in a2a)
  process.stderr.write(`A2A bridge off (@a2a-js/sdk not installed: ${a2a.unavailable})\n`);
const bridge = a2a && !('unavailable' in a2a) ? a2a : undefined;

const server = createReferenceServer({
  logger: values.quiet ? silentLogger : jsonLineLogger,
  cors: values.cors,
  transports: { websocket: !values['no-websocket'], sse: !values['no-sse'], polling: !values['no-polling'] },
  ...(values.static ? { staticDir: values.static } : {}),
  ...(bridge ? { extensions: [bridge.extension] } : {}),
});
const { url } = await server.listen(Number(values.port), values.host);
process.stdout.write(`TaskBridge reference server listening on ${url}\n`);
if (bridge) {
  const agents = bridge.registerAgents(server.engine, url, values['a2a-agent']);
  process.stdout.write(
    `A2A agent card: ${url}/.well-known/agent-card.json (remote agents: ${agents.join(', ')})\n`,
  );
}

const stop = () => {
  void server.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
