/**
 * The command line and environment of `taskbridge-server`, turned into {@link ReferenceServerOptions}.
 * Kept apart from `cli.ts` (which starts the server) so it can be tested.
 */
import { parseArgs } from 'node:util';
import type { AuthResolver } from './auth/auth';
import { createDemoAuthResolver } from './auth/demo';
import { createJwtAuthResolver, type JwtAuthOptions } from './auth/jwt';
import { jsonLineLogger, silentLogger } from './logger';
import type { ReferenceServerOptions } from './options';

/** Usage text, printed for `--help` and with every configuration error. */
export const CLI_USAGE = `Usage: taskbridge-server --auth <jwt|demo> [options]

  --port <n>                   default 8787 (env PORT)
  --host <addr>                default 127.0.0.1 (env HOST)
  --auth <jwt|demo>            required (env TASKBRIDGE_AUTH). demo: the bearer token is the user id
                               (anyone can act as anyone) - for demos and tests only
  JWT (--auth jwt): the HS256 secret comes from env TASKBRIDGE_JWT_SECRET only (not a flag: command
  lines are visible to other users), or
  --jwt-jwks-url <url>         env TASKBRIDGE_JWT_JWKS_URL
  --jwt-issuer <iss>           env TASKBRIDGE_JWT_ISSUER
  --jwt-audience <aud>         env TASKBRIDGE_JWT_AUDIENCE
  --jwt-clock-tolerance-ms <n> env TASKBRIDGE_JWT_CLOCK_TOLERANCE_MS (default 5000)
  --jwt-subject-claim <name>   env TASKBRIDGE_JWT_SUBJECT_CLAIM (default sub)
  --jwt-scopes-claim <name>    env TASKBRIDGE_JWT_SCOPES_CLAIM (default scope)
  --jwt-required-scopes <list> env TASKBRIDGE_JWT_REQUIRED_SCOPES (space or comma separated)
  --allow-access-token-query   accept ?access_token= (tokens in URLs end up in logs; default off)
                               (env TASKBRIDGE_ALLOW_ACCESS_TOKEN_QUERY=1)
  --allowed-origin <origin>    may send form/multipart posts cross-origin; repeatable
                               (env TASKBRIDGE_ALLOWED_ORIGINS, comma separated)
  --no-stream-tickets          do not mint stream tickets
  --cors                       allow any origin through CORS (preflighted requests)
  --static <dir>               serve a directory at /
  --redis <url>                keep tasks and events in Redis (>= 7.0) so several instances share
                               them: redis://host:6379/0, rediss://..., or a unix socket path
                               (env REDIS_URL; default: in memory, lost on exit)
  --runtime <in-process|bullmq> where handlers run (env TASKBRIDGE_RUNTIME; default in-process).
                               bullmq: tasks are queued in Redis (needs --redis) for taskbridge-worker
                               processes; none run here
  --no-websocket --no-sse --no-polling
  --shutdown-timeout-ms <n>    default 1000
  --quiet                      no logs (no access log)
  --no-a2a                     do not serve the task types as an A2A agent
                               (card at /.well-known/agent-card.json; needs the optional @a2a-js/sdk)
  --a2a-agent <type>=<url>     follow a remote A2A agent as task type <type>; repeatable
`;

/** What the command line asks for. */
export interface CliConfig {
  port: number;
  host: string;
  /** Serve the task types as an A2A agent when `@a2a-js/sdk` is installed (`--no-a2a` turns it off). */
  a2a: boolean;
  /** `--a2a-agent <taskType>=<url>` values, unparsed (the A2A loader checks them). */
  a2aAgents: string[];
  options: ReferenceServerOptions;
}

/** A configuration error; the message is for the operator. */
export class CliError extends Error {
  override readonly name = 'CliError';
}

function numberOf(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new CliError(`${name} must be a non-negative number`);
  return value;
}

function listOf(raw: string | undefined): string[] {
  return (raw ?? '').split(/[\s,]+/).filter((s) => s !== '');
}

