/**
 * `tsx infra/bundle-lambda-cli.ts <entry.ts> <output dir> [<bundled files JSON>]`: bundles one Lambda
 * to <output dir>/index.mjs, with the files it reads beside it (BundledFiles). CDK's local bundling
 * is synchronous and esbuild plugins need the asynchronous API, so the CDK app runs this as a
 * child process.
 */
import { bundleLambdaDirectory, type BundledFiles } from './lambda-bundling';

const [entry, outDir, files] = process.argv.slice(2);
if (!entry || !outDir) {
  console.error('usage: tsx infra/bundle-lambda-cli.ts <entry.ts> <output dir> [<bundled files JSON>]');
  process.exit(2);
}
await bundleLambdaDirectory(entry, outDir, files ? (JSON.parse(files) as BundledFiles) : {});
