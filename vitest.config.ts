import { defineConfig } from 'vitest/config';

// One runner, three projects: the core and integration tests in Node, renderer components in
// jsdom, and browser end-to-end tests (Chromium driven by playwright-core against `serve`).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          environment: 'node',
          include: ['test/unit/**/*.test.ts', 'test/conformance/**/*.test.ts', 'test/integration/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          pool: 'forks',
        },
      },
      {
        esbuild: { jsx: 'automatic' },
        test: {
          name: 'renderer',
          environment: 'jsdom',
          include: ['test/unit/renderer/**/*.test.tsx'],
          setupFiles: ['test/helpers/renderer-setup.ts'],
          // Typing into forms in jsdom while the integration tests load both cores: 5 s (the
          // default) timed out once on a test that takes 0.3 s alone.
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'e2e',
          environment: 'node',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
