/**
 * A reference server in its own process with hostile task handlers, for the process-level test:
 * handlers that throw, reject, return or emit what is not JSON, pass bad `suspend()` options or hang
 * past the (short) task deadline. Logs JSON lines to stdout/stderr and sends `{ url }` over IPC once
 * listening. Exits when its parent disconnects.
 */
import {
  createDemoAuthResolver,
  createReferenceServer,
  demoHandlers,
  jsonLineLogger,
  type TaskHandler,
} from '@taskbridge/server-reference';

const cycle: Record<string, unknown> = {};
cycle.self = cycle;

const hostile: Record<string, TaskHandler> = {
  throws: () => {
    throw new Error('thrown');
  },
  throwsNonError: () => {
    throw Object.assign(Object.create(null) as object, { code: 17 });
  },
  rejects: () => Promise.reject(new Error('rejected')),
  returnsFunction: async () => ({ callback: () => 1 }),
  returnsBigint: async () => ({ total: 10n }),
  returnsCycle: async () => cycle,
  emitsObject: async (ctx) => {
    await ctx.message({ not: 'a string' } as never);
  },
  yieldsGarbage: async function* () {
    yield null as never;
  },
  suspendsWithFunction: (ctx) =>
    ctx.suspend({ reasonCode: 'r', allowedActions: ['ok'], interaction: { f: (() => 1) as never } }),
  suspendsNoActions: (ctx) => ctx.suspend({ reasonCode: 'r', allowedActions: [] }),
  hangs: () => new Promise(() => undefined),
  hangsGenerator: async function* () {
    yield { type: 'message', message: 'one' };
    await new Promise(() => undefined);
  },
};

const server = createReferenceServer({
  auth: createDemoAuthResolver(),
  handlers: { ...demoHandlers, ...hostile },
  logger: jsonLineLogger,
  limits: { taskDeadlineMs: Number(process.env.HOSTILE_DEADLINE_MS ?? 1500) },
});
const { url } = await server.listen(0, '127.0.0.1');
process.send?.({ url });
process.on('disconnect', () => {
  void server.close().then(() => process.exit(0));
});
