// Lint, and the mechanical boundaries between runtimes:
// - shared/ (the core) never imports electron;
// - shared/contract is pure (no Node, no electron);
// - renderer/ never imports Node or electron, and reaches the core only through the contract;
// - ipcMain/ipcRenderer are used only in the two IPC wrapper files.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const NODE_BUILTINS = [
  'assert', 'buffer', 'child_process', 'cluster', 'crypto', 'dgram', 'dns', 'events', 'fs', 'fs/promises', 'http', 'http2',
  'https', 'net', 'os', 'path', 'process', 'readline', 'stream', 'stream/promises', 'tls', 'url', 'util', 'worker_threads', 'zlib',
];
const nodeBan = { group: ['node:*', ...NODE_BUILTINS], message: 'The renderer and the contract never use Node: go through the typed API.' };
const electronBan = { name: 'electron', message: 'The core never imports electron: put host code in electron/.' };

export default tseslint.config(
  { ignores: ['dist/**', '.dist-build-*/**', '.dist-old-*/**', '.tsbuild/**', 'node_modules/**', 'release/**', 'docs/**', '.bench/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    files: ['shared/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [electronBan], patterns: [{ group: ['electron/*'], message: electronBan.message }] }] },
  },
  {
    files: ['shared/contract/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [electronBan], patterns: [nodeBan, { group: ['../core/*', '../core'], message: 'The contract is pure types and schemas.' }] }] },
  },
  {
    files: ['renderer/**/*.ts', 'renderer/**/*.tsx'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'The renderer reaches the host only through window.api (preload).' }],
          patterns: [nodeBan, { group: ['**/shared/core/*', '**/shared/core', '**/electron/*'], message: 'The renderer reaches the core only through shared/contract.' }],
        },
      ],
    },
  },
  {
    files: ['electron/**/*.ts'],
    ignores: ['electron/main/ipc/ipc-main.ts', 'electron/preload/index.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'electron', importNames: ['ipcMain', 'ipcRenderer'], message: 'Use the typed IPC wrappers.' }] }],
    },
  },
  {
    files: ['renderer/**/*.tsx', 'renderer/**/*.ts', 'test/**/*.ts', 'test/**/*.tsx', 'scripts/**/*.mjs', 'bin/**/*.js'],
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
  },
);
