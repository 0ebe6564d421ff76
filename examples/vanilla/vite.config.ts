// Built into the React demo's dist/vanilla/, so `npm start` serves it at /vanilla/ from the same server.
// Run after the React demo's build, which empties dist/.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/vanilla/',
  build: {
    outDir: fileURLToPath(new URL('../react-demo/dist/vanilla', import.meta.url)),
    emptyOutDir: true,
    chunkSizeWarningLimit: 800,
  },
});
