/**
 * The SDK client a remote-agent task talks through: the SDK's `ClientFactory` (JSON-RPC and REST, the
 * 0.3 compat layer on), with a `fetch` that records each response's HTTP status, so a failure can be
 * classified by what the agent answered rather than by an error message's wording (hazard H5).
 */
import type { AgentCard } from '@a2a-js/sdk';
import {
  type AuthenticationHandler,
  type Client,
  ClientFactory,
  ClientFactoryOptions,
  createAuthenticatingFetchWithRetry,
  DefaultAgentCardResolver,
  JsonRpcTransportFactory,
  RestTransportFactory,
} from '@a2a-js/sdk/client';
import type { TaskContext } from '../../engine/types';

/** Where and how to reach a remote agent. */
export interface RemoteAgentOptions {
  /** Base URL of the agent; its card is read from `<url>/.well-known/agent-card.json`. */
  url: string;
  /** The agent's card, when known: no discovery request is made. Default: discovered from `url`. */
  card?: AgentCard;
  /**
   * Credentials: headers for every request, and a retry with fresh headers after a 401/403 — the
   * SDK's `AuthenticationHandler` (see {@link bearerAuth}) — or a function choosing one per task (e.g.
   * from the task's caller). Default: none.
   */
  auth?: AuthenticationHandler | ((context: TaskContext) => AuthenticationHandler);
  /** The `fetch` to use. Default: `globalThis.fetch`. */
  fetch?: typeof fetch;
}

/** A client plus the HTTP status of the last response it received. */
export interface RemoteClient {
  client: Client;
  /** Status of the newest response (`undefined` before the first, or when the request never got one). */
  lastStatus(): number | undefined;
}

/**
 * A fixed bearer token (or one read per request) as an SDK `AuthenticationHandler`.
 *
 * @param token - the token, or a function returning it (called before each request).
 */
export function bearerAuth(token: string | (() => string | Promise<string>)): AuthenticationHandler {
  return {
    headers: async () => ({ authorization: `Bearer ${typeof token === 'string' ? token : await token()}` }),
    shouldRetryWithHeaders: async () => undefined,
  };
}

/** Reads the agent's card once per options object; a failed read is retried by the next call. */
const cards = new WeakMap<RemoteAgentOptions, Promise<AgentCard>>();

function cardOf(options: RemoteAgentOptions, fetchImpl: typeof fetch): Promise<AgentCard> {
  if (options.card) return Promise.resolve(options.card);
  let card = cards.get(options);
  if (!card) {
    card = new DefaultAgentCardResolver({ fetchImpl, legacyCompat: { enabled: true } }).resolve(options.url);
    cards.set(options, card);
    card.catch(() => cards.delete(options));
  }
  return card;
}

/**
 * A new client for one remote task (each records its own statuses).
 *
 * @param context - the task the client works for (a per-task `auth` is chosen from it).
 * @throws whatever reading the card threw (network error, non-2xx status, invalid card).
 */
export async function createRemoteClient(
  options: RemoteAgentOptions,
  context: TaskContext,
): Promise<RemoteClient> {
  let status: number | undefined;
  const base = options.fetch ?? globalThis.fetch.bind(globalThis);
  const recording: typeof fetch = async (input, init) => {
    status = undefined;
    const response = await base(input, init);
    status = response.status;
    return response;
  };
  const auth = typeof options.auth === 'function' ? options.auth(context) : options.auth;
  const fetchImpl = auth ? createAuthenticatingFetchWithRetry(recording, auth) : recording;
  const card = await cardOf(options, fetchImpl);
  const factory = new ClientFactory(
    ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
      transports: [
        new JsonRpcTransportFactory({ fetchImpl, legacyCompat: { enabled: true } }),
        new RestTransportFactory({ fetchImpl, legacyCompat: { enabled: true } }),
      ],
    }),
  );
  return { client: await factory.createFromAgentCard(card), lastStatus: () => status };
}
