/**
 * `taskbridge-server [--port 8787] [--host 127.0.0.1] [--redis <url>] [--static <dir>] [--cors]
 * [--no-websocket] [--no-sse] [--no-polling] [--quiet]`: the reference server with the demo handlers.
 * With `--redis` (or `REDIS_URL`) its state lives in Redis and any number of instances can serve the
 * same tasks; without it, in memory.
 */
import { parseArgs } from 'node:util';
import { jsonLineLogger, silentLogger } from './logger';
import { createReferenceServer } from './server';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.PORT ?? '8787' },
    host: { type: 'string', default: process.env.HOST ?? '127.0.0.1' },
    static: { type: 'string' },
    redis: { type: 'string', default: process.env.REDIS_URL },
    cors: { type: 'boolean', default: false },
    'no-websocket': { type: 'boolean', default: false },
    'no-sse': { type: 'boolean', default: false },
    'no-polling': { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
  },
});

const server = createReferenceServer({
  logger: values.quiet ? silentLogger : jsonLineLogger,
  cors: values.cors,
  transports: { websocket: !values['no-websocket'], sse: !values['no-sse'], polling: !values['no-polling'] },
  ...(values.static ? { staticDir: values.static } : {}),
  ...(values.redis ? { redis: values.redis } : {}),
});
const { url } = await server.listen(Number(values.port), values.host);
process.stdout.write(`TaskBridge reference server listening on ${url}\n`);

const stop = () => {
  void server.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
