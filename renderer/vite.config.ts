// Builds the React UI into dist/renderer with relative URLs, so the same files load from
// `serve` (http://127.0.0.1:PORT/) and from Electron (file://…/dist/renderer/index.html).
// (import.meta.dirname: Node >= 20.11.)
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
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
});
