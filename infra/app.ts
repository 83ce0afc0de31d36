/**
 * CDK entry point (`npx cdk synth`, `npx cdk deploy --all`). A bad configuration prints its
 * problems, one line each, and exits non-zero before any construct is built.
 */
import { App } from 'aws-cdk-lib';
import { loadConfig } from './config-source';
import { buildAutoscalerStacks } from './autoscaler-stacks';

const app = new App();
let config;
try {
  config = loadConfig(app.node);
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
buildAutoscalerStacks(app, config);
