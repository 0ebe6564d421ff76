// Builds the page into dist/. `public/mockServiceWorker.js` (from `msw init public`) is copied to the
// root of dist/, so the worker's scope covers the whole page.
import { defaultClientConditions, defineConfig } from 'vite';

export default defineConfig({
  // The workspace packages build from source (their `@taskbridge/source` export condition).
  resolve: { conditions: ['@taskbridge/source', ...defaultClientConditions] },
  // The client, RxJS, XState, MSW and the reference engine in one chunk: fine for a test page.
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 1200 },
});
