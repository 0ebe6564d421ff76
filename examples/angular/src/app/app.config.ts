import { type ApplicationConfig, provideBrowserGlobalErrorListeners } from '@angular/core';
import { provideTaskBridge } from './task-bridge/provide-task-bridge';

export const appConfig: ApplicationConfig = {
  providers: [
    provideBrowserGlobalErrorListeners(),
    // `ng serve` proxies /api (HTTP, SSE and WebSocket) to the reference server on :8787 (proxy.conf.json).
    // The demo server's bearer token is the user's name; use your real token source here.
    provideTaskBridge({ baseUrl: '/', getAccessToken: () => 'angular-demo' }),
  ],
};
