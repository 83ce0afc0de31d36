/**
 * `tsx infra/synthesize-deployment-cli.ts <output dir>`: synthesizes the app for the configuration
 * in ./cdk.json into a cloud assembly, its Lambdas bundled as `cdk deploy` ships them. The
 * integration tests' global setup runs it (jest's setup cannot load the ESM app in-process).
 */
import { readFileSync } from 'node:fs';
import { parseConfig } from '../functions/domain/config';
import { synthesizeDeployment } from './synthesized-deployment';

const [outdir] = process.argv.slice(2);
if (!outdir) {
  console.error('usage: tsx infra/synthesize-deployment-cli.ts <output dir>');
  process.exit(2);
}
const cdkJson = JSON.parse(readFileSync('cdk.json', 'utf8')) as { context: { autoscaler: unknown } };
synthesizeDeployment(parseConfig(cdkJson.context.autoscaler, 'cdk.json context "autoscaler"'), outdir);
