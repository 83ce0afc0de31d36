/**
 * `tsx infra/bundle-lambda-cli.ts <entry.ts> <output dir> [-]`: bundles one Lambda to
 * <output dir>/index.mjs, with the files it reads beside it, as described by the BundledFiles JSON
 * read from stdin with `-` (the configuration alone is several KB, custom manifests can be more:
 * too much for a command-line argument). CDK's local bundling is synchronous and esbuild plugins
 * need the asynchronous API, so the CDK app runs this as a child process.
 */
import { readFileSync } from 'node:fs';
import { bundleLambdaDirectory, type BundledFiles } from './lambda-bundling';

const [entry, outDir, files] = process.argv.slice(2);
if (!entry || !outDir || (files !== undefined && files !== '-')) {
  console.error('usage: tsx infra/bundle-lambda-cli.ts <entry.ts> <output dir> [-]  (-: BundledFiles JSON on stdin)');
  process.exit(2);
}
await bundleLambdaDirectory(entry, outDir, files ? (JSON.parse(readFileSync(0, 'utf8')) as BundledFiles) : {});
