/**
 * `tsx infra/bundle-lambda-cli.ts <entry.ts> <output dir>`: bundles one Lambda to <output dir>/index.mjs.
 * CDK's local bundling is synchronous and esbuild plugins need the asynchronous API, so the CDK
 * app runs this as a child process.
 */
import { join } from 'node:path';
import { bundleLambda } from './lambda-bundling';

const [entry, outDir] = process.argv.slice(2);
if (!entry || !outDir) {
  console.error('usage: tsx infra/bundle-lambda-cli.ts <entry.ts> <output dir>');
  process.exit(2);
}
await bundleLambda(entry, join(outDir, 'index.mjs'));