function jwtOptionsOf(
  values: Record<string, string | boolean | string[] | undefined>,
  env: NodeJS.ProcessEnv,
): JwtAuthOptions {
  const str = (flag: string, variable: string) => (values[flag] as string | undefined) ?? env[variable];
  const secret = env.TASKBRIDGE_JWT_SECRET;
  const jwksUrl = str('jwt-jwks-url', 'TASKBRIDGE_JWT_JWKS_URL');
  if ((secret === undefined || secret === '') === (jwksUrl === undefined || jwksUrl === '')) {
    throw new CliError('--auth jwt needs exactly one of TASKBRIDGE_JWT_SECRET and --jwt-jwks-url');
  }
  const issuer = str('jwt-issuer', 'TASKBRIDGE_JWT_ISSUER');
  const audience = str('jwt-audience', 'TASKBRIDGE_JWT_AUDIENCE');
  const tolerance = numberOf(
    '--jwt-clock-tolerance-ms',
    str('jwt-clock-tolerance-ms', 'TASKBRIDGE_JWT_CLOCK_TOLERANCE_MS'),
  );
  const subjectClaim = str('jwt-subject-claim', 'TASKBRIDGE_JWT_SUBJECT_CLAIM');
  const scopesClaim = str('jwt-scopes-claim', 'TASKBRIDGE_JWT_SCOPES_CLAIM');
  const requiredScopes = listOf(str('jwt-required-scopes', 'TASKBRIDGE_JWT_REQUIRED_SCOPES'));
  return {
    ...(secret ? { secret } : { jwksUrl: jwksUrl as string }),
    ...(issuer ? { issuer } : {}),
    ...(audience ? { audience } : {}),
    ...(tolerance === undefined ? {} : { clockToleranceMs: tolerance }),
    ...(subjectClaim ? { subjectClaim } : {}),
    ...(scopesClaim ? { scopesClaim } : {}),
    ...(requiredScopes.length > 0 ? { requiredScopes } : {}),
  };
}

/**
 * Reads `argv` (without the node and script names) and `env`.
 *
 * @throws {CliError} for a missing or unknown `--auth`, incomplete JWT settings, a bad number, or an
 *   unknown flag.
 */
export function readCliConfig(argv: readonly string[], env: NodeJS.ProcessEnv): CliConfig {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        port: { type: 'string', default: env.PORT || '8787' },
        host: { type: 'string', default: env.HOST || '127.0.0.1' },
        auth: { type: 'string' },
        'jwt-jwks-url': { type: 'string' },
        'jwt-issuer': { type: 'string' },
        'jwt-audience': { type: 'string' },
        'jwt-clock-tolerance-ms': { type: 'string' },
        'jwt-subject-claim': { type: 'string' },
        'jwt-scopes-claim': { type: 'string' },
        'jwt-required-scopes': { type: 'string' },
        'allow-access-token-query': { type: 'boolean', default: false },
        'allowed-origin': { type: 'string', multiple: true },
        'no-stream-tickets': { type: 'boolean', default: false },
        static: { type: 'string' },
        redis: { type: 'string' },
        runtime: { type: 'string' },
        cors: { type: 'boolean', default: false },
        'no-websocket': { type: 'boolean', default: false },
        'no-sse': { type: 'boolean', default: false },
        'no-polling': { type: 'boolean', default: false },
        'shutdown-timeout-ms': { type: 'string' },
        quiet: { type: 'boolean', default: false },
        'no-a2a': { type: 'boolean', default: false },
        'a2a-agent': { type: 'string', multiple: true, default: [] },
      },
    }));
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  const kind = values.auth ?? env.TASKBRIDGE_AUTH;
  let auth: AuthResolver;
  if (kind === 'jwt') auth = createJwtAuthResolver(jwtOptionsOf(values, env));
  else if (kind === 'demo') auth = createDemoAuthResolver();
  else if (kind === undefined || kind === '')
    throw new CliError('--auth is required (jwt, or demo for demos only)');
  else throw new CliError(`--auth ${kind}: expected jwt or demo`);
  const allowedOrigins = [...(values['allowed-origin'] ?? []), ...listOf(env.TASKBRIDGE_ALLOWED_ORIGINS)];
  const redis = values.redis ?? env.REDIS_URL;
  const runtime = values.runtime ?? env.TASKBRIDGE_RUNTIME ?? 'in-process';
  if (runtime !== 'in-process' && runtime !== 'bullmq') {
    throw new CliError(`--runtime ${runtime}: expected in-process or bullmq`);
  }
  if (runtime === 'bullmq' && !redis) throw new CliError('--runtime bullmq needs --redis (or REDIS_URL)');
  const shutdownTimeoutMs = numberOf('--shutdown-timeout-ms', values['shutdown-timeout-ms']);
  const port = numberOf('--port', values.port);
  if (port !== undefined && (!Number.isInteger(port) || port > 65_535)) {
    throw new CliError(`--port must be an integer 0–65535, got "${values.port}"`);
  }
  return {
    port: port ?? 8787,
    host: values.host,
    a2a: !values['no-a2a'],
    a2aAgents: values['a2a-agent'] ?? [],
    options: {
      auth,
      logger: values.quiet ? silentLogger : jsonLineLogger,
      cors: values.cors,
      allowAccessTokenQuery:
        values['allow-access-token-query'] || env.TASKBRIDGE_ALLOW_ACCESS_TOKEN_QUERY === '1',
      streamTickets: !values['no-stream-tickets'],
      allowedOrigins,
      transports: {
        websocket: !values['no-websocket'],
        sse: !values['no-sse'],
        polling: !values['no-polling'],
      },
      ...(shutdownTimeoutMs === undefined ? {} : { shutdownTimeoutMs }),
      ...(values.static ? { staticDir: values.static } : {}),
      ...(redis ? { redis } : {}),
      ...(runtime === 'bullmq' ? { runtime } : {}),
    },
  };
}
