#!/usr/bin/env node
// The `backup-desk` command: runs the built CLI (npm ci builds it through `prepare`).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

// package.json's engines: Node.js 22.13 or later. An older Node runs most commands, but not all.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 13)) {
  process.stderr.write(`warning: backup-desk needs Node.js 22.13 or later and this is Node.js ${process.versions.node}; some commands may fail. Install Node.js 22 (see the README).\n`);
}

const main = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli', 'main.js');
if (!existsSync(main)) {
  process.stderr.write('backup-desk is not built yet: run `npm run build` in the project folder.\n');
  process.exit(1);
}
await import(pathToFileURL(main).href);
