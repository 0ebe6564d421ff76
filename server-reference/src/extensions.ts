/**
 * The extension seam of the reference server: optional integrations (the A2A bridge of
 * `@taskbridge/server-reference/a2a`) add their routes to the Express app without the core importing
 * them, so their optional peer dependencies stay optional.
 */
import type { Express } from 'express';
import type { AuthResolver } from './auth/auth';
import type { TaskEngine } from './engine/task-engine';
import type { Logger } from './logger';
import type { TransportSwitches } from './options';

/** What an extension gets from the server it is mounted on. */
export interface ExtensionHost {
  /** The engine behind every route; extensions call its facade methods (always awaited). */
  engine: TaskEngine;
  /** The server's auth hook (protocol/SPEC.md §9): extensions resolve callers with it, as every route does. */
  auth: AuthResolver;
  /** The transports the server offers (hazard H7: extensions advertise only what is served). */
  transports: Required<TransportSwitches>;
  /** The server's structured log hook. */
  logger: Logger;
  /** Aborted when the server shuts down: long-lived responses end. */
  shutdown: AbortSignal;
}

/** An integration mounted on the reference server's Express app (`ReferenceServerOptions.extensions`). */
export interface ServerExtension {
  /** A short name for logs, e.g. `'a2a'`. */
  readonly name: string;
  /**
   * Adds routes to `app`. Called once while the app is built, after the TaskBridge routes and before
   * the static files and the fallback 404. Must not throw.
   */
  mount(app: Express, host: ExtensionHost): void;
}
