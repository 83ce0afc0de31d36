/** Builds the whole CDK app from a fixed configuration, without bundling Lambdas (fast). */
import type { AutoscalerConfig } from '../../functions/domain/config';
import { buildAutoscalerStacks } from '../../infra/autoscaler-stacks';
import { exampleConfig } from './config-fixtures';
import { newTestApp } from './test-app';

export function buildTestApp(config: AutoscalerConfig = exampleConfig()) {
  const app = newTestApp({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stacks = buildAutoscalerStacks(app, config);
  return { app, config, ...stacks };
}
