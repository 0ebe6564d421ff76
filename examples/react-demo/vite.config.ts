// Builds the demo into dist/, which `npm start` serves from the reference server (same origin, no CORS).
// `npm run dev` proxies the API to a reference server on :8787 instead.
import react from '@vitejs/plugin-react';
import { defaultClientConditions, defineConfig } from 'vite';

const api = { target: 'http://127.0.0.1:8787', ws: true };

export default defineConfig({
  // The workspace packages build from source (their `@taskbridge/source` export condition).
  resolve: { conditions: ['@taskbridge/source', ...defaultClientConditions] },
  plugins: [react()],
  // React, RxJS and XState in one chunk, fine for a demo.
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 800 },
  server: { proxy: { '/api': api, '/health': api } },
});
