/**
 * The client as an Angular dependency: one `TaskBridgeClient` per environment injector, closed when
 * that injector is destroyed (app teardown, or the end of each TestBed test).
 */
import {
  DestroyRef,
  type EnvironmentProviders,
  InjectionToken,
  inject,
  makeEnvironmentProviders,
} from '@angular/core';
import {
  createTaskBridgeClient,
  type TaskBridgeClient,
  type TaskBridgeClientOptions,
} from '@taskbridge/client';

/** The injected `TaskBridgeClient` (one connection per task, shared by every service that follows it). */
export const TASK_BRIDGE_CLIENT = new InjectionToken<TaskBridgeClient>('TaskBridgeClient');

/**
 * Provides {@link TASK_BRIDGE_CLIENT}, created lazily from `options` on first injection.
 *
 * @example
 * bootstrapApplication(App, {
 *   providers: [provideTaskBridge({ baseUrl: '/', getAccessToken: () => auth.token() })],
 * });
 */
export function provideTaskBridge(options: TaskBridgeClientOptions): EnvironmentProviders {
  return makeEnvironmentProviders([
    {
      provide: TASK_BRIDGE_CLIENT,
      useFactory: (): TaskBridgeClient => {
        const client = createTaskBridgeClient(options);
        inject(DestroyRef).onDestroy(() => client.close());
        return client;
      },
    },
  ]);
}
