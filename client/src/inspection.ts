/**
 * The shape of the client's `inspect` option: XState's inspection API, declared structurally so the
 * client's public types never import XState's declarations (an app that type-checks with
 * `skipLibCheck: false` and `exactOptionalPropertyTypes` would otherwise check XState's own `.d.ts`
 * files and fail on them).
 */

/**
 * One XState inspection event (`@xstate.actor`, `@xstate.event`, `@xstate.snapshot`,
 * `@xstate.microstep`, `@xstate.action`); narrow it with XState's `InspectionEvent` type to read the
 * rest of its fields.
 */
export interface StreamInspectionEvent {
  /** The kind of inspection event, e.g. `'@xstate.snapshot'`. */
  readonly type: string;
  /** The session id of the root actor (the client's stream system). */
  readonly rootId: string;
  /** The actor the event is about (an XState `ActorRef`). */
  readonly actorRef: unknown;
}

// Method syntax keeps the parameter bivariant, so XState's own `Observer<InspectionEvent>` and
// `(event: InspectionEvent) => void` (e.g. `createBrowserInspector().inspect`) are accepted as they are.
type InspectionCallback = { bivariant(event: StreamInspectionEvent): void }['bivariant'];

/** Receives every inspection event of every stream's machine: a callback or an observer. */
export type StreamInspector =
  | InspectionCallback
  | {
      next?(event: StreamInspectionEvent): void;
      error?(error: unknown): void;
      complete?(): void;
    };
