/**
 * `tsx infra/synthesize-deployment-cli.ts <output dir>`: synthesizes the app for the configuration
 * in ./cdk.json into a cloud assembly, its Lambdas bundled as `cdk deploy` ships them. The
 * integration tests' global setup runs it (jest's setup cannot load the ESM app in-process).
 */
import { loadCdkJsonConfig } from './config-source';
import { synthesizeDeployment } from './synthesized-deployment';

const [outdir] = process.argv.slice(2);
if (!outdir) {
  console.error('usage: tsx infra/synthesize-deployment-cli.ts <output dir>');
  process.exit(2);
}
synthesizeDeployment(loadCdkJsonConfig(), outdir);
