/**
 * The kit's plain HTTP routes (protocol/SPEC.md §1, §2, §4, §7, E1, E2) as MSW `http` handlers over the shared
 * operations of `../wire/operations.ts`, with the fault scenarios of {@link TaskBridgeFaults}.
 */
import type { RouteName } from '@taskbridge/protocol';
import { delay, http, type HttpHandler } from 'msw';
import {
  actionOp,
  cancelOp,
  capabilitiesOf,
  createTaskOp,
  pollOp,
  readyOp,
  statusOp,
} from '../wire/operations';
import { streamTicketOp } from '../wire/stream-ticket-op';
import { authenticate, type KitContext } from './context';
import { faultError } from './faults';
import { cursorUnderFault } from './history-faults';
import {
  errorResponse,
  jsonResponse,
  paramOf,
  queryValuesOf,
  readCreateBody,
  readOptionalJson,
  type RouteParams,
} from './web-request';

type Resolver = (request: Request, params: RouteParams, url: URL) => Promise<Response>;

/**
 * Wraps a route: the latency fault first, then the route; anything thrown becomes the envelope.
 * Shared with the SSE handler.
 */
export function routeResolver(ctx: KitContext, route: RouteName, run: Resolver) {
  return async ({ request, params }: { request: Request; params: RouteParams }): Promise<Response> => {
    try {
      const latency = ctx.faults.take('latency', route);
      if (latency) await delay(latency.ms);
      return await run(request, params, new URL(request.url));
    } catch (error) {
      return errorResponse(error, ctx.options.logger);
    }
  };
}

/** The HTTP handlers of every enabled route (the SSE route is in `sse-handler.ts`). */
export function createHttpHandlers(ctx: KitContext): HttpHandler[] {
  const { engine, options, faults } = ctx;
  const auth = async (route: RouteName, request: Request, params: RouteParams, url: URL) =>
    (await authenticate(ctx, route, request.method, url, request.headers, params)).auth;

  const handlers: HttpHandler[] = [
    http.get(ctx.httpPath('health'), () => jsonResponse(200, { status: 'ok' })),
    http.get(ctx.httpPath('ready'), () => {
      const { status, body } = readyOp(ctx.isReady());
      return jsonResponse(status, body);
    }),
    http.get(
      ctx.httpPath('capabilities'),
      routeResolver(ctx, 'capabilities', async () => jsonResponse(200, capabilitiesOf(engine, options))),
    ),
    http.post(
      ctx.httpPath('create'),
      routeResolver(ctx, 'create', async (request, params, url) => {
        // Body first, as the Express chain parses before it authenticates.
        const { candidate, attachments } = await readCreateBody(request, options);
        const user = await auth('create', request, params, url);
        const { status, body } = await createTaskOp(engine, user, candidate, attachments);
        return jsonResponse(status, body);
      }),
    ),
    http.post(
      ctx.httpPath('cancel'),
      routeResolver(ctx, 'cancel', async (request, params, url) => {
        const json = await readOptionalJson(request, options.maxJsonBodyBytes);
        const user = await auth('cancel', request, params, url);
        const { status, body } = await cancelOp(engine, user, paramOf(params, 'taskId'), json);
        return jsonResponse(status, body);
      }),
    ),
    http.post(
      ctx.httpPath('actions'),
      routeResolver(ctx, 'actions', async (request, params, url) => {
        const json = await readOptionalJson(request, options.maxJsonBodyBytes);
        const user = await auth('actions', request, params, url);
        const { status, body } = await actionOp(engine, user, paramOf(params, 'taskId'), json);
        return jsonResponse(status, body);
      }),
    ),
  ];

  const { tickets } = options;
  if (tickets) {
    handlers.push(
      http.post(
        ctx.httpPath('streamTickets'),
        routeResolver(ctx, 'streamTickets', async (request, params, url) => {
          const json = await readOptionalJson(request, options.maxJsonBodyBytes);
          const user = await auth('streamTickets', request, params, url);
          const { status, body } = await streamTicketOp(engine, tickets, user, json);
          return jsonResponse(status, body);
        }),
      ),
    );
  }

  if (options.transports.polling) {
    handlers.push(
      http.get(
        ctx.httpPath('events'),
        routeResolver(ctx, 'events', async (request, params, url) => {
          // A failing proxy or gateway answers before the app sees the request.
          const fault = faults.take('polling');
          if (fault) throw faultError(fault.status ?? 503, fault.retryAfterMs);
          const user = await auth('events', request, params, url);
          const taskId = paramOf(params, 'taskId');
          const query = { ...queryValuesOf(url) };
          const history = faults.take('history');
          if (!history) {
            const { status, body } = await pollOp(engine, user, taskId, query, request.signal);
            return jsonResponse(status, body);
          }
          const after = query.afterEventId;
          const served = await cursorUnderFault(
            engine,
            user,
            taskId,
            typeof after === 'string' ? after : undefined,
            history,
          );
          query.afterEventId = served.cursor ?? undefined;
          const { status, body } = await pollOp(engine, user, taskId, query, request.signal);
          // The fault's trimming says so exactly as retention would (protocol/SPEC.md §11).
          if (served.trimmed) body.historyTrimmed = served.trimmed;
          return jsonResponse(status, body);
        }),
      ),
    );
  }

  // Registered after the more specific `…/events` routes; patterns never overlap, order is cosmetic.
  handlers.push(
    http.get(
      ctx.httpPath('status'),
      routeResolver(ctx, 'status', async (request, params, url) => {
        const user = await auth('status', request, params, url);
        const { status, body } = await statusOp(engine, user, paramOf(params, 'taskId'));
        return jsonResponse(status, body);
      }),
    ),
  );
  return handlers;
}
