// The consumer app's Vite config: nothing TaskBridge-specific, as a newcomer would write it.
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({ plugins: [react()] });
