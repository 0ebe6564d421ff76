/**
 * Mounts the A2A endpoint on Express: the agent card at the well-known path and the JSON-RPC endpoint,
 * both the SDK's own Express handlers, with the server's auth hook in front of the endpoint.
 */
import type { AgentCard } from '@a2a-js/sdk';
import { agentCardHandler, jsonRpcHandler, type UserBuilder } from '@a2a-js/sdk/server/express';
import { type Request, Router } from 'express';
import type { ExtensionHost, ServerExtension } from '../../extensions';
import { toAuthRequest } from '../../express/request-auth';
import { sendError, toTaskBridgeError } from '../../wire/envelope';
import { type AgentCardFields, buildAgentCard, type SkillDescription } from './agent-card';
import { connectionOf, TaskBridgeA2AUser } from './caller';
import { TaskBridgeRequestHandler } from './request-handler';

/** Options of {@link a2aBridge} / {@link createA2ARouter}. Every field has a default. */
export interface A2ABridgeOptions {
  /** Path of the JSON-RPC endpoint. Default `'/a2a'`. */
  path?: string;
  /** Path of the agent card. Default `'/.well-known/agent-card.json'` (A2A discovery). */
  cardPath?: string;
  /**
   * Origin (and optional path prefix) clients reach this server at, e.g. `https://tasks.example.com`;
   * the card's endpoint URL is built from it. Default: the origin of each card request (its `Host`
   * header and protocol, as Express reports them) — set it behind a proxy.
   */
  publicUrl?: string;
  /**
   * Serve SendStreamingMessage and SubscribeToTask (A2A streams are SSE). Default: whether the server
   * serves SSE. When false the card says so and both methods answer `UnsupportedOperationError`
   * (hazard H7); A2A clients then use SendMessage.
   */
  streaming?: boolean;
  /** Accept the 0.3 method names (`message/stream`, `tasks/resubscribe`, …) through the SDK's compat layer. Default true. */
  legacyCompat?: boolean;
  /** Task types offered as skills and startable over A2A. Default: every registered type, at each request. */
  taskTypes?: readonly string[];
  /** Task type for messages that name none (their text becomes `input.text`). Default: none. */
  defaultTaskType?: string;
  /** Card fields (name, version, provider, security schemes…). Default: see {@link AgentCardFields}. */
  card?: AgentCardFields;
  /** Skill names and descriptions by task type. Default: generic ones. */
  skills?: Readonly<Record<string, SkillDescription>>;
  /**
   * How long an A2A stream waits for a reader that stopped reading before its response is destroyed
   * (the reader can resubscribe; hazard H3), ms. Default 30,000.
   */
  stallTimeoutMs?: number;
}

const USER_KEY = 'taskbridgeA2AUser';

/** The origin a card request came in on: `<protocol>://<host>`. */
function originOf(req: Request): string {
  return `${req.protocol}://${req.get('host') ?? 'localhost'}`;
}

/**
 * The A2A routes for a server's engine and auth hook: `GET <cardPath>` (the card, no credentials
 * needed) and `POST <path>` (JSON-RPC, authenticated like every TaskBridge route; a refused caller
 * gets the TaskBridge error envelope with 401/403, protocol/SPEC.md §8–§9).
 */
export function createA2ARouter(
  host: Pick<ExtensionHost, 'engine' | 'auth' | 'transports' | 'logger'>,
  options: A2ABridgeOptions = {},
): Router {
  const path = options.path ?? '/a2a';
  const cardPath = options.cardPath ?? '/.well-known/agent-card.json';
  const legacyCompat = options.legacyCompat ?? true;
  const streaming = options.streaming ?? host.transports.sse;
  const taskTypes = () => options.taskTypes ?? host.engine.taskTypes;
  const cardAt = (origin: string): AgentCard =>
    buildAgentCard({
      taskTypes: taskTypes(),
      endpointUrl: `${(options.publicUrl ?? origin).replace(/\/+$/, '')}${path}`,
      streaming,
      legacyCompat,
      ...(options.card ? { fields: options.card } : {}),
      ...(options.skills ? { skills: options.skills } : {}),
    });
  const requestHandler = new TaskBridgeRequestHandler({
    engine: host.engine,
    // The SDK's handler reads capabilities and interface versions from it, never the URL.
    card: () => cardAt(options.publicUrl ?? 'http://localhost'),
    taskTypes,
    ...(options.defaultTaskType === undefined ? {} : { defaultTaskType: options.defaultTaskType }),
  });
  const userBuilder: UserBuilder = (req) => Promise.resolve(req.res?.locals[USER_KEY] as TaskBridgeA2AUser);

  const router = Router();
  // `use` strips the path: the SDK's card router answers GET on its own root.
  router.use(cardPath, (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    // Built per request: the skills follow the registered task types and the URL the request's origin.
    const card = cardAt(originOf(req));
    agentCardHandler({
      agentCardProvider: () => Promise.resolve(card),
      cache: { maxAge: 0 },
      legacyCompat: { enabled: legacyCompat },
    })(req, res, next);
  });
  // `use` strips the path: the SDK's router answers POST on its own root.
  router.use(
    path,
    async (req, res, next) => {
      try {
        const connection = connectionOf(res, options.stallTimeoutMs);
        res.locals[USER_KEY] = new TaskBridgeA2AUser(
          await host.auth(toAuthRequest(req, new URL(req.originalUrl, 'http://localhost'), {})),
          connection,
        );
        next();
      } catch (error) {
        sendError(res, toTaskBridgeError(error, host.logger));
      }
    },
    jsonRpcHandler({ requestHandler, userBuilder, legacyCompat: { enabled: legacyCompat } }),
  );
  return router;
}

/**
 * The A2A bridge as a reference-server extension: every task type becomes a skill of an A2A agent.
 *
 * @example
 * const server = createReferenceServer({ extensions: [a2aBridge()] });
 */
export function a2aBridge(options: A2ABridgeOptions = {}): ServerExtension {
  return {
    name: 'a2a',
    mount(app, host) {
      app.use(createA2ARouter(host, options));
    },
  };
}
