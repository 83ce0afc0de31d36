#!/usr/bin/env node
// regionctl: the operator CLI. Runs the TypeScript sources through tsx's loader, so the CLI
// needs no build step after `npm ci`. On a machine whose own Node is older than 22, it re-runs
// itself on the Node 22 that `npm ci` installed (the `node` dev dependency).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const major = Number(process.versions.node.split('.')[0]);
const localNode = fileURLToPath(new URL('../node_modules/.bin/node', import.meta.url));
if (major < 22 && existsSync(localNode)) {
  const result = spawnSync(localNode, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(result.status ?? 1);
}

const { register } = await import('tsx/esm/api');
register();
await import('../cli/regionctl.ts');
