// Builds the React UI into dist/renderer with relative URLs, so the same files load from
// `serve` (http://127.0.0.1:PORT/) and from Electron (file://…/dist/renderer/index.html).
// (import.meta.dirname: Node >= 20.11.)
import { defineConfig, type UserConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig(({ command }) => {
  // A build is always the production bundle, even when run under vitest (NODE_ENV=test), which
  // would otherwise give React's development build (slow, and chatty in the console).
  if (command === 'build') process.env.NODE_ENV = 'production';
  return config;
});

const config = {
  root: import.meta.dirname,
  base: './',
  plugins: [react()],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    sourcemap: true,
    // No inline scripts anywhere: the pages run under `script-src 'self'`.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 1200,
  },
} satisfies UserConfig;
