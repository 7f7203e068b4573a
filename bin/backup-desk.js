#!/usr/bin/env node
// The `backup-desk` command: runs the built CLI (npm ci builds it through `prepare`).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const main = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli', 'main.js');
if (!existsSync(main)) {
  process.stderr.write('backup-desk is not built yet: run `npm run build` in the project folder.\n');
  process.exit(1);
}
await import(pathToFileURL(main).href);
