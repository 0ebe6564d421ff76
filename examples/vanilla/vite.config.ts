// Built into the React demo's dist/vanilla/, so `npm start` serves it at /vanilla/ from the same server.
// Run after the React demo's build, which empties dist/.
import { fileURLToPath } from 'node:url';
import { defaultClientConditions, defineConfig } from 'vite';

export default defineConfig({
  // The workspace packages build from source (their `@taskbridge/source` export condition).
  resolve: { conditions: ['@taskbridge/source', ...defaultClientConditions] },
  base: '/vanilla/',
  build: {
    outDir: fileURLToPath(new URL('../react-demo/dist/vanilla', import.meta.url)),
    emptyOutDir: true,
    chunkSizeWarningLimit: 800,
  },
});
