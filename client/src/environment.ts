/**
 * Where connectivity and page-lifecycle events come from: `window` and `document` in a browser,
 * nothing in Node. The client forwards them to every live stream (protocol/SPEC.md §10).
 */
import type { EnvironmentEvent } from './machine/events';

/** Where connectivity and page-lifecycle events come from (`window`, `document` by default). */
export interface EnvironmentSource {
  /** Connectivity now (`navigator.onLine` by default); read when a stream starts. */
  isOnline(): boolean;
  /** Page visibility now (`document.visibilityState === 'hidden'`); read when a stream starts. */
  isHidden(): boolean;
  /**
   * Subscribes to changes (`online`/`offline`, `visibilitychange`, `pageshow` from the bfcache, and
   * `pagehide`, on which checkpoints are flushed); returns the unsubscribe function.
   */
  listen(handler: (event: EnvironmentEvent | { type: 'PAGE_HIDE' }) => void): () => void;
}

/** The browser's environment (`window`, `document`, `navigator`), or `null` outside a browser. */
export function browserEnvironment(): EnvironmentSource | null {
  const g = globalThis as { window?: Window; document?: Document; navigator?: Navigator };
  if (!g.window || !g.document) return null;
  const win = g.window;
  const doc = g.document;
  return {
    isOnline: () => g.navigator?.onLine !== false,
    isHidden: () => doc.visibilityState === 'hidden',
    listen(handler) {
      const online = () => handler({ type: 'ONLINE' });
      const offline = () => handler({ type: 'OFFLINE' });
      const visibility = () =>
        handler({ type: doc.visibilityState === 'hidden' ? 'VISIBILITY_HIDDEN' : 'VISIBILITY_VISIBLE' });
      const pageshow = (event: PageTransitionEvent) => {
        if (event.persisted) handler({ type: 'PAGE_RESTORED' });
      };
      const pagehide = () => handler({ type: 'PAGE_HIDE' });
      win.addEventListener('online', online);
      win.addEventListener('offline', offline);
      win.addEventListener('pageshow', pageshow);
      win.addEventListener('pagehide', pagehide);
      doc.addEventListener('visibilitychange', visibility);
      return () => {
        win.removeEventListener('online', online);
        win.removeEventListener('offline', offline);
        win.removeEventListener('pageshow', pageshow);
        win.removeEventListener('pagehide', pagehide);
        doc.removeEventListener('visibilitychange', visibility);
      };
    },
  };
}
