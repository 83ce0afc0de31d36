/**
 * CDK entry point (`npx cdk synth`, `npx cdk deploy --all`). A bad configuration prints its
 * problems, one line each, and exits non-zero before any construct is built; so does, as the
 * stacks are built, a file it names that cannot be shipped or a configuration too large for the
 * deployment. Every synth runs the AWS Control Tower proactive controls
 * (infra/policy-validation.ts): an unacknowledged finding fails it.
 */
import { App } from 'aws-cdk-lib';
import { DeploymentInputError, loadConfig } from './config-source';
import { buildAutoscalerStacks } from './autoscaler-stacks';
import { addPolicyValidation } from './policy-validation';

const app = new App();
let config;
try {
  config = loadConfig(app.node);
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
addPolicyValidation(app);
try {
  buildAutoscalerStacks(app, config);
} catch (error) {
  // A file the configuration names, or a size AWS cannot carry: its message says it all.
  if (!(error instanceof DeploymentInputError)) throw error;
  console.error(error.message);
  process.exit(1);
}
