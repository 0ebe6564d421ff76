/**
 * The Express app: every route of protocol/SPEC.md §1 and §12 on the engine, with the envelope on every error path.
 */
import { TaskBridgeError } from '@taskbridge/protocol';
import cors from 'cors';
import { resolveCaller } from '../auth/caller';
import express, { type Express } from 'express';
import type { TaskEngine } from '../engine/task-engine';
import type { ResolvedServerOptions } from '../options';
import { createTaskRoute } from './create-route';
import { errorEnvelopeMiddleware } from '../wire/envelope';
import { capabilitiesOf, readyOp } from '../wire/operations';
import { pollRoute } from './poll-route';
import { toExpressPath } from '../wire/route-paths';
import { sseRoute } from './sse-route';
import { actionsRoute, cancelRoute, statusRoute } from './task-routes';
import { accessLogMiddleware } from './access-log';
import { originGuard } from './origin-guard';
import { streamTicketRoute } from './stream-ticket-route';

/** State the app shares with the server around it. */
export interface AppControl {
  /** Aborted on shutdown: pending long polls return at once. */
  shutdown: AbortSignal;
  /** False while starting or shutting down (`/ready` answers 503). */
  isReady(): boolean;
}

/** Builds the Express app for an engine. The WebSocket route is attached to the HTTP server separately. */
export function createTaskBridgeApp(
  engine: TaskEngine,
  options: ResolvedServerOptions,
  control: AppControl,
): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  if (options.accessLog) app.use(accessLogMiddleware(options.logger));
  // CORS first: a preflight (OPTIONS) is answered there and never reaches the guard.
  if (options.cors) app.use(cors(options.cors));
  app.use(originGuard(options.allowedOrigins));
  const { routes } = options;
  const path = toExpressPath;
  const optionalJson = express.json({ limit: options.maxJsonBodyBytes, type: () => true });
  const jsonBody: express.RequestHandler = (req, res, next) => {
    const length = Number(req.get('content-length') ?? '0');
    const chunked = req.get('transfer-encoding') !== undefined;
    if (length === 0 && !chunked) return next();
    if (!req.is('application/json')) {
      return next(new TaskBridgeError({ code: 'UNSUPPORTED_MEDIA_TYPE', message: 'send application/json' }));
    }
    optionalJson(req, res, next);
  };

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/ready', (_req, res) => {
    const { status, body } = readyOp(control.isReady());
    res.status(status).json(body);
  });
  app.get(path(routes.capabilities), (_req, res) => {
    res.json(capabilitiesOf(engine, options));
  });
  app.post(path(routes.create), ...createTaskRoute(engine, options));
  if (options.transports.polling) app.get(path(routes.events), pollRoute(engine, options, control.shutdown));
  if (options.transports.sse) app.get(path(routes.stream), sseRoute(engine, options));
  app.post(path(routes.cancel), jsonBody, cancelRoute(engine, options));
  app.post(path(routes.actions), jsonBody, actionsRoute(engine, options));
  app.get(path(routes.status), statusRoute(engine, options));
  if (options.tickets) {
    app.post(path(routes.streamTickets), jsonBody, streamTicketRoute(engine, options.tickets, options));
  }
  for (const extension of options.extensions) {
    extension.mount(app, {
      engine,
      // The server's own policy (no access_token query unless accepted), not the bare resolver.
      auth: async (request) => (await resolveCaller(options, request, 'create')).auth,
      transports: { ...options.transports },
      logger: options.logger,
      shutdown: control.shutdown,
    });
  }
  if (options.staticDir) app.use(express.static(options.staticDir));
  app.use((req, _res, next) => {
    next(
      new TaskBridgeError({
        code: 'TASK_NOT_FOUND',
        message: `no route for ${req.method} ${req.path}`,
        details: { reason: 'route_not_found' },
      }),
    );
  });
  app.use(errorEnvelopeMiddleware(options.logger));
  return app;
}
