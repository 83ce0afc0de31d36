/**
 * CDK entry point (`npx cdk synth`, `npx cdk deploy --all`). A bad configuration prints its
 * problems, one line each, and exits non-zero before any construct is built. Every synth runs the
 * AWS Control Tower proactive controls (infra/policy-validation.ts): an unacknowledged finding
 * fails it.
 */
import { App } from 'aws-cdk-lib';
import { loadConfig } from './config-source';
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
buildAutoscalerStacks(app, config);
